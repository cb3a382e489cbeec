//! Printing one character at a time: the reference path (run.rs writes
//! runs of text faster, exactly as this would), wrapping, grapheme clusters,
//! REP.

use super::cluster::{self, single_width};
use super::grid::{Cell, Row, SPACER};
use super::margins::shift_cells;
use super::run::is_printable_ascii;
use super::state::State;
use super::style::Style;

/// The column of the cell before column `x` of `row` (the one at `x` when
/// a wrap is pending), stepping over the right half of a wide character.
#[inline]
fn before_cursor(row: &Row, x: u16, pending_wrap: bool) -> Option<u16> {
    let x = if pending_wrap { x } else { x.checked_sub(1)? };
    if row.cells.get(usize::from(x))?.ch == SPACER && x > 0 {
        return Some(x - 1);
    }
    Some(x)
}

impl State {
    /// Print one character of any kind: the reference path.
    pub fn print_any(&mut self, c: char) {
        let shown = self.charsets.print(c, self.flags.national);
        self.print_shown(shown);
    }

    /// Print `c` as it shows (through the character sets already: REP
    /// repeats it so).
    pub(super) fn print_shown(&mut self, c: char) {
        let clusters = self.flags.clusters;
        let w = single_width(c, clusters);
        if w == 0 {
            self.combine(c);
            return;
        }
        // Printable ASCII always starts a cell (the run path never looks
        // back), so a cluster goes on only with other characters.
        if clusters && !is_printable_ascii(c) && self.join_cluster(c) {
            return;
        }
        self.last_char = Some(c);
        let (pen, link) = (self.pen, self.link);
        self.put(c, w, pen, link);
    }

    /// Write a character `w` columns wide at the cursor (wrapping first if it
    /// must) and move past it; returns where it went. Without autowrap, a
    /// wide character that does not fit before the line's end is dropped,
    /// as in xterm.
    fn put(&mut self, c: char, w: u8, style: Style, link: u16) -> Option<(u16, u16)> {
        if self.cursor.pending_wrap && self.flags.autowrap {
            self.wrap();
        }
        // The line ends at the right margin (or the screen's edge).
        let edge = self.wrap_edge(self.cursor.x);
        let (start, _) = self.line_span(self.cursor.x);
        // A wide character cannot show in a line one column wide.
        let (c, w) = if w == 2 && edge - start < 2 {
            (' ', 1)
        } else {
            (c, w)
        };
        if w == 2 && self.cursor.x + 1 >= edge {
            if !self.flags.autowrap {
                return None;
            }
            // Does not fit: blank the last column and wrap.
            let (y, x, pen) = (self.cursor.y, self.cursor.x, self.pen);
            self.row_mut(y)
                .erase(usize::from(x), usize::from(edge), pen);
            self.wrap();
        }
        let (x, y) = (usize::from(self.cursor.x), self.cursor.y);
        let insert = self.flags.insert;
        let w = usize::from(w);
        let edge = usize::from(self.wrap_edge(self.cursor.x));
        let row = self.row_mut(y);
        if insert {
            shift_cells(row, x, w, edge, Style::default(), true);
        }
        row.split_wide_at(x);
        row.split_wide_at(x + w);
        if !row.combining.is_empty() {
            row.combining
                .retain(|(cx, _)| !(x..x + w).contains(&usize::from(*cx)));
        }
        row.cells[x] = Cell {
            ch: c,
            style,
            link,
            wide: w == 2,
        };
        if w == 2 {
            row.cells[x + 1] = Cell {
                ch: SPACER,
                style,
                link,
                wide: false,
            };
        }
        self.advance_past(x + w);
        Some((x as u16, y))
    }

    /// The cursor after a cell that ends before column `next` (the cursor
    /// is on the cell's row, not past the line's end). At the line's end a
    /// wrap is pending even without autowrap, as in xterm: it happens if
    /// autowrap is on when the next character comes.
    fn advance_past(&mut self, next: usize) {
        let edge = self.wrap_edge(self.cursor.x);
        self.advance_to(next, edge);
    }

    /// The cursor before column `next` of a line that ends at `edge`
    /// (exclusive): past its end, on its last column with a wrap pending.
    #[inline]
    pub(super) fn advance_to(&mut self, next: usize, edge: u16) {
        if next >= usize::from(edge) {
            self.cursor.x = edge - 1;
            self.cursor.pending_wrap = true;
        } else {
            self.cursor.x = next as u16;
            self.cursor.pending_wrap = false;
        }
    }

    /// The column of the cell just before the cursor (the one at it, when a
    /// wrap is pending): where a character that joins a cell goes.
    #[inline]
    fn cell_before_cursor(&self) -> Option<u16> {
        let row = &self.grid[usize::from(self.cursor.y)];
        before_cursor(row, self.cursor.x, self.cursor.pending_wrap)
    }

    /// A zero-width character joins the cell before the cursor (whatever
    /// UAX #29 says: it has no cell of its own). In grapheme-cluster mode a
    /// variation selector may make that cell wider or narrower.
    fn combine(&mut self, c: char) {
        // C0 and C1 controls (C1 may come UTF-8 encoded) are no marks.
        if c.is_control() {
            return;
        }
        let Some(x) = self.cell_before_cursor() else {
            return;
        };
        let y = self.cursor.y;
        if self.row_mut(y).combine(x, c)
            && self.flags.clusters
            && matches!(c, '\u{fe0e}' | '\u{fe0f}')
        {
            self.fit_cluster(x);
        }
    }

    /// Grapheme-cluster mode: if `c` (of nonzero width) continues the cluster
    /// of the cell before the cursor, add it there (the cell may get wider or
    /// narrower) and say so.
    fn join_cluster(&mut self, c: char) -> bool {
        let row = &self.grid[usize::from(self.cursor.y)];
        let Some(x) = before_cursor(row, self.cursor.x, self.cursor.pending_wrap) else {
            return false;
        };
        let base = row.cells[usize::from(x)].ch;
        let tail = if row.combining.is_empty() {
            // The common case: two characters that never join.
            if cluster::is_simple(c) && cluster::is_simple(base) {
                return false;
            }
            ""
        } else {
            row.combining_at(x).unwrap_or("")
        };
        if !cluster::joins(base, tail, c) {
            return false;
        }
        let y = self.cursor.y;
        // A full cluster drops the character.
        if self.row_mut(y).combine(x, c) {
            self.fit_cluster(x);
        }
        true
    }

    /// The cluster at `x` on the cursor's row grew: make its cell as wide as
    /// the cluster now is.
    fn fit_cluster(&mut self, x: u16) {
        let row = &self.grid[usize::from(self.cursor.y)];
        let cell = row.cells[usize::from(x)];
        let tail = row.combining_at(x).unwrap_or("");
        let now = cluster::width(cell.ch, tail, &mut self.cluster_text);
        let was = 1 + u8::from(cell.wide);
        if now < was {
            self.narrow_cluster(x);
        } else if now > was {
            self.widen_cluster(x);
        }
    }

    /// The wide cluster at `x`, on the cursor's row, now takes one column: its
    /// right half is blanked and the cursor comes back next to it.
    fn narrow_cluster(&mut self, x: u16) {
        let y = self.cursor.y;
        let row = self.row_mut(y);
        let x = usize::from(x);
        row.cells[x].wide = false;
        let style = row.cells[x].style;
        // (The right half may be gone: a row the terminal narrowed.)
        if let Some(right) = row.cells.get_mut(x + 1) {
            *right = Cell::blank(style);
        }
        self.advance_past(x + 1);
    }

    /// The narrow cluster at `x`, on the cursor's row, now takes two columns:
    /// it covers the cell after it, or moves to the next row (as a wide
    /// character that does not fit would) when it is in the last column;
    /// there without autowrap, it stays narrow (rather than be dropped).
    fn widen_cluster(&mut self, x: u16) {
        let y = self.cursor.y;
        let (start, edge) = (self.line_span(x).0, self.wrap_edge(x));
        if edge - start < 2 || (x + 1 >= edge && !self.flags.autowrap) {
            return;
        }
        let insert = self.flags.insert;
        let row = self.row_mut(y);
        let cell = row.cells[usize::from(x)];
        if x + 1 < edge {
            let (x, edge) = (usize::from(x), usize::from(edge));
            if insert {
                shift_cells(row, x + 1, 1, edge, Style::default(), true);
            }
            row.split_wide_at(x + 2);
            row.take_tail(x as u16 + 1);
            row.cells[x].wide = true;
            row.cells[x + 1] = Cell {
                ch: SPACER,
                wide: false,
                ..cell
            };
            self.advance_past(x + 2);
            return;
        }
        let tail = row.take_tail(x).unwrap_or_default();
        row.cells[usize::from(x)] = Cell::blank(cell.style);
        if let Some((nx, ny)) = self.put(cell.ch, 2, cell.style, cell.link) {
            self.row_mut(ny).set_tail(nx, tail);
        }
    }
    /// Soft-wrap: mark the row and move to the start of the next (at the
    /// left margin).
    pub(super) fn wrap(&mut self) {
        let y = self.cursor.y;
        self.row_mut(y).wrapped = true;
        self.cursor.x = self.wrap_start();
        self.cursor.pending_wrap = false;
        self.index();
    }

    /// REP: print `c`, the graphic character right before REP as it showed,
    /// `n` more times. As in xterm, nothing when anything else came in
    /// between (a control, a sequence, another REP): ECMA-48 leaves that
    /// undefined.
    pub fn repeat(&mut self, c: Option<char>, n: u16) {
        let Some(c) = c else { return };
        // More than a screenful repeats nothing new.
        let max = u32::from(self.cols) * u32::from(self.rows);
        let n = u32::from(n).min(max);
        if is_printable_ascii(c) && self.charsets.plain() {
            for _ in 0..n {
                self.print(c);
            }
            self.flush_text();
        } else {
            for _ in 0..n {
                self.print_shown(c);
            }
        }
        self.last_char = None;
    }
}
