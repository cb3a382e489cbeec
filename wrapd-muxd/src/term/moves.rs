//! Moving the cursor: CR, CUP and the relative moves, tabs, the scroll
//! region's reset of it, DECSC/DECRC.

use super::charset::Charsets;
use super::cursor::{CursorPos, Saved};
use super::state::State;

impl State {
    /// CR: to the left margin (to column 0 from left of it, outside origin mode).
    pub fn carriage_return(&mut self) {
        let left = self.margin_left();
        self.cursor.x = if self.flags.origin || self.cursor.x >= left {
            left
        } else {
            0
        };
        self.cursor.pending_wrap = false;
        self.moved();
    }
    /// Move to column `x`, row `y` (screen coordinates), clamped.
    pub fn goto(&mut self, x: u16, y: u16) {
        self.cursor.x = x.min(self.cols - 1);
        self.cursor.y = y.min(self.rows - 1);
        self.cursor.pending_wrap = false;
        self.moved();
    }

    /// CUP / HVP with 0-based row and column, honouring origin mode (from
    /// the region's top and the left margin, and not past them).
    pub fn goto_origin(&mut self, x: u16, y: u16) {
        if self.flags.origin {
            let y = self.top.saturating_add(y).min(self.bottom);
            let left = self.margin_left();
            let right = if self.flags.lr_margins {
                self.right
            } else {
                self.cols - 1
            };
            self.goto(left.saturating_add(x).min(right), y);
        } else {
            self.goto(x, y);
        }
    }

    /// The cursor's position as origin mode counts it (column, row).
    pub fn cursor_from_origin(&self) -> (u16, u16) {
        if self.flags.origin {
            (
                self.cursor.x.saturating_sub(self.margin_left()),
                self.cursor.y.saturating_sub(self.top),
            )
        } else {
            (self.cursor.x, self.cursor.y)
        }
    }

    /// Rows up (negative) or down, stopping at the region's edge when inside it.
    pub fn move_rows(&mut self, dy: i32) {
        let y = i32::from(self.cursor.y);
        let (min, max) = if (self.top..=self.bottom).contains(&self.cursor.y) {
            (i32::from(self.top), i32::from(self.bottom))
        } else {
            (0, i32::from(self.rows) - 1)
        };
        let ny = (y + dy).clamp(min, max) as u16;
        let x = self.cursor.x;
        self.goto(x, ny);
    }

    /// CUF: right, not past the right margin (if left of it).
    pub fn cursor_forward(&mut self, n: u16) {
        let edge = if self.flags.lr_margins && self.cursor.x <= self.right {
            self.right
        } else {
            self.cols - 1
        };
        let (x, y) = (self.cursor.x.saturating_add(n).min(edge), self.cursor.y);
        self.goto(x, y);
    }

    /// BS and CUB: left `n` columns, not past the left margin (if right of
    /// it). With reverse wraparound (mode 45, and autowrap) a pending wrap
    /// counts as one step, and from the left margin the cursor goes on at
    /// the right margin of the row above if that row wrapped onto this one
    /// (never above the region's top), as in xterm.
    pub fn cursor_back(&mut self, n: u16) {
        let reverse = self.flags.reverse_wrap && self.flags.autowrap;
        let (mut x, mut y) = (i32::from(self.cursor.x), self.cursor.y);
        let left = i32::from(self.margin_left());
        let left = if x < left { 0 } else { left };
        let right = if self.flags.lr_margins {
            self.right
        } else {
            self.cols - 1
        };
        let mut steps = i32::from(n);
        if reverse && self.cursor.pending_wrap {
            steps -= 1;
        }
        x -= steps;
        while x < left {
            if reverse && y <= self.top {
                (x, y) = (left, self.top);
                break;
            }
            if !reverse || !self.grid[usize::from(y - 1)].wrapped {
                x = left;
                break;
            }
            y -= 1;
            x += i32::from(right) + 1 - left;
        }
        self.goto(x as u16, y);
    }

    pub fn backspace(&mut self) {
        self.cursor_back(1);
    }

    /// HT / CHT: to the `n`th next tab stop, or the right margin (if left of
    /// it) or the last column. A pending wrap stays pending, as in xterm
    /// (the cursor is at the edge already).
    pub fn tab(&mut self, n: u16) {
        let edge = self.wrap_edge(self.cursor.x) - 1;
        for _ in 0..n.min(self.cols) {
            let from = usize::from(self.cursor.x) + 1;
            let next = self.tabs[from.min(self.tabs.len())..]
                .iter()
                .position(|&t| t);
            self.cursor.x = next.map_or(edge, |i| (from + i) as u16).min(edge);
        }
        self.moved();
    }

    /// CBT: to the `n`th previous tab stop, or column 0 (the left margin in
    /// origin mode). As in xterm, a pending wrap stays pending: the next
    /// character still goes on the next row.
    pub fn back_tab(&mut self, n: u16) {
        let edge = if self.flags.origin {
            self.margin_left()
        } else {
            0
        };
        for _ in 0..n.min(self.cols) {
            let x = usize::from(self.cursor.x);
            let stop = self.tabs[..x].iter().rposition(|&t| t).unwrap_or(0) as u16;
            self.cursor.x = stop.max(edge);
        }
        self.moved();
    }

    pub fn set_region(&mut self, top: u16, bottom: u16) {
        let bottom = bottom.min(self.rows - 1);
        if top >= bottom {
            return;
        }
        self.top = top;
        self.bottom = bottom;
        self.goto_origin(0, 0);
    }

    pub fn save_cursor(&mut self) {
        let slot = usize::from(self.alt());
        self.saved[slot] = Saved {
            cursor: self.cursor,
            pen: self.pen,
            link: self.link,
            origin: self.flags.origin,
            charsets: Charsets {
                single_shift: 0,
                ..self.charsets
            },
        };
    }

    pub fn restore_cursor(&mut self) {
        let s = self.saved[usize::from(self.alt())];
        self.cursor = CursorPos {
            x: s.cursor.x.min(self.cols - 1),
            y: s.cursor.y.min(self.rows - 1),
            pending_wrap: s.cursor.pending_wrap,
        };
        self.pen = s.pen;
        self.link = s.link;
        self.flags.origin = s.origin;
        self.charsets = Charsets {
            single_shift: self.charsets.single_shift,
            ..s.charsets
        };
        self.moved();
    }
}
