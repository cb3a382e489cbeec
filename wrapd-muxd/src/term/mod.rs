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
//! - `grid`: cells and screen rows.
//! - `cluster`: grapheme clusters: which characters share a cell, its width.
//! - `history`: the compact scrollback.
//! - `state`: the terminal's state (screens, cursor, pen, what the parser
//!   collects); `modes`: its modes; `cursor`: the cursor and what DECSC saves;
//!   `charset`: character sets; `links`: OSC 8 hyperlink targets.
//! - `scroll`, `edit`, `moves`, `screens`: its operations (line feeds and
//!   scrolling; erasing and editing; cursor moves; screens, resize, resets).
//! - `perform`: the `vte` performer mapping sequences to operations.
//! - `reports`: answers to queries (DA, DSR, DECRQM, DECRQSS, XTWINOPS).
//! - `colors`: colours programs set and ask for (OSC 4, 5, 10-19).
//! - `margins`: left/right margins, scrolling a rectangle, DECIC/DECDC.
//! - `rect`: rectangular-area operations, character protection.
//! - `print`: characters into cells (runs of ASCII at once), wrapping.
//! - `output`: rows as spans, capture text, search.
//! - `blocks`: the block segmenter (commands found by shell integration marks).
//! - `parser_tail`: what the parser holds between feeds, as bytes.
//! - `persist`, `persist_cells`, `persist_blocks`: saving the whole model and
//!   restoring it in another process (`wrapd-muxd upgrade`).

mod blocks;
mod charset;
mod cluster;
mod colors;
mod cursor;
mod edit;
mod grid;
mod history;
mod links;
mod margins;
mod modes;
mod moves;
mod output;
mod parser_tail;
mod perform;
mod persist;
mod persist_blocks;
mod persist_cells;
mod print;
mod rect;
mod reports;
mod run;
mod screens;
mod scroll;
mod state;
mod style;

pub use blocks::{Block, BlockEvent, BlockId, BlockState, MAX_BLOCKS, Mark, unescape_command};
pub use colors::TerminalLook;
pub use persist::{PersistError, STATE_VERSION};
pub use style::{Attrs, Color, Style};

use parser_tail::ParserTail;
use state::State;

use std::sync::Arc;

use wrapd_common::config::TerminalConfig;

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

/// The defaults of `[terminal]` in config.toml.
impl Default for TermConfig {
    fn default() -> Self {
        TermConfig::from(&TerminalConfig::default())
    }
}

impl From<&TerminalConfig> for TermConfig {
    fn from(t: &TerminalConfig) -> Self {
        TermConfig {
            scrollback_lines: t.scrollback_lines,
            scrollback_bytes: t.scrollback_bytes,
        }
    }
}

/// A run of cells with one style, as sent to clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The cells' text. A character of nonzero width starts a cell and
    /// characters of width zero join it, unless `cluster` is set.
    pub text: String,
    pub style: Style,
    /// Every cell of the run takes two columns.
    pub wide: bool,
    /// `text` is one cell: a grapheme cluster that the rule above would cut
    /// into several (an emoji ZWJ sequence, a flag...).
    pub cluster: bool,
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
    /// A block started or finished.
    Block(BlockEvent),
    /// A command started with no prompt mark before it, in a shell whose
    /// integration is ours: its prompt lost the marks (see `shell/bash.sh`).
    PromptUnmarked,
}

/// A block's output as text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BlockOutput {
    pub text: String,
    /// Some of its rows were trimmed from history: the text lacks them.
    pub trimmed: bool,
}

/// A search hit: the row, the column of its first cell, its width in cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    pub row: RowIndex,
    pub col: u16,
    pub len: u16,
}

/// Bytes of one OSC string kept at most (an OSC 52 clipboard of ~48 KiB);
/// longer ones are cut (the parser's buffer is fixed, so no input grows it).
const OSC_MAX: usize = 64 * 1024;

/// A terminal: screen(s), history, cursor, modes.
pub struct Term {
    /// Boxed: the parser holds its OSC buffer inline.
    parser: Box<vte::Parser<OSC_MAX>>,
    state: State,
    /// The last committed sequence number.
    committed: u64,
    /// What the parser holds between two `feed`s (an open sequence, a cut
    /// character), as bytes.
    tail: ParserTail,
}

impl Term {
    /// A blank terminal; sizes are clamped to at least 1×1.
    pub fn new(cols: u16, rows: u16, config: TermConfig) -> Term {
        Term {
            parser: Box::new(vte::Parser::<OSC_MAX>::new_with_size()),
            state: State::new(cols, rows, config),
            committed: 0,
            tail: ParserTail::default(),
        }
    }

    /// Parse and apply bytes written by the program. Never fails.
    ///
    /// 8-bit controls are none in UTF-8, as in xterm's UTF-8 mode: a C1
    /// control written as UTF-8 (U+0080..U+009F) is nothing, and a raw C1
    /// byte is an invalid byte, shown as U+FFFD (see `execute`). vte would
    /// act on a whole C1 character as a control, so one (they all start with
    /// 0xC2, which plain text rarely holds: one fast search) goes in as a
    /// character cut between two calls, which reaches `Perform::print`, and
    /// that drops it — exactly as when the program's write cut it: a
    /// character left unfinished before it still shows as U+FFFD.
    pub fn feed(&mut self, bytes: &[u8]) {
        if !bytes.contains(&0xc2) {
            return self.feed_utf8(bytes);
        }
        let mut start = 0;
        for at in 0..bytes.len() - 1 {
            if bytes[at] == 0xc2 && (0x80..=0x9f).contains(&bytes[at + 1]) && at >= start {
                self.feed_utf8(&bytes[start..=at]);
                start = at + 1;
            }
        }
        self.feed_utf8(&bytes[start..]);
    }

    fn feed_utf8(&mut self, bytes: &[u8]) {
        // `vte` 0.15 completes a character cut between two calls from up to
        // three bytes of the next call, and skips all of them when they hold
        // more than the rest of that character (`é` cut, then `\xa9a\xcc`:
        // the `a` was lost). So the rest of a cut character goes in alone.
        let rest = self.tail.rest_of_cut_char(bytes);
        if rest > 0 {
            self.parser.advance(&mut self.state, &bytes[..rest]);
        }
        self.parser.advance(&mut self.state, &bytes[rest..]);
        self.state.flush_text();
        self.tail.fed(bytes, rest);
    }

    /// Bytes the terminal must send back to the program (answers to DA1, DA2,
    /// DSR, DECRQM, DECRQSS, colour queries...), in order, since the last call.
    pub fn take_replies(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.state.replies)
    }

    /// What the viewer's own terminal looks like (its client asked it): the
    /// program's colour and pixel-size queries answer with it, where the
    /// program set nothing of its own.
    pub fn set_terminal_look(&mut self, look: TerminalLook) {
        self.state.colors.viewer = look;
    }

    /// Events since the last call.
    pub fn take_events(&mut self) -> Vec<TermEvent> {
        std::mem::take(&mut self.state.events)
    }

    /// Resize; sizes are clamped to at least 1×1. Nothing already written is lost.
    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.state.resize(cols, rows);
    }

    pub fn cols(&self) -> u16 {
        self.state.cols
    }

    pub fn rows(&self) -> u16 {
        self.state.rows
    }

    /// Close the current batch of changes. If anything changed since the last
    /// commit (rows, cursor, modes, title, size...), returns the batch's sequence
    /// number; later changes get a higher one. Sequence numbers start at 1.
    pub fn commit(&mut self) -> Option<u64> {
        if !self.state.dirty {
            return None;
        }
        self.committed = self.state.seq;
        self.state.seq += 1;
        self.state.dirty = false;
        Some(self.committed)
    }

    /// Mark the terminal changed without changing it, so the next `commit`
    /// returns a new sequence number (the session's own state changed: a bell,
    /// a client attached, a rename).
    pub fn touch(&mut self) {
        self.state.dirty = true;
    }

    /// The last committed sequence number (0 before the first commit).
    pub fn committed_seq(&self) -> u64 {
        self.committed
    }

    /// Stable indices of the rows (history or screen) at or after `from` whose
    /// content changed after sequence number `since`, ascending.
    pub fn changed_since(&self, since: u64, from: RowIndex) -> Vec<RowIndex> {
        let s = &self.state;
        let mut out = Vec::new();
        let history_from = from.0.max(s.history.start());
        for i in history_from..s.screen_start {
            if s.history.seq(i).is_some_and(|seq| seq > since) {
                out.push(RowIndex(i));
            }
        }
        for (y, row) in s.grid.iter().enumerate() {
            let i = s.screen_start + y as u64;
            if i >= from.0 && row.seq > since {
                out.push(RowIndex(i));
            }
        }
        out
    }

    /// A row of history or of the visible screen; `None` if trimmed or beyond.
    pub fn line(&self, index: RowIndex) -> Option<Line> {
        let row = self.state.row_at(index)?;
        Some(output::row_line(
            row.row(),
            self.state.cols,
            &self.state.links,
        ))
    }

    /// Index of the visible screen's top row.
    pub fn screen_start(&self) -> RowIndex {
        RowIndex(self.state.screen_start)
    }

    /// Index of the oldest row still kept in history (== screen_start when empty).
    pub fn history_start(&self) -> RowIndex {
        RowIndex(self.state.first_row())
    }

    /// Approximate bytes the history holds.
    pub fn history_bytes(&self) -> usize {
        self.state.history.bytes()
    }

    pub fn cursor(&self) -> Cursor {
        let s = &self.state;
        Cursor {
            col: s.cursor.x,
            row: s.cursor.y,
            visible: s.flags.cursor_visible,
            shape: s.flags.cursor_shape,
            blinking: s.flags.cursor_blink,
        }
    }

    pub fn modes(&self) -> Modes {
        let f = &self.state.flags;
        Modes {
            application_cursor: f.app_cursor,
            application_keypad: f.app_keypad,
            bracketed_paste: f.bracketed_paste,
            mouse_tracking: f.mouse_tracking,
            mouse_encoding: f.mouse_encoding,
            focus_events: f.focus_events,
            alternate_screen: self.state.alt(),
        }
    }

    /// Window title (OSC 0/2).
    pub fn title(&self) -> &str {
        &self.state.title
    }

    /// Sequence number of the change that set the title (0: never set).
    pub fn title_seq(&self) -> u64 {
        self.state.title_seq
    }

    /// Sequence number of the change that set the working directory to what
    /// it is (0: never set).
    pub fn cwd_seq(&self) -> u64 {
        self.state.cwd_seq
    }

    /// On the alternate screen: the row of the primary screen beneath (its
    /// stable index) from which on it holds nothing yet — its cursor's row,
    /// or the row after its last written one if that is further down. `None`
    /// on the primary screen.
    pub fn primary_end(&self) -> Option<RowIndex> {
        let primary = self.state.primary.as_ref()?;
        let cols = usize::from(self.state.cols);
        let written = primary
            .iter()
            .rposition(|row| row.used_len(cols) != 0)
            .map_or(0, |y| y + 1);
        let cursor = usize::from(self.state.saved[0].cursor.y);
        Some(RowIndex(
            self.state.screen_start + written.max(cursor) as u64,
        ))
    }

    /// Working directory reported by OSC 7 (the path part, percent-decoded),
    /// or with the last command's start (see [`Term::cwd_with_commands`]).
    pub fn cwd(&self) -> Option<&str> {
        self.state.cwd.as_deref()
    }

    /// The shell reports its directory only as each command starts: a `cd`
    /// shows at the next command (the shell process knows it before).
    pub fn cwd_with_commands(&self) -> bool {
        self.state.blocks.cwd_with_commands()
    }

    /// The screen (and with `scrollback`, the history before it) as text, one
    /// line per row, trailing blanks trimmed; with `ansi`, SGR sequences keep
    /// colours and attributes (like `tmux capture-pane -p [-e]`).
    pub fn capture(&self, scrollback: bool, ansi: bool) -> String {
        self.state.capture(scrollback, ansi)
    }

    /// Set the clock (Unix milliseconds) that block times are taken from; the
    /// owner sets it before feeding, since the model does no I/O.
    pub fn set_clock(&mut self, now_ms: u64) {
        self.state.blocks.now_ms = now_ms;
    }

    /// The blocks kept, oldest first.
    pub fn blocks(&self) -> impl DoubleEndedIterator<Item = &Block> + ExactSizeIterator {
        self.state.blocks.list().iter()
    }

    /// A page of blocks, oldest first: the newest `limit` with an id below
    /// `before` (all when `None`), and whether older ones exist.
    pub fn blocks_page(&self, before: Option<BlockId>, limit: usize) -> (Vec<&Block>, bool) {
        let mut older = self
            .blocks()
            .rev()
            .filter(|b| before.is_none_or(|id| b.id < id));
        let mut page: Vec<&Block> = older.by_ref().take(limit).collect();
        let more = older.next().is_some();
        page.reverse();
        (page, more)
    }

    pub fn block(&self, id: BlockId) -> Option<&Block> {
        self.state.blocks.get(id)
    }

    /// What a block printed (so far, if it runs): plain, or with SGR sequences.
    pub fn block_output(&self, id: BlockId, ansi: bool) -> Option<BlockOutput> {
        let block = self.state.blocks.get(id)?;
        let end = self.state.output_end(block);
        let (text, trimmed) = self.state.text_between(block.output, end, ansi);
        Some(BlockOutput { text, trimmed })
    }

    /// The session is over: a block still running becomes interrupted.
    pub fn end_blocks(&mut self) {
        self.state.end_blocks();
    }

    /// Find `query` in rows before (`backwards`) or after `from` (exclusive).
    pub fn search(
        &self,
        query: &str,
        from: RowIndex,
        backwards: bool,
        case_sensitive: bool,
    ) -> Option<Match> {
        self.state.search(query, from, backwards, case_sensitive)
    }
}

#[cfg(test)]
mod charset_tests;
#[cfg(test)]
mod cluster_tests;
#[cfg(test)]
mod margins_tests;
#[cfg(test)]
mod persist_tests;
#[cfg(test)]
mod print_tests;
#[cfg(test)]
mod rect_tests;
#[cfg(test)]
mod reports_tests;
#[cfg(test)]
mod tests;
