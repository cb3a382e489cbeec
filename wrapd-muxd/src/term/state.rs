//! The terminal's state: the screens, the cursor, the modes and what the
//! parser collects. Its operations are beside it, by what they do: printing
//! (run.rs for runs of text, print.rs for the rest), scrolling and line feeds (scroll.rs), erasing and editing
//! (edit.rs), cursor moves (moves.rs), switching screens, resizing and
//! resets (screens.rs). Every change stamps the rows it touches with the
//! current sequence number and marks the state dirty.

use std::collections::VecDeque;

use super::blocks::Blocks;
use super::charset::Charsets;
use super::colors::Colors;
use super::cursor::{CursorPos, Saved};
use super::grid::{Cell, Row};
use super::history::History;
use super::links::Links;
use super::modes::Flags;
use super::run::PENDING_TEXT_MAX;
use super::style::Style;
use super::{TermConfig, TermEvent};

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
    /// G0–G3, GL, GR and a single shift (see charset.rs).
    pub charsets: Charsets,
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
    /// Text from the parser not yet written (see `print`): the first
    /// `pending_len` entries (run.rs's `run_entry`).
    pub pending_text: Box<[u32; PENDING_TEXT_MAX]>,
    pub pending_len: usize,
    /// Whether any of them is not ASCII.
    pub pending_mixed: bool,
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
            charsets: Charsets::default(),
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
            pending_mixed: false,
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
}
