//! The terminal's state and the operations the parser performs on it: print,
//! move, scroll, erase (switching screens, resizing and resets are in
//! screens.rs). Every change stamps the rows it touches with the current
//! sequence number and marks the state dirty.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use super::blocks::Blocks;
use super::colors::Colors;
use super::grid::{Cell, Row};
use super::history::History;
use super::margins::shift_cells;
use super::print::PENDING_TEXT_MAX;
use super::rect::Erase;
use super::style::Style;
use super::{CursorShape, MouseEncoding, MouseTracking, TermConfig, TermEvent};

/// Hyperlinks kept at most; later ones are shown without their target.
pub(super) const MAX_LINKS: usize = 1024;
/// A hyperlink target longer than this is dropped.
pub(crate) const MAX_LINK_LEN: usize = 2048;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Charset {
    #[default]
    Ascii,
    /// DEC special graphics: line drawing.
    DecGraphics,
}

impl Charset {
    #[inline]
    pub fn map(self, c: char) -> char {
        if self == Charset::Ascii || !('\x5f'..='\x7e').contains(&c) {
            return c;
        }
        const DEC: [char; 32] = [
            ' ', '◆', '▒', '␉', '␌', '␍', '␊', '°', '±', '␤', '␋', '┘', '┐', '┌', '└', '┼', '⎺',
            '⎻', '─', '⎼', '⎽', '├', '┤', '┴', '┬', '│', '≤', '≥', 'π', '≠', '£', '·',
        ];
        DEC[c as usize - 0x5f]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct CursorPos {
    pub x: u16,
    pub y: u16,
    /// Printed in the last column: the next character wraps first (DECAWM).
    pub pending_wrap: bool,
}

/// What DECSC saves.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Saved {
    pub cursor: CursorPos,
    pub pen: Style,
    pub link: u16,
    pub origin: bool,
    pub charsets: [Charset; 2],
    pub gl: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Flags {
    pub origin: bool,
    pub autowrap: bool,
    pub insert: bool,
    /// LNM: a line feed also returns the carriage.
    pub newline: bool,
    pub app_cursor: bool,
    pub app_keypad: bool,
    pub bracketed_paste: bool,
    pub mouse_tracking: MouseTracking,
    pub mouse_encoding: MouseEncoding,
    pub focus_events: bool,
    pub cursor_visible: bool,
    pub cursor_shape: CursorShape,
    pub cursor_blink: bool,
    pub synchronized: bool,
    /// Mode 2027: a cell holds a whole grapheme cluster (see cluster.rs).
    pub clusters: bool,
    /// DECLRMM (mode 69): left and right margins (see margins.rs).
    pub lr_margins: bool,
    /// Mode 45: backspace at the left edge goes to the end of the row above.
    pub reverse_wrap: bool,
    /// Mode 40: DECCOLM is allowed.
    pub allow_column_mode: bool,
    /// DECCOLM (mode 3): the program asked for 132 columns.
    pub column_mode: bool,
    /// DECNCSM (mode 95): DECCOLM does not clear the screen.
    pub keep_screen_on_column_mode: bool,
}

impl Default for Flags {
    fn default() -> Self {
        Flags {
            origin: false,
            autowrap: true,
            insert: false,
            newline: false,
            app_cursor: false,
            app_keypad: false,
            bracketed_paste: false,
            mouse_tracking: MouseTracking::None,
            mouse_encoding: MouseEncoding::Default,
            focus_events: false,
            cursor_visible: true,
            cursor_shape: CursorShape::Default,
            cursor_blink: false,
            synchronized: false,
            clusters: true,
            lr_margins: false,
            reverse_wrap: false,
            allow_column_mode: false,
            column_mode: false,
            keep_screen_on_column_mode: false,
        }
    }
}

/// OSC 8 targets by id (id 0 is "no link").
#[derive(Default)]
pub(crate) struct Links {
    targets: Vec<Arc<str>>,
    ids: HashMap<Arc<str>, u16>,
}

impl Links {
    pub fn id(&mut self, target: &str) -> u16 {
        if let Some(&id) = self.ids.get(target) {
            return id;
        }
        if self.targets.len() >= MAX_LINKS || target.len() > MAX_LINK_LEN {
            return 0;
        }
        let t: Arc<str> = Arc::from(target);
        self.targets.push(t.clone());
        let id = self.targets.len() as u16;
        self.ids.insert(t, id);
        id
    }

    pub fn get(&self, id: u16) -> Option<&Arc<str>> {
        self.targets.get(usize::from(id).checked_sub(1)?)
    }

    /// Every target, in the order of their ids (from 1).
    pub fn targets(&self) -> &[Arc<str>] {
        &self.targets
    }
}

pub(crate) struct State {
    pub cols: u16,
    pub rows: u16,
    /// The screen shown: exactly `rows` rows.
    pub grid: VecDeque<Row>,
    /// The primary screen while the alternate one is shown.
    pub primary: Option<VecDeque<Row>>,
    pub history: History,
    /// Rows that ever scrolled off the primary screen: the stable index of the
    /// screen's top row.
    pub screen_start: u64,
    pub cursor: CursorPos,
    /// The style new characters get.
    pub pen: Style,
    pub link: u16,
    /// DECSC slots: primary screen, alternate screen.
    pub saved: [Saved; 2],
    /// Scroll region, inclusive.
    pub top: u16,
    pub bottom: u16,
    /// Left and right margins, inclusive (the whole width unless DECLRMM).
    pub left: u16,
    pub right: u16,
    pub tabs: Vec<bool>,
    pub flags: Flags,
    pub charsets: [Charset; 2],
    /// Which charset is in GL (SI/SO).
    pub gl: usize,
    pub title: String,
    /// Sequence number of the change that set `title` (0: never set): a
    /// share hides a title set before it started.
    pub title_seq: u64,
    /// Titles saved by XTWINOPS 22, newest last.
    pub title_stack: Vec<String>,
    /// Colours the program set (OSC 4, 5, 10-19), for its queries.
    pub colors: Colors,
    /// SPA/EPA protection (ISO) was the last turned on: every erase keeps
    /// protected characters, not only selective ones (see rect.rs).
    pub iso_protection: bool,
    /// DECSACE 2: DECCARA/DECRARA change a rectangle, not a run of text.
    pub rect_attrs_exact: bool,
    /// The DECRQSS request being received (`DCS $ q`), if one is.
    pub setting_request: Option<Vec<u8>>,
    pub cwd: Option<String>,
    /// Sequence number of the change that set `cwd` to what it is.
    pub cwd_seq: u64,
    pub links: Links,
    pub replies: Vec<u8>,
    /// S8C1T: answers go with 8-bit controls (until S7C1T or RIS).
    pub eight_bit_replies: bool,
    pub events: Vec<TermEvent>,
    /// The sequence number changes are stamped with now (committed + 1).
    pub seq: u64,
    /// Something changed since the last commit.
    pub dirty: bool,
    /// The last printed character, for REP.
    pub last_char: Option<char>,
    /// `cols` cells blanked with the pen's background, to reset rows from
    /// (see `blank_cells_for_pen`).
    pub blank_cells: Vec<Cell>,
    /// Printable ASCII from the parser not yet written (see `print`): the
    /// first `pending_len` bytes.
    pub pending_text: Box<[u8; PENDING_TEXT_MAX]>,
    pub pending_len: usize,
    /// A cluster's text while its width is worked out (kept: no allocation
    /// per character).
    pub cluster_text: String,
    /// Tests only: print every character through the reference path.
    #[cfg(test)]
    pub char_by_char: bool,
    /// The commands found by the shell integration's marks.
    pub blocks: Blocks,
}

pub(super) fn default_tabs(cols: u16) -> Vec<bool> {
    (0..cols).map(|x| x % 8 == 0 && x != 0).collect()
}

impl State {
    pub fn new(cols: u16, rows: u16, config: TermConfig) -> State {
        let (cols, rows) = (cols.max(1), rows.max(1));
        State {
            cols,
            rows,
            grid: (0..rows).map(|_| Row::new(cols, 1)).collect(),
            primary: None,
            history: History::new(config.scrollback_lines, config.scrollback_bytes),
            screen_start: 0,
            cursor: CursorPos::default(),
            pen: Style::default(),
            link: 0,
            saved: [Saved::default(); 2],
            top: 0,
            bottom: rows - 1,
            left: 0,
            right: cols - 1,
            tabs: default_tabs(cols),
            flags: Flags::default(),
            charsets: [Charset::Ascii; 2],
            gl: 0,
            title: String::new(),
            title_seq: 0,
            title_stack: Vec::new(),
            colors: Colors::default(),
            setting_request: None,
            iso_protection: false,
            rect_attrs_exact: false,
            cwd: None,
            cwd_seq: 0,
            links: Links::default(),
            replies: Vec::new(),
            eight_bit_replies: false,
            events: Vec::new(),
            seq: 1,
            dirty: true,
            last_char: None,
            blank_cells: Vec::new(),
            pending_text: Box::new([0; PENDING_TEXT_MAX]),
            pending_len: 0,
            cluster_text: String::new(),
            #[cfg(test)]
            char_by_char: false,
            blocks: Blocks::default(),
        }
    }

    pub fn alt(&self) -> bool {
        self.primary.is_some()
    }

    /// Row `y` of the screen, stamped as changed.
    #[inline]
    pub fn row_mut(&mut self, y: u16) -> &mut Row {
        self.dirty = true;
        let (cols, seq) = (self.cols, self.seq);
        let row = &mut self.grid[usize::from(y)];
        row.touch(cols, seq);
        row
    }

    /// Make `blank_cells` the blank rows are reset to now.
    fn blank_cells_for_pen(&mut self) {
        let blank = Cell::blank(self.pen);
        let cols = usize::from(self.cols);
        if self.blank_cells.len() != cols || self.blank_cells.first() != Some(&blank) {
            self.blank_cells.clear();
            self.blank_cells.resize(cols, blank);
        }
    }

    /// Stamp rows `from..to` as changed (their index or content changed).
    pub fn stamp(&mut self, from: u16, to: u16) {
        for y in from..to.min(self.rows) {
            self.row_mut(y);
        }
    }

    /// The cursor moved (or a mode changed): not a row change, but a change.
    #[inline]
    pub fn moved(&mut self) {
        self.dirty = true;
    }

    // ----- line feeds and scrolling -----------------------------------------------

    /// Whether the cursor's column is one the scroll region's scrolling
    /// moves (outside the left/right margins, IND and RI only move it).
    #[inline]
    fn column_scrolls(&self) -> bool {
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
    fn push_screen_to_history(&mut self) {
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

    // ----- erasing ---------------------------------------------------------------

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

    // ----- cursor ----------------------------------------------------------------

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
            charsets: self.charsets,
            gl: self.gl,
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
        self.charsets = s.charsets;
        self.gl = s.gl;
        self.moved();
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
