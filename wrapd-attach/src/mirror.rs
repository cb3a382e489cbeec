//! The client's copy of a session's state, kept up to date by the daemon's
//! updates. Rows are held by their stable index: the screen's and, bounded,
//! some history (from updates, or fetched while scrolling back).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use crossterm::cursor::SetCursorStyle;
use wrapd_proto::pb;

/// History rows kept at most, by default.
pub const DEFAULT_MAX_HISTORY: usize = 10_000;
/// Blocks kept at most (the oldest are dropped).
const MAX_BLOCKS: usize = 10_000;

#[derive(Debug, Clone)]
pub struct Mirror {
    /// The last update's sequence number (0: nothing yet).
    seq: u64,
    size: pb::Size,
    screen_start: u64,
    history_start: u64,
    /// Screen rows and the history rows we have, by stable index.
    rows: BTreeMap<u64, pb::Row>,
    cursor: pb::Cursor,
    modes: pb::Modes,
    title: String,
    cwd: String,
    session_name: String,
    clients: u32,
    exited: Option<pb::ExitStatus>,
    bell_count: u64,
    /// A bell rang since `take_bell` was last called.
    bell_pending: bool,
    /// A clipboard write not yet passed on.
    clipboard: Option<pb::Clipboard>,
    /// History rows kept at most.
    max_history: usize,
    /// The row the user looks at (scroll mode); eviction keeps rows near it.
    focus: Option<u64>,
    /// The session's blocks (commands) by id, as the daemon reported them.
    blocks: BTreeMap<u64, pb::Block>,
    /// What changed since the client last drew it.
    changes: Changes,
}

/// What changed in a mirror since [`Mirror::take_changes`]: what a frame must
/// redraw of the session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Changes {
    /// Nothing came.
    #[default]
    None,
    /// Updates came that changed these rows (by index) and nothing else of
    /// where rows show: the cursor, the title or the clients may be new
    /// (perhaps nothing but those).
    Rows(BTreeSet<u64>),
    /// Everything may show elsewhere or differently: a snapshot, a scroll,
    /// a new size, blocks (their marks).
    All,
}

impl Default for Mirror {
    fn default() -> Self {
        Mirror::new(DEFAULT_MAX_HISTORY)
    }
}

impl Mirror {
    pub fn new(max_history: usize) -> Mirror {
        Mirror {
            seq: 0,
            size: pb::Size { cols: 80, rows: 24 },
            screen_start: 0,
            history_start: 0,
            rows: BTreeMap::new(),
            cursor: pb::Cursor::default(),
            modes: pb::Modes::default(),
            title: String::new(),
            cwd: String::new(),
            session_name: String::new(),
            clients: 0,
            exited: None,
            bell_count: 0,
            bell_pending: false,
            clipboard: None,
            max_history,
            focus: None,
            blocks: BTreeMap::new(),
            changes: Changes::None,
        }
    }

    /// Apply one update, in order (its rows are kept, not copied).
    pub fn apply(&mut self, u: pb::ScreenUpdate) {
        self.note_changes(&u);
        if u.reset {
            self.rows.clear();
            self.blocks.clear();
        } else if u.bell_count > self.bell_count {
            self.bell_pending = true;
        }
        self.bell_count = u.bell_count;
        self.seq = u.seq;
        if let Some(size) = u.size {
            self.size = size;
        }
        self.screen_start = u.screen_start;
        self.history_start = u.history_start;
        for row in u.rows {
            self.rows.insert(row.index, row);
        }
        // Rows past the screen's end are gone (the screen got shorter).
        let screen_end = self.screen_end();
        self.rows.split_off(&screen_end);
        // Rows the daemon trimmed.
        self.rows = self.rows.split_off(&self.history_start);
        self.cursor = u.cursor.unwrap_or_default();
        self.modes = u.modes.unwrap_or_default();
        self.title = u.title;
        self.cwd = u.cwd;
        self.session_name = u.session_name;
        self.clients = u.clients;
        self.exited = u.exited;
        if u.clipboard.is_some() {
            self.clipboard = u.clipboard;
        }
        for b in u.blocks {
            self.blocks.insert(b.id, b);
        }
        while self.blocks.len() > MAX_BLOCKS {
            self.blocks.pop_first();
        }
        self.evict();
    }

    /// Record what `u` changes, before it is applied.
    fn note_changes(&mut self, u: &pb::ScreenUpdate) {
        let moved = u.reset
            || u.size.is_some_and(|s| s != self.size)
            || u.screen_start != self.screen_start
            || !u.blocks.is_empty();
        if moved {
            self.changes = Changes::All;
            return;
        }
        match &mut self.changes {
            Changes::All => {}
            Changes::Rows(rows) => rows.extend(u.rows.iter().map(|r| r.index)),
            none @ Changes::None => {
                *none = Changes::Rows(u.rows.iter().map(|r| r.index).collect());
            }
        }
    }

    /// What changed since the last call (a frame drew it).
    pub fn take_changes(&mut self) -> Changes {
        std::mem::take(&mut self.changes)
    }

    /// Whether anything changed since [`Mirror::take_changes`].
    pub fn changed(&self) -> bool {
        self.changes != Changes::None
    }

    /// History rows fetched with `ReadRows` (history: the screen shows none
    /// of them).
    pub fn insert_history(&mut self, r: &pb::ReadRowsResponse) {
        for row in &r.rows {
            // Screen rows come with updates; older ones than we know are current.
            if row.index < self.screen_start && row.index >= self.history_start {
                self.rows.entry(row.index).or_insert_with(|| row.clone());
            }
        }
        self.evict();
    }

    /// Tell the mirror which row the user looks at, so eviction spares it.
    pub fn set_focus(&mut self, row: Option<u64>) {
        self.focus = row;
    }

    /// Keep at most `max_history` history rows, dropping those farthest from
    /// the focus (the newest are kept when nothing is focused).
    fn evict(&mut self) {
        // Counting only screen rows keeps this O(screen), not O(history).
        let history = self.rows.len() - self.rows.range(self.screen_start..).count();
        let focus = self.focus.unwrap_or(self.screen_start);
        for _ in self.max_history..history {
            let oldest = *self.rows.keys().next().expect("history is not empty");
            let newest = *self
                .rows
                .range(..self.screen_start)
                .next_back()
                .expect("history is not empty")
                .0;
            let victim = if focus.abs_diff(oldest) >= focus.abs_diff(newest) {
                oldest
            } else {
                newest
            };
            self.rows.remove(&victim);
        }
    }

    /// The parts of `range` (of history) we do not have, ascending.
    pub fn missing(&self, range: Range<u64>) -> Vec<Range<u64>> {
        let range = range.start.max(self.history_start)..range.end;
        let mut gaps = Vec::new();
        let mut next = range.start;
        for &i in self.rows.range(range.clone()).map(|(k, _)| k) {
            if i > next {
                gaps.push(next..i);
            }
            next = i + 1;
        }
        if next < range.end {
            gaps.push(next..range.end);
        }
        gaps
    }

    pub fn row(&self, index: u64) -> Option<&pb::Row> {
        self.rows.get(&index)
    }

    /// Row `y` of the screen.
    pub fn screen_row(&self, y: u16) -> Option<&pb::Row> {
        self.row(self.screen_start + u64::from(y))
    }

    fn screen_end(&self) -> u64 {
        self.screen_start + u64::from(self.size.rows)
    }

    /// Whether anything was received yet.
    pub fn is_empty(&self) -> bool {
        self.seq == 0
    }

    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The session's size (cols, rows).
    pub fn size(&self) -> (u16, u16) {
        (clamp16(self.size.cols), clamp16(self.size.rows))
    }

    pub fn screen_start(&self) -> u64 {
        self.screen_start
    }

    pub fn history_start(&self) -> u64 {
        self.history_start
    }

    pub fn cursor(&self) -> &pb::Cursor {
        &self.cursor
    }

    pub fn modes(&self) -> pb::Modes {
        self.modes
    }

    pub fn title(&self) -> &str {
        &self.title
    }

    pub fn cwd(&self) -> &str {
        &self.cwd
    }

    pub fn session_name(&self) -> &str {
        &self.session_name
    }

    pub fn clients(&self) -> u32 {
        self.clients
    }

    /// The session's blocks, oldest first.
    pub fn blocks(&self) -> impl DoubleEndedIterator<Item = &pb::Block> {
        self.blocks.values()
    }

    pub fn block(&self, id: u64) -> Option<&pb::Block> {
        self.blocks.get(&id)
    }

    pub fn exited(&self) -> Option<&pb::ExitStatus> {
        self.exited.as_ref()
    }

    /// True once per bell (or burst of bells) the program rang.
    pub fn take_bell(&mut self) -> bool {
        std::mem::take(&mut self.bell_pending)
    }

    /// A clipboard write the program made, once.
    pub fn take_clipboard(&mut self) -> Option<pb::Clipboard> {
        self.clipboard.take()
    }

    /// The cursor's shape for the outer terminal.
    pub fn cursor_style(&self) -> SetCursorStyle {
        let blink = self.cursor.blinking;
        match (self.cursor.shape(), blink) {
            (pb::CursorShape::Default, _) => SetCursorStyle::DefaultUserShape,
            (pb::CursorShape::Block, true) => SetCursorStyle::BlinkingBlock,
            (pb::CursorShape::Block, false) => SetCursorStyle::SteadyBlock,
            (pb::CursorShape::Underline, true) => SetCursorStyle::BlinkingUnderScore,
            (pb::CursorShape::Underline, false) => SetCursorStyle::SteadyUnderScore,
            (pb::CursorShape::Bar, true) => SetCursorStyle::BlinkingBar,
            (pb::CursorShape::Bar, false) => SetCursorStyle::SteadyBar,
        }
    }
}

fn clamp16(v: u32) -> u16 {
    v.min(u32::from(u16::MAX)) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(index: u64, text: &str) -> pb::Row {
        pb::Row {
            index,
            spans: vec![pb::Span {
                text: text.to_owned(),
                ..Default::default()
            }],
            wrapped: false,
        }
    }

    fn text(m: &Mirror, index: u64) -> Option<String> {
        m.row(index)
            .map(|r| r.spans.iter().map(|s| s.text.as_str()).collect())
    }

    fn update(
        seq: u64,
        reset: bool,
        screen_start: u64,
        history_start: u64,
        rows: Vec<pb::Row>,
    ) -> pb::ScreenUpdate {
        pb::ScreenUpdate {
            seq,
            reset,
            size: Some(pb::Size { cols: 10, rows: 3 }),
            screen_start,
            history_start,
            rows,
            ..Default::default()
        }
    }

    #[test]
    fn snapshot_then_scrolling_deltas() {
        let mut m = Mirror::default();
        m.apply(update(
            5,
            true,
            2,
            0,
            vec![
                row(0, "h0"),
                row(1, "h1"),
                row(2, "a"),
                row(3, "b"),
                row(4, "c"),
            ],
        ));
        assert_eq!(text(&m, 1).as_deref(), Some("h1"));
        assert_eq!(m.screen_row(0).map(|r| r.index), Some(2));
        // Two lines scrolled: the old screen's top two rows are history now.
        m.apply(update(6, false, 4, 0, vec![row(5, "d"), row(6, "e")]));
        assert_eq!(text(&m, 2).as_deref(), Some("a"));
        assert_eq!(text(&m, 6).as_deref(), Some("e"));
        assert!(m.missing(0..4).is_empty());
        // History trimmed by the daemon.
        m.apply(update(7, false, 4, 3, vec![]));
        assert_eq!(text(&m, 2), None);
        assert_eq!(m.history_start(), 3);
        // A reset forgets everything.
        m.apply(update(8, true, 10, 10, vec![row(10, "x")]));
        assert_eq!(text(&m, 4), None);
        assert_eq!(text(&m, 10).as_deref(), Some("x"));
    }

    #[test]
    fn gaps_are_reported_and_filled() {
        let mut m = Mirror::default();
        // A fast scroll: only the screen came; history 0..100 is a gap.
        m.apply(update(
            1,
            true,
            100,
            0,
            vec![row(100, "s0"), row(101, "s1"), row(102, "s2")],
        ));
        assert_eq!(m.missing(90..100), vec![90..100]);
        m.insert_history(&pb::ReadRowsResponse {
            rows: (92..96)
                .map(|i| row(i, "h"))
                .chain([row(101, "stale screen row")])
                .collect(),
            history_start: 0,
            screen_start: 100,
        });
        assert_eq!(m.missing(90..100), vec![90..92, 96..100]);
        assert_eq!(
            text(&m, 101).as_deref(),
            Some("s1"),
            "fetched rows never overwrite the screen"
        );
    }

    #[test]
    fn history_is_bounded_and_spares_the_focus() {
        let mut m = Mirror::new(100);
        let rows: Vec<_> = (0..1003).map(|i| row(i, "r")).collect();
        m.apply(update(1, true, 1000, 0, rows));
        assert_eq!(m.rows.range(..1000).count(), 100);
        assert!(
            m.row(999).is_some() && m.row(899).is_none(),
            "keeps the newest without a focus"
        );
        m.set_focus(Some(100));
        m.insert_history(&pb::ReadRowsResponse {
            rows: (80..120).map(|i| row(i, "old")).collect(),
            history_start: 0,
            screen_start: 1000,
        });
        assert_eq!(m.rows.range(..1000).count(), 100);
        assert!(m.row(100).is_some(), "the focused row stays");
    }

    #[test]
    fn blocks_are_replaced_by_id_and_forgotten_on_reset() {
        let block = |id, state: pb::BlockState| pb::Block {
            id,
            state: state as i32,
            ..Default::default()
        };
        let mut m = Mirror::default();
        let mut u = update(1, true, 0, 0, vec![]);
        u.blocks = vec![
            block(1, pb::BlockState::Finished),
            block(2, pb::BlockState::Running),
        ];
        m.apply(u.clone());
        u.reset = false;
        u.blocks = vec![block(2, pb::BlockState::Finished)];
        m.apply(u.clone());
        let states: Vec<_> = m.blocks().map(|b| (b.id, b.state())).collect();
        assert_eq!(
            states,
            [(1, pb::BlockState::Finished), (2, pb::BlockState::Finished)]
        );
        u.reset = true;
        u.blocks = vec![];
        m.apply(u);
        assert_eq!(m.blocks().count(), 0);
    }

    #[test]
    fn bells_and_clipboard_are_reported_once() {
        let mut m = Mirror::default();
        let mut u = update(1, true, 0, 0, vec![]);
        u.bell_count = 3;
        m.apply(u.clone());
        assert!(!m.take_bell(), "bells before attaching do not ring");
        u.reset = false;
        u.bell_count = 4;
        u.clipboard = Some(pb::Clipboard {
            selection: "c".into(),
            data: b"hi".to_vec(),
        });
        m.apply(u);
        assert!(m.take_bell());
        assert!(!m.take_bell());
        assert_eq!(m.take_clipboard().unwrap().data, b"hi");
        assert!(m.take_clipboard().is_none());
    }
}
