//! A text range chosen by dragging in scroll mode: highlighted for everyone
//! (as a `Selection`) and copied with `y`.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use unicode_width::UnicodeWidthStr;
use wrapd_proto::pb;

use crate::mirror::Mirror;

/// From `start` to `end` inclusive, (row, column), `start` first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextRange {
    pub start: (u64, u16),
    pub end: (u64, u16),
}

impl TextRange {
    /// The range between two points, in either order.
    pub fn between(a: (u64, u16), b: (u64, u16)) -> TextRange {
        let (start, end) = if a <= b { (a, b) } else { (b, a) };
        TextRange { start, end }
    }

    pub fn selection(&self) -> pb::Selection {
        pb::Selection {
            block_id: 0,
            start_row: self.start.0,
            start_col: u32::from(self.start.1),
            end_row: self.end.0,
            end_col: u32::from(self.end.1),
        }
    }

    /// The columns of `row` inside the range.
    fn columns(&self, row: u64, width: u16) -> std::ops::RangeInclusive<u16> {
        let from = if row == self.start.0 { self.start.1 } else { 0 };
        let to = if row == self.end.0 {
            self.end.1
        } else {
            width.saturating_sub(1)
        };
        from..=to
    }

    /// The text in the range, rows joined by newlines (soft-wrapped rows
    /// run on), trailing blanks trimmed.
    pub fn text(&self, mirror: &Mirror) -> String {
        let width = mirror.size().0.max(1);
        let mut out = String::new();
        for row in self.start.0..=self.end.0 {
            let cells = row_cells(mirror.row(row));
            let cols = self.columns(row, width);
            let line: String = cells
                .iter()
                .enumerate()
                .filter(|(x, _)| cols.contains(&(*x as u16)))
                .filter_map(|(_, c)| c.as_deref())
                .collect();
            out.push_str(line.trim_end());
            let wrapped = mirror.row(row).is_some_and(|r| r.wrapped);
            if row != self.end.0 && !wrapped {
                out.push('\n');
            }
        }
        out
    }

    /// Draw the range reversed, where it is in view.
    pub fn draw(&self, area: Rect, row_y: impl Fn(u64) -> Option<u16>, buf: &mut Buffer) {
        for row in self.start.0..=self.end.0 {
            let Some(y) = row_y(row) else { continue };
            for x in self.columns(row, area.width) {
                if x < area.width {
                    let cell = &mut buf[(area.x + x, area.y + y)];
                    cell.modifier.toggle(Modifier::REVERSED);
                }
            }
        }
    }
}

/// A row's cells: each column's grapheme (`None` for the second half of a
/// wide one).
fn row_cells(row: Option<&pb::Row>) -> Vec<Option<String>> {
    let mut cells = Vec::new();
    for span in row.map(|r| r.spans.as_slice()).unwrap_or_default() {
        let mut grapheme = String::new();
        for ch in span.text.chars() {
            // A zero-width character joins the grapheme before it.
            if !grapheme.is_empty() && ch.to_string().width() == 0 {
                grapheme.push(ch);
                continue;
            }
            push_cell(&mut cells, &mut grapheme, span.wide);
            grapheme.push(ch);
        }
        push_cell(&mut cells, &mut grapheme, span.wide);
    }
    cells
}

fn push_cell(cells: &mut Vec<Option<String>>, grapheme: &mut String, wide: bool) {
    if grapheme.is_empty() {
        return;
    }
    cells.push(Some(std::mem::take(grapheme)));
    if wide {
        cells.push(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mirror(rows: &[&str]) -> Mirror {
        let mut m = Mirror::default();
        m.apply(&pb::ScreenUpdate {
            seq: 1,
            reset: true,
            size: Some(pb::Size {
                cols: 20,
                rows: rows.len() as u32,
            }),
            screen_start: 0,
            rows: rows
                .iter()
                .enumerate()
                .map(|(i, t)| pb::Row {
                    index: i as u64,
                    spans: vec![pb::Span {
                        text: (*t).to_owned(),
                        ..Default::default()
                    }],
                    wrapped: false,
                })
                .collect(),
            ..Default::default()
        });
        m
    }

    #[test]
    fn the_text_of_a_range_across_rows() {
        let m = mirror(&["$ echo hello", "hello", "$ next"]);
        let r = TextRange::between((1, 2), (0, 2));
        assert_eq!(r.start, (0, 2));
        assert_eq!(r.text(&m), "echo hello\nhel");
        assert_eq!(
            r.selection(),
            pb::Selection {
                block_id: 0,
                start_row: 0,
                start_col: 2,
                end_row: 1,
                end_col: 2
            }
        );
    }

    #[test]
    fn wide_characters_take_two_columns() {
        let mut m = mirror(&[""]);
        m.apply(&pb::ScreenUpdate {
            seq: 2,
            rows: vec![pb::Row {
                index: 0,
                spans: vec![
                    pb::Span {
                        text: "日本".into(),
                        wide: true,
                        ..Default::default()
                    },
                    pb::Span {
                        text: "go".into(),
                        ..Default::default()
                    },
                ],
                wrapped: false,
            }],
            ..Default::default()
        });
        assert_eq!(TextRange::between((0, 2), (0, 4)).text(&m), "本g");
    }
}
