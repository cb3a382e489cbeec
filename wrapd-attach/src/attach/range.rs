//! A text range chosen by dragging in scroll mode: highlighted for everyone
//! (as a `Selection`) and copied with `y`.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use wrapd_proto::pb;

use crate::mirror::Mirror;
use crate::render::span_cells;

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
        for cell in span_cells(span) {
            cells.push(Some(cell.to_owned()));
            if span.wide {
                cells.push(None);
            }
        }
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mirror(rows: &[&str]) -> Mirror {
        let mut m = Mirror::default();
        m.apply(pb::ScreenUpdate {
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
        m.apply(pb::ScreenUpdate {
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

    #[test]
    fn a_cluster_is_copied_whole() {
        let mut m = mirror(&[""]);
        m.apply(pb::ScreenUpdate {
            seq: 2,
            rows: vec![pb::Row {
                index: 0,
                spans: vec![
                    pb::Span {
                        text: "a".into(),
                        ..Default::default()
                    },
                    pb::Span {
                        text: "👩\u{200d}💻".into(),
                        wide: true,
                        cluster: true,
                        ..Default::default()
                    },
                    pb::Span {
                        text: "b".into(),
                        ..Default::default()
                    },
                ],
                wrapped: false,
            }],
            ..Default::default()
        });
        assert_eq!(TextRange::between((0, 1), (0, 3)).text(&m), "👩\u{200d}💻b");
    }
}
