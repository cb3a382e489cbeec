//! The terminal model: what a session's screen and history look like.
//!
//! No async and no I/O: feed it the bytes a program writes with [`Term::feed`],
//! then read the screen, the history, the cursor and the modes. Every change is
//! stamped with a sequence number so that clients can ask "what changed since
//! N" (see [`Term::changed_since`]).
//!
//! Rows are addressed by a stable [`RowIndex`]: it counts every row that ever
//! scrolled off the top of the primary screen into history, so a row keeps its
//! index while it moves from the screen into history and after older history is
//! trimmed. Screen row `y` is `screen_start() + y`.
//!
//! Layout:
//! - `style`: colours and attributes of a cell.
//! - (the rest is private: grid, compact history, the `vte` performer.)

mod style;

pub use style::{Attrs, Color, Style};

use std::sync::Arc;

/// Stable index of a row: see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct RowIndex(pub u64);

/// Limits of a terminal's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TermConfig {
    /// Rows kept in history at most.
    pub scrollback_lines: usize,
    /// Bytes (approximate, of the compact representation) kept in history at most.
    pub scrollback_bytes: usize,
}

impl Default for TermConfig {
    fn default() -> Self {
        TermConfig {
            scrollback_lines: 100_000,
            scrollback_bytes: 64 << 20,
        }
    }
}

/// A run of cells with one style, as sent to clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The graphemes of the run; zero-width characters follow their base.
    pub text: String,
    pub style: Style,
    /// Every grapheme of `text` takes two columns.
    pub wide: bool,
    /// OSC 8 hyperlink target.
    pub link: Option<Arc<str>>,
}

/// One row, from column 0; trailing blank default-styled cells are left out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Line {
    pub spans: Vec<Span>,
    /// Soft-wrapped: the text continues on the next row.
    pub wrapped: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CursorShape {
    #[default]
    Default,
    Block,
    Underline,
    Bar,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cursor {
    pub col: u16,
    pub row: u16,
    pub visible: bool,
    pub shape: CursorShape,
    pub blinking: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MouseTracking {
    #[default]
    None,
    X10,
    Normal,
    Button,
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MouseEncoding {
    #[default]
    Default,
    Utf8,
    Sgr,
    Urxvt,
}

/// Modes that change what a client must send to the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Modes {
    pub application_cursor: bool,
    pub application_keypad: bool,
    pub bracketed_paste: bool,
    pub mouse_tracking: MouseTracking,
    pub mouse_encoding: MouseEncoding,
    pub focus_events: bool,
    pub alternate_screen: bool,
}

/// Something the program did that is an event rather than state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TermEvent {
    Bell,
    /// OSC 52 set-clipboard, decoded from base64.
    Clipboard {
        selection: String,
        data: Vec<u8>,
    },
}

/// A search hit: the row, the column of its first cell, its width in cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    pub row: RowIndex,
    pub col: u16,
    pub len: u16,
}

/// A terminal: screen(s), history, cursor, modes.
pub struct Term {
    _private: (),
}

impl Term {
    /// A blank terminal; sizes are clamped to at least 1×1.
    pub fn new(cols: u16, rows: u16, config: TermConfig) -> Term {
        let _ = (cols, rows, config);
        todo!("term model")
    }

    /// Parse and apply bytes written by the program. Never fails.
    pub fn feed(&mut self, bytes: &[u8]) {
        let _ = bytes;
        todo!()
    }

    /// Bytes the terminal must send back to the program (answers to DA1, DA2,
    /// DSR, DECRQM, ...), in order, since the last call.
    pub fn take_replies(&mut self) -> Vec<u8> {
        todo!()
    }

    /// Events since the last call.
    pub fn take_events(&mut self) -> Vec<TermEvent> {
        todo!()
    }

    /// Resize; sizes are clamped to at least 1×1. Nothing already written is lost.
    pub fn resize(&mut self, cols: u16, rows: u16) {
        let _ = (cols, rows);
        todo!()
    }

    pub fn cols(&self) -> u16 {
        todo!()
    }

    pub fn rows(&self) -> u16 {
        todo!()
    }

    /// Close the current batch of changes. If anything changed since the last
    /// commit (rows, cursor, modes, title, size...), returns the batch's sequence
    /// number; later changes get a higher one. Sequence numbers start at 1.
    pub fn commit(&mut self) -> Option<u64> {
        todo!()
    }

    /// Mark the terminal changed without changing it, so the next `commit`
    /// returns a new sequence number (the session's own state changed: a bell,
    /// a client attached, a rename).
    pub fn touch(&mut self) {
        todo!()
    }

    /// The last committed sequence number (0 before the first commit).
    pub fn committed_seq(&self) -> u64 {
        todo!()
    }

    /// Stable indices of the rows (history or screen) at or after `from` whose
    /// content changed after sequence number `since`, ascending.
    pub fn changed_since(&self, since: u64, from: RowIndex) -> Vec<RowIndex> {
        let _ = (since, from);
        todo!()
    }

    /// A row of history or of the visible screen; `None` if trimmed or beyond.
    pub fn line(&self, index: RowIndex) -> Option<Line> {
        let _ = index;
        todo!()
    }

    /// Index of the visible screen's top row.
    pub fn screen_start(&self) -> RowIndex {
        todo!()
    }

    /// Index of the oldest row still kept in history (== screen_start when empty).
    pub fn history_start(&self) -> RowIndex {
        todo!()
    }

    pub fn cursor(&self) -> Cursor {
        todo!()
    }

    pub fn modes(&self) -> Modes {
        todo!()
    }

    /// Window title (OSC 0/2).
    pub fn title(&self) -> &str {
        todo!()
    }

    /// Working directory reported by OSC 7 (the path part, percent-decoded).
    pub fn cwd(&self) -> Option<&str> {
        todo!()
    }

    /// The screen (and with `scrollback`, the history before it) as text, one
    /// line per row, trailing blanks trimmed; with `ansi`, SGR sequences keep
    /// colours and attributes (like `tmux capture-pane -p [-e]`).
    pub fn capture(&self, scrollback: bool, ansi: bool) -> String {
        let _ = (scrollback, ansi);
        todo!()
    }

    /// Find `query` in rows before (`backwards`) or after `from` (exclusive).
    pub fn search(
        &self,
        query: &str,
        from: RowIndex,
        backwards: bool,
        case_sensitive: bool,
    ) -> Option<Match> {
        let _ = (query, from, backwards, case_sensitive);
        todo!()
    }
}
