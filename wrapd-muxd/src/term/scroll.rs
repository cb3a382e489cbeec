//! Line feeds and scrolling: IND, RI, LF, SU, SD, IL, DL. On the primary
//! screen the rows scrolled off the top go into history.

use super::grid::{Cell, Row};
use super::state::State;

impl State {
    /// Make `blank_cells` the blank rows are reset to now.
    fn blank_cells_for_pen(&mut self) {
        let blank = Cell::blank(self.pen);
        let cols = usize::from(self.cols);
        if self.blank_cells.len() != cols || self.blank_cells.first() != Some(&blank) {
            self.blank_cells.clear();
            self.blank_cells.resize(cols, blank);
        }
    }

    /// Whether the cursor's column is one the scroll region's scrolling
    /// moves (outside the left/right margins, IND and RI only move it).
    #[inline]
    pub(super) fn column_scrolls(&self) -> bool {
        !self.margins_narrow() || (self.left..=self.right).contains(&self.cursor.x)
    }

    /// IND / LF: down one row, scrolling at the bottom of the region.
    pub fn index(&mut self) {
        self.cursor.pending_wrap = false;
        if self.cursor.y == self.bottom && self.column_scrolls() {
            self.scroll_up(1);
        } else if self.cursor.y + 1 < self.rows {
            self.cursor.y += 1;
        }
        self.moved();
    }

    pub fn linefeed(&mut self) {
        self.index();
        if self.flags.newline {
            self.cursor.x = 0;
        }
    }

    /// RI: up one row, scrolling down at the top of the region.
    pub fn reverse_index(&mut self) {
        self.cursor.pending_wrap = false;
        if self.cursor.y == self.top && self.column_scrolls() {
            self.scroll_down(1);
        } else if self.cursor.y > 0 {
            self.cursor.y -= 1;
        }
        self.moved();
    }

    /// Scroll the region up `n` rows. On the primary screen the rows scrolled
    /// off the region's top go into history, as in tmux (even for a region
    /// below the top row: a fixed header does not make output vanish).
    pub fn scroll_up(&mut self, n: u16) {
        let (top, bottom) = (self.top, self.bottom);
        let n = n.min(bottom - top + 1);
        if n == 0 {
            return;
        }
        if self.margins_narrow() {
            let (left, right) = (self.left, self.right + 1);
            self.scroll_rect_up(top, bottom, left, right, n);
            return;
        }
        self.dirty = true;
        self.blank_cells_for_pen();
        let to_history = !self.alt();
        for _ in 0..n {
            let mut row = self.grid.remove(usize::from(top)).expect("in range");
            if to_history {
                // The row keeps its index only if it was the screen's top row.
                let seq = if top == 0 { row.seq } else { self.seq };
                self.history.push(&row, usize::from(self.cols), seq);
                self.screen_start += 1;
            }
            reset_row(&mut row, &self.blank_cells, self.seq);
            self.grid.insert(usize::from(bottom), row);
        }
        if to_history {
            // Rows in the region kept their index; those outside it did not.
            self.stamp(0, top);
            self.stamp(bottom + 1, self.rows);
        } else {
            self.stamp(top, bottom + 1);
        }
    }

    /// Move the screen's rows up to the last non-blank one into history (tmux's
    /// `scroll-on-clear`), before the screen is cleared.
    pub(super) fn push_screen_to_history(&mut self) {
        if self.alt() {
            return;
        }
        let cols = usize::from(self.cols);
        let used = self
            .grid
            .iter()
            .rposition(|r| r.used_len(cols) > 0)
            .map_or(0, |y| y + 1);
        for _ in 0..used {
            let row = self.grid.pop_front().expect("rows >= 1");
            // Each row keeps its index: it was the top row when pushed.
            self.history.push(&row, cols, row.seq);
            self.screen_start += 1;
            self.grid.push_back(Row::new(self.cols, self.seq));
        }
        if used > 0 {
            self.stamp(0, self.rows);
        }
    }

    /// Scroll the region down `n` rows (blank rows appear at its top).
    pub fn scroll_down(&mut self, n: u16) {
        let (top, bottom) = (self.top, self.bottom);
        let n = n.min(bottom - top + 1);
        if n == 0 {
            return;
        }
        if self.margins_narrow() {
            let (left, right) = (self.left, self.right + 1);
            self.scroll_rect_down(top, bottom, left, right, n);
            return;
        }
        self.blank_cells_for_pen();
        for _ in 0..n {
            let mut row = self.grid.remove(usize::from(bottom)).expect("in range");
            reset_row(&mut row, &self.blank_cells, self.seq);
            self.grid.insert(usize::from(top), row);
        }
        self.stamp(top, bottom + 1);
    }

    /// IL: insert blank rows at the cursor (inside the region and the
    /// left/right margins only); the cursor goes to the left margin.
    pub fn insert_lines(&mut self, n: u16) {
        let y = self.cursor.y;
        if y < self.top || y > self.bottom || !self.column_scrolls() {
            return;
        }
        let top = std::mem::replace(&mut self.top, y);
        self.scroll_down(n);
        self.top = top;
        self.cursor.x = self.margin_left();
        self.cursor.pending_wrap = false;
    }

    /// DL: delete rows at the cursor (inside the region and the left/right
    /// margins only); never into history.
    pub fn delete_lines(&mut self, n: u16) {
        let y = self.cursor.y;
        if y < self.top || y > self.bottom || !self.column_scrolls() {
            return;
        }
        if self.margins_narrow() {
            let (bottom, left, right) = (self.bottom, self.left, self.right + 1);
            self.scroll_rect_up(y, bottom, left, right, n);
            self.cursor.x = left;
            self.cursor.pending_wrap = false;
            return;
        }
        let n = n.min(self.bottom - y + 1);
        self.blank_cells_for_pen();
        for _ in 0..n {
            let mut row = self.grid.remove(usize::from(y)).expect("in range");
            reset_row(&mut row, &self.blank_cells, self.seq);
            self.grid.insert(usize::from(self.bottom), row);
        }
        self.stamp(y, self.bottom + 1);
        self.cursor.x = self.margin_left();
        self.cursor.pending_wrap = false;
    }
}

/// Blank a row for reuse at another position: `blanks` holds `cols` blank
/// cells to copy (a copy of a slice is a `memcpy`, a fill of a `Cell` is not).
fn reset_row(row: &mut Row, blanks: &[Cell], seq: u64) {
    if row.cells.len() == blanks.len() {
        row.cells.copy_from_slice(blanks);
    } else {
        row.cells.clear();
        row.cells.extend_from_slice(blanks);
    }
    row.combining.clear();
    row.wrapped = false;
    row.seq = seq;
}
