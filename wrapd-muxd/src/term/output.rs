//! The terminal's rows as clients and scripts see them: [`Line`]s of styled
//! spans, plain or ANSI text (`capture`), and text search.

use std::fmt::Write;

use super::blocks::Mark;
use super::cluster::follows_char_rule;
use super::grid::{Row, SPACER};
use super::links::Links;
use super::state::State;
use super::style::{Attrs, Color, Style};
use super::{Line, Match, RowIndex, Span};

impl State {
    /// The row at a stable index, from history or the screen.
    pub fn row_at(&self, index: RowIndex) -> Option<RowRef<'_>> {
        let i = index.0;
        if i >= self.screen_start {
            let y = usize::try_from(i - self.screen_start).ok()?;
            return self.grid.get(y).map(RowRef::Screen);
        }
        self.history.get(i, self.cols).map(RowRef::History)
    }

    pub fn screen_end(&self) -> u64 {
        self.screen_start + u64::from(self.rows)
    }

    /// The first row a capture or search may look at.
    pub fn first_row(&self) -> u64 {
        self.history.start().min(self.screen_start)
    }

    pub fn capture(&self, scrollback: bool, ansi: bool) -> String {
        let from = if scrollback {
            self.first_row()
        } else {
            self.screen_start
        };
        let mut out = String::new();
        for i in from..self.screen_end() {
            if let Some(row) = self.row_at(RowIndex(i)) {
                if ansi {
                    row_ansi(row.row(), self.cols, 0..usize::from(self.cols), &mut out);
                } else {
                    out.push_str(&row_text(row.row(), self.cols).0);
                }
            }
            out.push('\n');
        }
        out
    }

    /// The text between two marks (`to` exclusive): rows end with a newline
    /// unless soft-wrapped, the last row is cut at `to`'s column. Also whether
    /// some of the rows were trimmed from history already.
    pub fn text_between(&self, from: Mark, to: Mark, ansi: bool) -> (String, bool) {
        let mut out = String::new();
        let mut trimmed = false;
        for i in from.row.0..=to.row.0.min(self.screen_end().saturating_sub(1)) {
            let start = if i == from.row.0 { from.col } else { 0 };
            let end = if i == to.row.0 { to.col } else { self.cols };
            if i == to.row.0 && end == 0 {
                break;
            }
            let Some(row) = self.row_at(RowIndex(i)) else {
                trimmed = true;
                continue;
            };
            let row = row.row();
            let range = usize::from(start)..usize::from(end);
            if ansi {
                row_ansi(row, self.cols, range, &mut out);
            } else {
                let (text, map) = row_text(row, self.cols);
                out.extend(
                    text.chars()
                        .zip(map)
                        .filter(|(_, x)| range.contains(&usize::from(*x)))
                        .map(|(c, _)| c),
                );
            }
            if i != to.row.0 && !row.wrapped {
                out.push('\n');
            }
        }
        (out, trimmed)
    }

    pub fn search(
        &self,
        query: &str,
        from: RowIndex,
        backwards: bool,
        case_sensitive: bool,
    ) -> Option<Match> {
        let fold = |c: char| {
            if case_sensitive {
                c
            } else {
                c.to_lowercase().next().unwrap_or(c)
            }
        };
        let needle: Vec<char> = query.chars().map(fold).collect();
        if needle.is_empty() {
            return None;
        }
        let (first, end) = (self.first_row(), self.screen_end());
        let rows: Box<dyn Iterator<Item = u64>> = if backwards {
            Box::new((first..from.0.min(end)).rev())
        } else {
            Box::new(from.0.saturating_add(1).max(first)..end)
        };
        for i in rows {
            let Some(row) = self.row_at(RowIndex(i)) else {
                continue;
            };
            let (text, cols) = row_text(row.row(), self.cols);
            let chars: Vec<char> = text.chars().map(fold).collect();
            if chars.len() < needle.len() {
                continue;
            }
            let mut hits = (0..=chars.len() - needle.len())
                .filter(|&s| chars[s..s + needle.len()] == needle[..]);
            let hit = if backwards {
                hits.next_back()
            } else {
                hits.next()
            };
            if let Some(s) = hit {
                let col = cols[s];
                let last = cols[s + needle.len() - 1];
                let last_wide = row
                    .row()
                    .cells
                    .get(usize::from(last))
                    .is_some_and(|c| c.wide);
                let end_col = last + 1 + u16::from(last_wide);
                return Some(Match {
                    row: RowIndex(i),
                    col,
                    len: end_col.saturating_sub(col).max(1),
                });
            }
        }
        None
    }
}

/// A row borrowed from the screen or decoded from history.
pub(crate) enum RowRef<'a> {
    Screen(&'a Row),
    History(Row),
}

impl RowRef<'_> {
    pub fn row(&self) -> &Row {
        match self {
            RowRef::Screen(r) => r,
            RowRef::History(r) => r,
        }
    }
}

/// A row as spans of one style and width; a cell that the per-character
/// rule would not give back is a span of its own (see `Span::cluster`).
pub(crate) fn row_line(row: &Row, cols: u16, links: &Links) -> Line {
    let used = row.used_len(usize::from(cols));
    let mut spans: Vec<Span> = Vec::new();
    let with_tails = !row.combining.is_empty();
    for (x, cell) in row.cells[..used].iter().enumerate() {
        if cell.ch == SPACER {
            continue;
        }
        if cell.wide && x + 1 >= usize::from(cols) {
            // Its right half is past the edge (the terminal narrowed): not shown.
            break;
        }
        let link = if cell.link == 0 {
            None
        } else {
            links.get(cell.link).cloned()
        };
        let tail = if with_tails {
            row.combining_at(x as u16)
        } else {
            None
        };
        let cluster = !follows_char_rule(cell, tail);
        let same = !cluster
            && spans.last().is_some_and(|s| {
                !s.cluster && s.style == cell.style && s.wide == cell.wide && s.link == link
            });
        if !same {
            spans.push(Span {
                text: String::new(),
                style: cell.style,
                wide: cell.wide,
                cluster,
                link,
            });
        }
        let span = spans.last_mut().expect("pushed");
        span.text.push(cell.ch);
        if let Some(tail) = tail {
            span.text.push_str(tail);
        }
    }
    Line {
        spans,
        wrapped: row.wrapped,
    }
}

/// A row's text with trailing blanks trimmed, and the column of each char.
fn row_text(row: &Row, cols: u16) -> (String, Vec<u16>) {
    let len = row.cells.len().min(usize::from(cols));
    let used = row.cells[..len]
        .iter()
        .rposition(|c| c.ch != ' ' && c.ch != SPACER)
        .map_or(0, |i| i + 1);
    let mut text = String::with_capacity(used);
    let mut map = Vec::with_capacity(used);
    for (x, cell) in row.cells[..used].iter().enumerate() {
        if cell.ch == SPACER {
            continue;
        }
        text.push(cell.ch);
        map.push(x as u16);
        if let Some(comb) = row.combining_at(x as u16) {
            for c in comb.chars() {
                text.push(c);
                map.push(x as u16);
            }
        }
    }
    (text, map)
}

fn sgr_color(out: &mut String, c: Color, base: u8) {
    match c {
        Color::Default => {}
        Color::Indexed(i) if i < 8 && base != 50 => {
            let _ = write!(out, ";{}", base + i);
        }
        Color::Indexed(i) if i < 16 && base != 50 => {
            let _ = write!(out, ";{}", base + 60 + i - 8);
        }
        Color::Indexed(i) => {
            let _ = write!(out, ";{};5;{i}", base + 8);
        }
        Color::Rgb(r, g, b) => {
            let _ = write!(out, ";{};2;{r};{g};{b}", base + 8);
        }
    }
}

/// The SGR sequence that sets exactly `style`.
pub(crate) fn sgr(style: &Style) -> String {
    let mut out = String::from("\x1b[0");
    let a = style.attrs;
    for (bit, code) in [
        (Attrs::BOLD, "1"),
        (Attrs::DIM, "2"),
        (Attrs::ITALIC, "3"),
        (Attrs::UNDERLINE, "4"),
        (Attrs::DOUBLE_UNDERLINE, "4:2"),
        (Attrs::CURLY_UNDERLINE, "4:3"),
        (Attrs::DOTTED_UNDERLINE, "4:4"),
        (Attrs::DASHED_UNDERLINE, "4:5"),
        (Attrs::BLINK, "5"),
        (Attrs::INVERSE, "7"),
        (Attrs::HIDDEN, "8"),
        (Attrs::STRIKETHROUGH, "9"),
        (Attrs::OVERLINE, "53"),
    ] {
        if a.contains(bit) {
            out.push(';');
            out.push_str(code);
        }
    }
    sgr_color(&mut out, style.fg, 30);
    sgr_color(&mut out, style.bg, 40);
    sgr_color(&mut out, style.underline_color, 50);
    out.push('m');
    out
}

/// The cells of `row` in columns `range` (trailing blanks left out) as text
/// with SGR sequences.
fn row_ansi(row: &Row, cols: u16, range: std::ops::Range<usize>, out: &mut String) {
    let used = row.used_len(usize::from(cols)).min(range.end);
    let mut current = Style::default();
    for (x, cell) in row.cells[..used].iter().enumerate() {
        if cell.ch == SPACER || x < range.start {
            continue;
        }
        if cell.style != current {
            out.push_str(&sgr(&cell.style));
            current = cell.style;
        }
        out.push(cell.ch);
        if let Some(comb) = row.combining_at(x as u16) {
            out.push_str(comb);
        }
    }
    if current != Style::default() {
        out.push_str("\x1b[0m");
    }
}
