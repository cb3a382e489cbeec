//! What a client is sent: a snapshot, then "what changed since" updates.
//!
//! The actor publishes a [`Pulse`] (the latest sequence number) on every change;
//! each client's sync task wakes on it and asks the actor for an [`Update`]
//! relative to the [`SyncPoint`] that client has reached. A client that is slow
//! to read simply asks less often and gets larger updates: nothing queues up.

use crate::pty::ExitStatus;
use crate::term::{Block, Cursor, Line, Modes, RowIndex, Term};

use super::{EndReason, Size};

/// Blocks a snapshot carries at most (the most recent ones).
const SNAPSHOT_BLOCKS: usize = 1000;
/// History rows a snapshot carries at most, whatever the client asks for (the
/// attach client asks for 1,000; rows further back are read on demand).
pub const MAX_HISTORY_ROWS: u32 = 100_000;

/// What the actor publishes through its `watch` channel.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pulse {
    /// The session's latest committed sequence number.
    pub seq: u64,
    /// Set once: the session is over, attach streams end.
    pub ended: Option<EndReason>,
}

/// How far a client has got: the last update's sequence number and screen top.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncPoint {
    pub seq: u64,
    pub screen_start: RowIndex,
}

/// Clipboard content a program set with OSC 52.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clipboard {
    pub selection: String,
    pub data: Vec<u8>,
    /// Sequence number of the commit that carried it.
    pub seq: u64,
}

/// Session state that is not in the terminal model.
#[derive(Debug, Clone)]
pub struct SessionMeta<'a> {
    pub name: &'a str,
    pub clients: u32,
    pub bell_count: u64,
    pub clipboard: Option<&'a Clipboard>,
    pub exited: Option<ExitStatus>,
}

/// One step of a session's state for one client (converted to the wire form by
/// the RPC layer).
#[derive(Debug, Clone)]
pub struct Update {
    pub seq: u64,
    /// The client must forget what it has: this is a snapshot.
    pub reset: bool,
    pub size: Size,
    pub screen_start: RowIndex,
    pub history_start: RowIndex,
    /// Changed rows, ascending by index.
    pub rows: Vec<(RowIndex, Line)>,
    pub cursor: Cursor,
    pub modes: Modes,
    pub title: String,
    pub cwd: String,
    /// Sequence numbers of the changes that set `title` and `cwd` (a share
    /// hides what was set before it started).
    pub title_seq: u64,
    pub cwd_seq: u64,
    /// On the alternate screen: where the primary screen beneath ends (see
    /// `Term::primary_end`).
    pub primary_end: Option<RowIndex>,
    pub bell_count: u64,
    /// Set by the program since the client's sync point (never replayed to a
    /// client that attaches later).
    pub clipboard: Option<(String, Vec<u8>)>,
    pub clients: u32,
    pub session_name: String,
    pub exited: Option<ExitStatus>,
    /// Blocks started or changed since the client's sync point (a snapshot:
    /// the most recent ones), ascending by id.
    pub blocks: Vec<Block>,
}

impl Update {
    pub fn point(&self) -> SyncPoint {
        SyncPoint {
            seq: self.seq,
            screen_start: self.screen_start,
        }
    }
}

/// Build the update that brings a client from `since` to the present.
///
/// With no `since` (or one the terminal cannot continue from) the update is a
/// snapshot: the screen plus up to `history_rows` rows of history (at most
/// [`MAX_HISTORY_ROWS`]). Otherwise it carries the rows changed since, going
/// back at most one screen into history (older rows a fast-scrolling program
/// pushed through are fetched on demand). No row below `oldest` is included:
/// a collaborator's rows start at their share's start, and a snapshot is
/// never built of rows that would be thrown away.
pub fn build_update(
    term: &Term,
    meta: &SessionMeta<'_>,
    since: Option<SyncPoint>,
    history_rows: u32,
    oldest: RowIndex,
) -> Update {
    let history_rows = history_rows.min(MAX_HISTORY_ROWS);
    let seq = term.committed_seq();
    let screen_start = term.screen_start();
    let history_start = term.history_start();
    let screen_rows = u64::from(term.rows());
    let screen_end = screen_start.0 + screen_rows;
    let resumable = since.filter(|p| p.seq > 0 && p.seq <= seq);

    let (reset, rows) = match resumable {
        Some(p) => {
            let oldest_catchup = screen_start.0.saturating_sub(screen_rows);
            let from = p
                .screen_start
                .0
                .min(screen_start.0)
                .max(oldest_catchup)
                .max(history_start.0)
                .max(oldest.0.min(screen_start.0));
            let rows = term
                .changed_since(p.seq, RowIndex(from))
                .into_iter()
                .filter(|i| i.0 < screen_end)
                .filter_map(|i| term.line(i).map(|l| (i, l)))
                .collect();
            (false, rows)
        }
        None => {
            let from = screen_start
                .0
                .saturating_sub(u64::from(history_rows))
                .max(history_start.0)
                .max(oldest.0.min(screen_start.0));
            let rows = (from..screen_end)
                .filter_map(|i| term.line(RowIndex(i)).map(|l| (RowIndex(i), l)))
                .collect();
            (true, rows)
        }
    };
    // Only the last block can change after a later one started, so blocks'
    // sequence numbers grow with their ids.
    let mut blocks: Vec<Block> = match resumable {
        Some(p) => term
            .blocks()
            .rev()
            .take_while(|b| b.seq > p.seq)
            .cloned()
            .collect(),
        None => term.blocks().rev().take(SNAPSHOT_BLOCKS).cloned().collect(),
    };
    blocks.reverse();
    let clipboard = meta
        .clipboard
        .filter(|c| resumable.is_some_and(|p| c.seq > p.seq))
        .map(|c| (c.selection.clone(), c.data.clone()));
    Update {
        seq,
        reset,
        size: Size {
            cols: term.cols(),
            rows: term.rows(),
        },
        screen_start,
        history_start,
        rows,
        cursor: term.cursor(),
        modes: term.modes(),
        title: term.title().to_owned(),
        cwd: term.cwd().unwrap_or_default().to_owned(),
        title_seq: term.title_seq(),
        cwd_seq: term.cwd_seq(),
        primary_end: term.primary_end(),
        bell_count: meta.bell_count,
        clipboard,
        clients: meta.clients,
        session_name: meta.name.to_owned(),
        exited: meta.exited,
        blocks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::term::TermConfig;

    fn meta() -> SessionMeta<'static> {
        SessionMeta {
            name: "s",
            clients: 1,
            bell_count: 0,
            clipboard: None,
            exited: None,
        }
    }

    fn scrolled_term(lines: usize) -> Term {
        let mut term = Term::new(20, 5, TermConfig::default());
        for i in 0..lines {
            term.feed(format!("line {i}\r\n").as_bytes());
        }
        term
    }

    #[test]
    fn a_snapshot_never_starts_below_the_oldest_row_asked_for() {
        let term = scrolled_term(50);
        let screen_start = term.screen_start().0;
        assert!(screen_start > 30, "the test needs history");
        let u = build_update(&term, &meta(), None, u32::MAX, RowIndex(30));
        assert_eq!(u.rows.first().map(|r| r.0.0), Some(30));
        // A start on the screen keeps the whole screen (the filter blanks it).
        let u = build_update(&term, &meta(), None, u32::MAX, RowIndex(u64::MAX));
        assert_eq!(u.rows.first().map(|r| r.0.0), Some(screen_start));
    }

    #[test]
    fn history_rows_are_capped_whatever_the_client_asks() {
        let config = TermConfig {
            scrollback_lines: MAX_HISTORY_ROWS as usize + 1000,
            scrollback_bytes: 256 << 20,
        };
        let mut term = Term::new(20, 5, config);
        term.feed("x\r\n".repeat(MAX_HISTORY_ROWS as usize + 500).as_bytes());
        let screen_start = term.screen_start().0;
        assert!(screen_start - term.history_start().0 > u64::from(MAX_HISTORY_ROWS));
        let u = build_update(&term, &meta(), None, u32::MAX, RowIndex(0));
        assert_eq!(
            u.rows.first().map(|r| r.0.0),
            Some(screen_start - u64::from(MAX_HISTORY_ROWS))
        );
    }
}
