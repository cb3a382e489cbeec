//! Erasing and editing within the screen: ED, EL, ECH, DCH, ICH, DECALN.

use super::grid::Cell;
use super::margins::shift_cells;
use super::rect::Erase;
use super::state::State;

impl State {
    /// ED: 0 below, 1 above, 2 all, 3 history.
    pub fn erase_display(&mut self, mode: u16) {
        if self.iso_protection && mode <= 2 {
            self.erase_display_as(mode, Erase::Normal);
            return;
        }
        let (x, y, pen, cols) = (
            self.cursor.x,
            self.cursor.y,
            self.pen,
            usize::from(self.cols),
        );
        match mode {
            0 if x == 0 && y == 0 => {
                self.push_screen_to_history();
                for r in 0..self.rows {
                    self.clear_row(r);
                }
            }
            0 => {
                let row = self.row_mut(y);
                row.erase(usize::from(x), cols, pen);
                row.wrapped = false;
                for r in y + 1..self.rows {
                    self.clear_row(r);
                }
            }
            1 => {
                for r in 0..y {
                    self.clear_row(r);
                }
                self.row_mut(y).erase(0, usize::from(x) + 1, pen);
            }
            2 => {
                self.push_screen_to_history();
                for r in 0..self.rows {
                    self.clear_row(r);
                }
            }
            3 => {
                self.history.clear();
                self.dirty = true;
            }
            _ => {}
        }
        self.cursor.pending_wrap = false;
    }

    fn clear_row(&mut self, y: u16) {
        let (pen, cols) = (self.pen, usize::from(self.cols));
        let row = self.row_mut(y);
        row.erase(0, cols, pen);
        row.wrapped = false;
    }

    /// EL: 0 right, 1 left, 2 all. As in xterm, erasing to the right ends a
    /// soft wrap (the row no longer reaches its end); the others keep it.
    pub fn erase_line(&mut self, mode: u16) {
        if self.iso_protection {
            self.erase_line_as(mode, Erase::Normal);
            return;
        }
        let (x, y, pen, cols) = (
            usize::from(self.cursor.x),
            self.cursor.y,
            self.pen,
            usize::from(self.cols),
        );
        let row = self.row_mut(y);
        match mode {
            0 => {
                row.erase(x, cols, pen);
                row.wrapped = false;
            }
            1 => row.erase(0, x + 1, pen),
            2 => row.erase(0, cols, pen),
            _ => {}
        }
        self.cursor.pending_wrap = false;
    }

    /// ECH: blank `n` cells from the cursor; the row's soft wrap ends (as in
    /// xterm).
    pub fn erase_chars(&mut self, n: u16) {
        let (x, y) = (usize::from(self.cursor.x), self.cursor.y);
        self.erase_cells(y, x, x + usize::from(n.max(1)), Erase::Normal);
        self.row_mut(y).wrapped = false;
        self.cursor.pending_wrap = false;
    }

    /// DCH: delete `n` cells at the cursor, up to the right margin (nothing
    /// outside the left/right margins); the row's soft wrap ends (as in
    /// xterm).
    pub fn delete_chars(&mut self, n: u16) {
        self.shift_chars(n, false);
    }

    /// ICH: insert `n` blank cells at the cursor, likewise.
    pub fn insert_chars(&mut self, n: u16) {
        self.shift_chars(n, true);
    }

    fn shift_chars(&mut self, n: u16, insert: bool) {
        self.cursor.pending_wrap = false;
        if !self.column_scrolls() {
            return;
        }
        let (x, y, pen) = (self.cursor.x, self.cursor.y, self.pen);
        let end = usize::from(self.wrap_edge(x));
        let row = self.row_mut(y);
        shift_cells(row, usize::from(x), usize::from(n.max(1)), end, pen, insert);
        if !insert {
            row.wrapped = false;
        }
    }

    /// DECALN: fill the screen with `E`.
    pub fn screen_alignment(&mut self) {
        for y in 0..self.rows {
            let row = self.row_mut(y);
            row.cells.fill(Cell {
                ch: 'E',
                ..Cell::default()
            });
            row.combining.clear();
        }
        self.top = 0;
        self.bottom = self.rows - 1;
        self.goto(0, 0);
    }
}
