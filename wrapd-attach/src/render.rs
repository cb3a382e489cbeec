//! Drawing a session's rows into a ratatui buffer.
//!
//! The session's size and the area's may differ (other clients set the size):
//! a larger session is cropped around the cursor, a smaller one is drawn at the
//! top-left with the rest of the area filled with a dim pattern — never with
//! whatever was there before.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::Widget;
use unicode_width::UnicodeWidthChar;
use wrapd_proto::{attrs, color, pb};

use crate::mirror::Mirror;

/// What fills the area outside a session smaller than the terminal.
const PAD: &str = "·";

/// A view of a mirror: the live screen, or history from a given row.
pub struct SessionView<'a> {
    mirror: &'a Mirror,
    /// Row at the top in scroll mode; `None` follows the screen.
    top: Option<u64>,
    /// A range of cells drawn reversed: row, column, width.
    highlight: Option<(u64, u16, u16)>,
}

impl<'a> SessionView<'a> {
    pub fn new(mirror: &'a Mirror) -> SessionView<'a> {
        SessionView {
            mirror,
            top: None,
            highlight: None,
        }
    }

    /// Show history from `row` on (the screen when `row` is its top).
    pub fn top(mut self, row: u64) -> Self {
        self.top = (row != self.mirror.screen_start()).then_some(row);
        self
    }

    pub fn highlight(mut self, row: u64, col: u16, len: u16) -> Self {
        self.highlight = Some((row, col, len));
        self
    }

    /// The first row drawn and the first column, for an area of this size.
    pub fn origin(&self, area: Rect) -> (u64, u16) {
        let (cols, rows) = self.mirror.size();
        match self.top {
            Some(top) => (top, 0),
            None => {
                let c = self.mirror.cursor();
                let crop = |len: u16, fit: u16, at: u32| -> u16 {
                    if len <= fit {
                        return 0;
                    }
                    let at = at.min(u32::from(len) - 1) as u16;
                    (at + 1).saturating_sub(fit).min(len - fit)
                };
                let oy = crop(rows, area.height, c.row);
                let ox = crop(cols, area.width, c.col);
                (self.mirror.screen_start() + u64::from(oy), ox)
            }
        }
    }

    /// The line of `area` that shows row `index`, if it is in view.
    pub fn row_y(&self, index: u64, area: Rect) -> Option<u16> {
        let (first, _) = self.origin(area);
        let (_, rows) = self.mirror.size();
        let y = index.checked_sub(first)?;
        (y < u64::from(area.height) && index < self.mirror.screen_start() + u64::from(rows))
            .then_some(y as u16)
    }

    /// Where the cursor goes on the outer terminal; `None` when hidden, out of
    /// view, or in scroll mode.
    pub fn cursor_position(&self, area: Rect) -> Option<Position> {
        if self.top.is_some() || !self.mirror.cursor().visible {
            return None;
        }
        let (first, ox) = self.origin(area);
        let c = self.mirror.cursor();
        let y = (self.mirror.screen_start() + u64::from(c.row)).checked_sub(first)?;
        let x = c.col.checked_sub(u32::from(ox))?;
        (y < u64::from(area.height) && x < u32::from(area.width))
            .then(|| Position::new(area.x + x as u16, area.y + y as u16))
    }
}

impl Widget for &SessionView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        self.render_lines(area, buf, |_| true);
    }
}

impl SessionView<'_> {
    /// Draw the lines `y` of `area` for which `redraw(y)` holds, every cell
    /// of each (the others are left as they are).
    pub fn render_lines(&self, area: Rect, buf: &mut Buffer, redraw: impl Fn(u16) -> bool) {
        let (cols, rows) = self.mirror.size();
        let (first, ox) = self.origin(area);
        let screen_end = self.mirror.screen_start() + u64::from(rows);
        let pad_style = Style::default().fg(Color::DarkGray);
        let visible_cols = cols.saturating_sub(ox).min(area.width);
        for y in (0..area.height).filter(|y| redraw(*y)) {
            let index = first + u64::from(y);
            let sy = area.y + y;
            if index >= screen_end {
                for x in 0..area.width {
                    buf[(area.x + x, sy)].set_symbol(PAD).set_style(pad_style);
                }
                continue;
            }
            for x in 0..visible_cols {
                buf[(area.x + x, sy)].reset();
            }
            for x in visible_cols..area.width {
                buf[(area.x + x, sy)].set_symbol(PAD).set_style(pad_style);
            }
            if let Some(row) = self.mirror.row(index) {
                draw_row(
                    row,
                    ox,
                    visible_cols,
                    Rect::new(area.x, sy, area.width, 1),
                    buf,
                );
            }
            if let Some((hr, hc, hl)) = self.highlight
                && hr == index
            {
                for col in hc..hc.saturating_add(hl) {
                    if let Some(x) = col.checked_sub(ox).filter(|x| *x < visible_cols) {
                        let cell = &mut buf[(area.x + x, sy)];
                        cell.set_style(cell.style().add_modifier(Modifier::REVERSED));
                    }
                }
            }
        }
    }
}

/// Draw one row's cells from session column `ox`, `width` columns wide.
fn draw_row(row: &pb::Row, ox: u16, width: u16, line: Rect, buf: &mut Buffer) {
    let mut col: u32 = 0;
    let end = u32::from(ox) + u32::from(width);
    for span in &row.spans {
        let style = span.style.as_ref().map(to_style).unwrap_or_default();
        let w: u32 = if span.wide { 2 } else { 1 };
        for g in span_cells(span) {
            let at = col;
            col += w;
            if at + w <= u32::from(ox) {
                continue;
            }
            if at >= end {
                return;
            }
            let x = line.x + (at.saturating_sub(u32::from(ox))) as u16;
            let cut = at < u32::from(ox) || at + w > end;
            let cell = &mut buf[(x, line.y)];
            if cut {
                // Half a wide character: show a blank in its style.
                cell.set_symbol(" ").set_style(style);
                continue;
            }
            cell.set_symbol(g).set_style(style);
            if w == 2 {
                buf[(x + 1, line.y)].reset();
            }
        }
    }
}

/// The text of each cell of a span (see `Span` in mux.proto): a character
/// and the zero-width ones after it, or the whole text of a cluster span.
/// Control characters never reach the outer terminal.
pub fn span_cells(span: &pb::Span) -> impl Iterator<Item = &str> {
    let mut rest = span.text.as_str();
    let cluster = span.cluster;
    std::iter::from_fn(move || {
        let mut chars = rest.char_indices();
        let (_, first) = chars.next()?;
        let mut end = first.len_utf8();
        if cluster {
            end = rest.len();
        } else {
            for (i, c) in chars {
                if c.width() == Some(0) && !c.is_control() {
                    end = i + c.len_utf8();
                } else {
                    break;
                }
            }
        }
        let g = &rest[..end];
        rest = &rest[end..];
        Some(if g.chars().any(char::is_control) {
            " "
        } else {
            g
        })
    })
}

fn to_color(c: u32) -> Color {
    match c {
        0 => Color::Reset,
        1..=256 => Color::Indexed((c - 1) as u8),
        _ if c & color::RGB_FLAG != 0 => Color::Rgb((c >> 16) as u8, (c >> 8) as u8, c as u8),
        _ => Color::Reset,
    }
}

/// A wire style as a ratatui style.
pub fn to_style(s: &pb::Style) -> Style {
    let mut m = Modifier::empty();
    let a = s.attrs;
    let pairs = [
        (attrs::BOLD, Modifier::BOLD),
        (attrs::DIM, Modifier::DIM),
        (attrs::ITALIC, Modifier::ITALIC),
        (
            attrs::UNDERLINE
                | attrs::DOUBLE_UNDERLINE
                | attrs::CURLY_UNDERLINE
                | attrs::DOTTED_UNDERLINE
                | attrs::DASHED_UNDERLINE,
            Modifier::UNDERLINED,
        ),
        (attrs::BLINK, Modifier::SLOW_BLINK),
        (attrs::INVERSE, Modifier::REVERSED),
        (attrs::HIDDEN, Modifier::HIDDEN),
        (attrs::STRIKETHROUGH, Modifier::CROSSED_OUT),
    ];
    for (bits, modifier) in pairs {
        if a & bits != 0 {
            m |= modifier;
        }
    }
    Style::default()
        .fg(to_color(s.fg))
        .bg(to_color(s.bg))
        .add_modifier(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(text: &str, wide: bool, style: Option<pb::Style>) -> pb::Span {
        pb::Span {
            text: text.to_owned(),
            style,
            wide,
            ..Default::default()
        }
    }

    fn mirror(cols: u32, rows: u32, lines: Vec<Vec<pb::Span>>, cursor: (u32, u32)) -> Mirror {
        let mut m = Mirror::default();
        m.apply(pb::ScreenUpdate {
            seq: 1,
            reset: true,
            size: Some(pb::Size { cols, rows }),
            screen_start: 10,
            history_start: 0,
            rows: lines
                .into_iter()
                .enumerate()
                .map(|(i, spans)| pb::Row {
                    index: 10 + i as u64,
                    spans,
                    wrapped: false,
                })
                .collect(),
            cursor: Some(pb::Cursor {
                col: cursor.0,
                row: cursor.1,
                visible: true,
                ..Default::default()
            }),
            ..Default::default()
        });
        m
    }

    fn draw(m: &Mirror, w: u16, h: u16) -> (Buffer, Option<Position>) {
        let area = Rect::new(0, 0, w, h);
        let mut buf = Buffer::empty(area);
        let view = SessionView::new(m);
        (&view).render(area, &mut buf);
        (buf, view.cursor_position(area))
    }

    fn text(buf: &Buffer, y: u16) -> String {
        (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect()
    }

    #[test]
    fn colours_and_attributes() {
        let red_bold = pb::Style {
            fg: color::indexed(1),
            bg: color::rgb(1, 2, 3),
            attrs: attrs::BOLD | attrs::CURLY_UNDERLINE,
            ..Default::default()
        };
        let m = mirror(
            10,
            2,
            vec![vec![
                span("ab", false, None),
                span("cd", false, Some(red_bold)),
            ]],
            (0, 0),
        );
        let (buf, _) = draw(&m, 10, 2);
        assert_eq!(text(&buf, 0), "abcd      ");
        let c = &buf[(2, 0)];
        assert_eq!(c.fg, Color::Indexed(1));
        assert_eq!(c.bg, Color::Rgb(1, 2, 3));
        assert!(c.modifier.contains(Modifier::BOLD | Modifier::UNDERLINED));
        assert_eq!(buf[(0, 0)].fg, Color::Reset);
    }

    #[test]
    fn wide_and_combining_characters() {
        let m = mirror(
            10,
            1,
            vec![vec![
                span("a", false, None),
                span("日本", true, None),
                span("e\u{301}x", false, None),
            ]],
            (0, 0),
        );
        let (buf, _) = draw(&m, 10, 1);
        assert_eq!(buf[(1, 0)].symbol(), "日");
        assert_eq!(buf[(3, 0)].symbol(), "本");
        assert_eq!(buf[(5, 0)].symbol(), "e\u{301}");
        assert_eq!(buf[(6, 0)].symbol(), "x");
    }

    #[test]
    fn a_cluster_span_is_one_cell() {
        let cluster = |text: &str, wide: bool| pb::Span {
            cluster: true,
            ..span(text, wide, None)
        };
        let m = mirror(
            10,
            1,
            vec![vec![
                cluster("👩\u{200d}💻", true),
                cluster("🇦🇧", true),
                span("x", false, None),
                cluster("☔\u{fe0e}", false),
                span("y", false, None),
            ]],
            (0, 0),
        );
        let (buf, _) = draw(&m, 10, 1);
        assert_eq!(buf[(0, 0)].symbol(), "👩\u{200d}💻");
        assert_eq!(buf[(2, 0)].symbol(), "🇦🇧");
        assert_eq!(buf[(4, 0)].symbol(), "x");
        assert_eq!(buf[(5, 0)].symbol(), "☔\u{fe0e}");
        assert_eq!(buf[(6, 0)].symbol(), "y");
    }

    #[test]
    fn smaller_sessions_are_padded() {
        let m = mirror(
            4,
            2,
            vec![
                vec![span("abcd", false, None)],
                vec![span("ef", false, None)],
            ],
            (2, 1),
        );
        let (buf, cursor) = draw(&m, 6, 3);
        assert_eq!(text(&buf, 0), "abcd··");
        assert_eq!(text(&buf, 1), "ef  ··");
        assert_eq!(text(&buf, 2), "······");
        assert_eq!(cursor, Some(Position::new(2, 1)));
    }

    #[test]
    fn larger_sessions_are_cropped_around_the_cursor() {
        let lines = (0..6)
            .map(|i| vec![span(&format!("row{i}-abcdefg"), false, None)])
            .collect();
        let m = mirror(12, 6, lines, (10, 5));
        let (buf, cursor) = draw(&m, 8, 3);
        assert_eq!(
            text(&buf, 2),
            "5-abcdef",
            "bottom rows, shifted right to show the cursor"
        );
        assert_eq!(text(&buf, 0), "3-abcdef");
        assert_eq!(cursor, Some(Position::new(7, 2)));
        // Cursor at the top-left: no crop offset.
        let lines = (0..6)
            .map(|i| vec![span(&format!("row{i}"), false, None)])
            .collect();
        let m = mirror(12, 6, lines, (0, 0));
        let (buf, cursor) = draw(&m, 8, 3);
        assert_eq!(text(&buf, 0), "row0    ");
        assert_eq!(cursor, Some(Position::new(0, 0)));
    }

    #[test]
    fn half_wide_characters_at_the_edge_become_blanks() {
        let m = mirror(
            4,
            1,
            vec![vec![span("a", false, None), span("日本", true, None)]],
            (0, 0),
        );
        let (buf, _) = draw(&m, 4, 1);
        assert_eq!(text(&buf, 0).chars().take(2).collect::<String>(), "a日");
        let (buf, _) = draw(&m, 2, 1);
        assert_eq!(text(&buf, 0), "a ");
    }

    #[test]
    fn scroll_view_and_highlight() {
        let m = mirror(
            5,
            2,
            vec![
                vec![span("hello", false, None)],
                vec![span("world", false, None)],
            ],
            (0, 0),
        );
        let area = Rect::new(0, 0, 5, 2);
        let mut buf = Buffer::empty(area);
        let view = SessionView::new(&m).top(9).highlight(10, 1, 3);
        (&view).render(area, &mut buf);
        assert_eq!(text(&buf, 0), "     ", "row 9 not fetched: blank");
        assert_eq!(text(&buf, 1), "hello");
        assert!(buf[(2, 1)].modifier.contains(Modifier::REVERSED));
        assert!(!buf[(0, 1)].modifier.contains(Modifier::REVERSED));
        assert_eq!(
            view.cursor_position(area),
            None,
            "no cursor while scrolling"
        );
    }

    #[test]
    fn control_characters_are_not_drawn() {
        let m = mirror(4, 1, vec![vec![span("a\x1bb", false, None)]], (0, 0));
        let (buf, _) = draw(&m, 4, 1);
        assert_eq!(text(&buf, 0), "a b ");
    }
}
