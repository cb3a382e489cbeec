//! Left and right margins (DECLRMM, mode 69, and DECSLRM) and the
//! operations on a rectangle of the screen they need: scrolling the part of
//! the region between the margins, inserting and deleting columns (DECIC,
//! DECDC).
//!
//! As in xterm: with the mode set, text wraps at the right margin to the left
//! margin of the next row; scrolling (LF, IND, RI, SU, SD), IL and DL move
//! only the cells between the margins; ICH, DCH and insert mode shift cells
//! only up to the right margin; CR, BS, CUF, CUB and HT stop at the margins
//! when the cursor is between them (CBT only in origin mode); origin mode
//! counts columns from the left margin. Erasing (ED, EL, ECH) ignores the
//! margins.
//!
//! Margins that span the whole width cost nothing: every operation checks
//! [`State::margins_narrow`] once and takes the full-row path.

use super::grid::{Cell, Row};
use super::state::State;

impl State {
    /// Left/right margins are in effect and narrower than the screen.
    #[inline]
    pub fn margins_narrow(&self) -> bool {
        self.flags.lr_margins && (self.left > 0 || self.right + 1 < self.cols)
    }

    /// The columns a cursor at `x` is confined to, `left..right` (right
    /// exclusive): between the margins if it is between them, else the
    /// whole row. Without margins, the whole row.
    #[inline]
    pub fn line_span(&self, x: u16) -> (u16, u16) {
        if self.margins_narrow() && (self.left..=self.right).contains(&x) {
            (self.left, self.right + 1)
        } else {
            (0, self.cols)
        }
    }

    /// Where text from a cursor at `x` wraps: after the right margin if the
    /// cursor is left of it, else at the screen's edge (exclusive).
    #[inline]
    pub fn wrap_edge(&self, x: u16) -> u16 {
        if self.margins_narrow() && x <= self.right {
            self.right + 1
        } else {
            self.cols
        }
    }

    /// The column a wrapped line goes on at.
    #[inline]
    pub fn wrap_start(&self) -> u16 {
        if self.margins_narrow() { self.left } else { 0 }
    }

    /// DECLRMM (mode 69): margins honoured or not; off, they span the width.
    pub fn set_lr_mode(&mut self, on: bool) {
        self.flags.lr_margins = on;
        if !on {
            self.left = 0;
            self.right = self.cols - 1;
        }
    }

    /// DECSLRM (`CSI Pl ; Pr s` with mode 69 set), 0-based and inclusive:
    /// ignored unless `left < right`; the cursor goes home.
    pub fn set_lr_margins(&mut self, left: u16, right: u16) {
        let right = right.min(self.cols - 1);
        if left >= right {
            return;
        }
        self.left = left;
        self.right = right;
        self.goto_origin(0, 0);
    }

    /// Scroll rows `top..=bottom` up `n` rows between columns `left..right`;
    /// blank cells (with the pen's background) come in at the bottom.
    pub fn scroll_rect_up(&mut self, top: u16, bottom: u16, left: u16, right: u16, n: u16) {
        let n = n.min(bottom - top + 1);
        self.split_rect_edges(top, bottom, left, right);
        for y in top..bottom + 1 - n {
            self.copy_cells(y + n, y, left, right);
        }
        let pen = self.pen;
        for y in bottom + 1 - n..=bottom {
            self.row_mut(y)
                .erase(usize::from(left), usize::from(right), pen);
        }
    }

    /// Scroll rows `top..=bottom` down `n` rows between columns `left..right`.
    pub fn scroll_rect_down(&mut self, top: u16, bottom: u16, left: u16, right: u16, n: u16) {
        let n = n.min(bottom - top + 1);
        self.split_rect_edges(top, bottom, left, right);
        for y in (top + n..=bottom).rev() {
            self.copy_cells(y - n, y, left, right);
        }
        let pen = self.pen;
        for y in top..top + n {
            self.row_mut(y)
                .erase(usize::from(left), usize::from(right), pen);
        }
    }

    /// Wide characters cut by the rectangle's left or right edge are blanked.
    fn split_rect_edges(&mut self, top: u16, bottom: u16, left: u16, right: u16) {
        for y in top..=bottom {
            let row = self.row_mut(y);
            row.split_wide_at(usize::from(left));
            row.split_wide_at(usize::from(right));
        }
    }

    /// Copy columns `left..right` of row `from` onto row `to`, clusters too.
    fn copy_cells(&mut self, from: u16, to: u16, left: u16, right: u16) {
        let (l, r) = (usize::from(left), usize::from(right));
        let src = self.row_mut(from);
        let cells: Vec<Cell> = src.cells[l..r].to_vec();
        let tails: Vec<(u16, String)> = src
            .combining
            .iter()
            .filter(|(x, _)| (left..right).contains(x))
            .cloned()
            .collect();
        let dst = self.row_mut(to);
        dst.cells[l..r].copy_from_slice(&cells);
        dst.combining.retain(|(x, _)| !(left..right).contains(x));
        dst.combining.extend(tails);
    }

    /// DECIC (`CSI Pn ' }`): insert `n` blank columns at the cursor, in the
    /// scroll region between the margins; nothing if the cursor is outside.
    pub fn insert_columns(&mut self, n: u16) {
        self.shift_columns(n, true);
    }

    /// DECDC (`CSI Pn ' ~`): delete `n` columns at the cursor, likewise;
    /// the rows' soft wraps end (as in xterm, as DCH's).
    pub fn delete_columns(&mut self, n: u16) {
        self.shift_columns(n, false);
    }

    fn shift_columns(&mut self, n: u16, insert: bool) {
        let (x, y) = (self.cursor.x, self.cursor.y);
        let (left, right) = (self.margin_left(), self.right + 1);
        if !(self.top..=self.bottom).contains(&y) || !(left..right).contains(&x) {
            return;
        }
        let (at, end, n, pen) = (
            usize::from(x),
            usize::from(right),
            usize::from(n.max(1)),
            self.pen,
        );
        for y in self.top..=self.bottom {
            let row = self.row_mut(y);
            shift_cells(row, at, n, end, pen, insert);
            if !insert {
                row.wrapped = false;
            }
        }
        self.cursor.pending_wrap = false;
    }

    /// The left margin in effect (0 without the mode).
    #[inline]
    pub fn margin_left(&self) -> u16 {
        if self.flags.lr_margins { self.left } else { 0 }
    }
}

/// ICH (`insert`) or DCH of `n` cells at `at` in a row that ends, for this,
/// at column `end` (the right margin + 1, or the terminal's width).
pub(crate) fn shift_cells(
    row: &mut Row,
    at: usize,
    n: usize,
    end: usize,
    pen: super::style::Style,
    insert: bool,
) {
    row.split_wide_at(end);
    if insert {
        row.insert_cells(at, n, end, pen);
    } else {
        row.delete_cells(at, n, end, pen);
    }
}
