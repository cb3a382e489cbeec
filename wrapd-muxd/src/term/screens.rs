//! Switching screens, resizing and resetting: the operations that replace
//! the grid or many of its rows at once.

use std::collections::VecDeque;

use super::charset::Charsets;
use super::cursor::Saved;
use super::grid::{Cell, Row};
use super::modes::Flags;
use super::state::{State, default_tabs};
use super::style::Style;

impl State {
    /// Switch to the alternate screen (or back). 1049 also saves the cursor and
    /// clears the alternate screen; 47/1047 do not save.
    pub fn set_alternate(&mut self, on: bool, save_cursor: bool, clear: bool) {
        if on == self.alt() {
            return;
        }
        if on {
            self.note_full_screen();
            if save_cursor {
                self.save_cursor();
            }
            let fresh = (0..self.rows)
                .map(|_| Row::new(self.cols, self.seq))
                .collect();
            self.primary = Some(std::mem::replace(&mut self.grid, fresh));
            if clear {
                self.cursor.pending_wrap = false;
            }
        } else {
            let primary = self.primary.take().expect("on the alternate screen");
            self.grid = primary;
            if save_cursor {
                self.restore_cursor();
            }
        }
        // Every row of the screen is another row now.
        self.stamp(0, self.rows);
    }

    // ----- resize ----------------------------------------------------------------

    pub fn resize(&mut self, cols: u16, rows: u16) {
        let (cols, rows) = (cols.max(1), rows.max(1));
        if (cols, rows) == (self.cols, self.rows) {
            return;
        }
        if cols != self.cols {
            self.cols = cols;
            self.tabs = default_tabs(cols);
            for row in self
                .grid
                .iter_mut()
                .chain(self.primary.iter_mut().flatten())
            {
                if row.cells.len() < usize::from(cols) {
                    row.cells.resize(usize::from(cols), Cell::default());
                }
            }
        }
        if rows != self.rows {
            let mut primary = self.primary.take();
            match &mut primary {
                // On the alternate screen: it is cut or extended at the bottom, and
                // the primary screen beneath changes height as if shown.
                Some(p) => {
                    resize_alternate(&mut self.grid, rows, cols, self.seq);
                    let cursor_y = self.saved[0].cursor.y;
                    let shift = self.resize_primary(p, rows, cursor_y);
                    self.saved[0].cursor.y =
                        (i32::from(cursor_y) + shift).clamp(0, i32::from(rows) - 1) as u16;
                }
                None => {
                    let mut grid = std::mem::take(&mut self.grid);
                    let shift = self.resize_primary(&mut grid, rows, self.cursor.y);
                    self.grid = grid;
                    self.cursor.y =
                        (i32::from(self.cursor.y) + shift).clamp(0, i32::from(rows) - 1) as u16;
                }
            }
            self.primary = primary;
            self.rows = rows;
        }
        self.top = 0;
        self.bottom = self.rows - 1;
        self.left = 0;
        self.right = cols - 1;
        self.cursor.x = self.cursor.x.min(cols - 1);
        self.cursor.y = self.cursor.y.min(self.rows - 1);
        self.cursor.pending_wrap = false;
        for s in &mut self.saved {
            s.cursor.x = s.cursor.x.min(cols - 1);
            s.cursor.y = s.cursor.y.min(self.rows - 1);
        }
        let seq = self.seq;
        for row in self
            .grid
            .iter_mut()
            .chain(self.primary.iter_mut().flatten())
        {
            row.seq = seq;
        }
        self.dirty = true;
    }

    /// Change the primary screen's height like tmux: shrinking drops blank rows
    /// below the cursor, then pushes rows from the top into history; growing
    /// pulls rows back from history, then adds blank rows. Returns how far the
    /// cursor's row moved.
    fn resize_primary(&mut self, grid: &mut VecDeque<Row>, rows: u16, cursor_y: u16) -> i32 {
        let (old, new) = (grid.len(), usize::from(rows));
        let mut shift = 0i32;
        if new < old {
            let mut excess = old - new;
            while excess > 0 && grid.len() > usize::from(cursor_y) + 1 {
                let last = grid.back().expect("not empty");
                if last.used_len(usize::from(self.cols)) != 0 {
                    break;
                }
                grid.pop_back();
                excess -= 1;
            }
            for _ in 0..excess {
                let row = grid.pop_front().expect("not empty");
                self.history.push(&row, usize::from(self.cols), row.seq);
                self.screen_start += 1;
                shift -= 1;
            }
        } else {
            for _ in 0..new - old {
                if self.screen_start > self.history.start() && self.history.len() > 0 {
                    let row = self.history.pop_back(self.cols).expect("history not empty");
                    grid.push_front(row);
                    self.screen_start -= 1;
                    shift += 1;
                } else {
                    grid.push_back(Row::new(self.cols, self.seq));
                }
            }
        }
        shift
    }

    /// DECCOLM (mode 3), when mode 40 allows it: as xterm, the margins go,
    /// the cursor goes home and the screen is cleared (unless DECNCSM, mode
    /// 95). The width stays the session's: it is the clients' terminals'
    /// (the mode is still reported as the program set it).
    pub fn set_column_mode(&mut self, on: bool) {
        if !self.flags.allow_column_mode {
            return;
        }
        self.flags.column_mode = on;
        self.top = 0;
        self.bottom = self.rows - 1;
        self.left = 0;
        self.right = self.cols - 1;
        if !self.flags.keep_screen_on_column_mode {
            self.erase_display(2);
        }
        self.goto(0, 0);
    }

    // ----- resets ----------------------------------------------------------------

    /// DECSTR: modes back to defaults, screen and history kept.
    pub fn soft_reset(&mut self) {
        self.flags = Flags {
            mouse_tracking: self.flags.mouse_tracking,
            mouse_encoding: self.flags.mouse_encoding,
            focus_events: self.flags.focus_events,
            bracketed_paste: self.flags.bracketed_paste,
            // DECNRCM stays, as in xterm.
            national: self.flags.national,
            ..Flags::default()
        };
        self.pen = Style::default();
        self.link = 0;
        self.top = 0;
        self.bottom = self.rows - 1;
        self.left = 0;
        self.right = self.cols - 1;
        self.charsets = Charsets::default();
        self.saved = [Saved::default(); 2];
        self.iso_protection = false;
        self.rect_attrs_exact = false;
        self.moved();
    }

    /// DECSCL (`CSI Pl ; Pc " p`): as in xterm, a soft reset, and above the
    /// VT100's level (61) answers with 7-bit controls (`Pc` 1) or 8-bit ones
    /// (0, 2). The level wrapd claims stays the VT220's (DA1 and DECRQSS
    /// say so).
    pub fn set_conformance_level(&mut self, level: u16, controls: u16) {
        if !(61..=65).contains(&level) {
            return;
        }
        self.soft_reset();
        if level > 61 {
            self.eight_bit_replies = controls != 1;
        }
    }

    /// RIS: everything back to the start, but history is kept (as tmux does).
    pub fn full_reset(&mut self) {
        if self.alt() {
            self.set_alternate(false, false, false);
        }
        self.soft_reset();
        self.flags = Flags::default();
        self.eight_bit_replies = false;
        self.tabs = default_tabs(self.cols);
        self.title.clear();
        self.title_seq = self.seq;
        self.title_stack.clear();
        self.colors.forget_program_colors();
        self.erase_display(2);
        self.goto(0, 0);
    }
}

fn resize_alternate(grid: &mut VecDeque<Row>, rows: u16, cols: u16, seq: u64) {
    let rows = usize::from(rows);
    grid.truncate(rows);
    while grid.len() < rows {
        grid.push_back(Row::new(cols, seq));
    }
}
