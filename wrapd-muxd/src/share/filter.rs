//! A share's starting point: collaborators never receive anything from
//! before it — no row below `start_row`, no block below `start_block`, no
//! title or working directory set before `start_seq`, no bell rung before it,
//! no highlight of what they cannot see. Applied to everything that goes to
//! them — attach updates, rows, searches, blocks, presence — after the session
//! built it and before it is sent. Secrets in what they do receive are masked
//! ([`redact`]).
//!
//! Sharing "from the current screen" while a full-screen program shows the
//! alternate screen: that screen is the current one, and is shared; the
//! primary screen beneath it was not on display, so it counts as history —
//! `start_row` is where its content ends (see `Term::primary_end`), and the
//! alternate screen's rows are not blanked for being above it.

use wrapd_proto::pb;

use super::redact;
use super::state::Share;
use crate::session::Update;
use crate::term::Block;

/// What a collaborator may see of a session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Window {
    pub start_row: u64,
    pub start_block: u64,
    /// The first sequence number whose changes they see: a title or working
    /// directory set before it is not sent (nor a block's directory).
    pub start_seq: u64,
    /// Bells rung before the start: their bell count starts from there.
    pub start_bells: u64,
}

impl Window {
    pub fn of(share: &Share) -> Window {
        Window {
            start_row: share.start_row,
            start_block: share.start_block,
            start_seq: share.start_seq,
            start_bells: share.start_bells,
        }
    }

    /// The session's own state in an update, before it is converted: a
    /// title or directory set before the start is sent empty, bells count
    /// from the start, the clipboard is the owner's.
    pub fn session_state(&self, u: &mut Update) {
        if u.title_seq < self.start_seq {
            u.title.clear();
        }
        if u.cwd_seq < self.start_seq {
            u.cwd.clear();
        }
        u.bell_count = u.bell_count.saturating_sub(self.start_bells);
        u.clipboard = None;
        u.blocks.iter_mut().for_each(|b| self.block(b));
    }

    /// A block they may see: without its directory if that was set before
    /// the start (the command ran there, but the shell went there before).
    pub fn block(&self, b: &mut Block) {
        if b.cwd_seq < self.start_seq {
            b.cwd = None;
        }
    }

    /// A participant as they see them: a highlight of what is before the
    /// start is not shown, nor activity from before the share began.
    pub fn participant(&self, p: &mut pb::Participant, shared_at_ms: u64) {
        let hidden = |s: &pb::Selection| {
            if s.block_id != 0 {
                s.block_id < self.start_block
            } else {
                s.start_row.min(s.end_row) < self.start_row
            }
        };
        if p.selection.as_ref().is_some_and(hidden) {
            p.selection = None;
        }
        if p.last_input_ms < shared_at_ms {
            p.last_input_ms = 0;
        }
        if p.last_seen_ms < shared_at_ms {
            p.last_seen_ms = 0;
        }
    }
    /// The oldest row a collaborator is told exists.
    fn history_start(&self, history_start: u64, screen_start: u64) -> u64 {
        history_start.max(self.start_row.min(screen_start))
    }

    /// An attach update: rows on screen above the start are sent blank,
    /// history rows below it not at all; older blocks and the clipboard
    /// (owner only) are dropped; secrets in rows, blocks, the title and the
    /// directory are masked. The alternate screen is never blanked: it
    /// is the current screen, or came after the start.
    pub fn update(&self, u: &mut pb::ScreenUpdate) {
        let start = self.start_row;
        let screen_start = u.screen_start;
        let alternate = u.modes.as_ref().is_some_and(|m| m.alternate_screen);
        let blank_below = if alternate {
            start.min(screen_start)
        } else {
            start
        };
        u.rows
            .retain(|r| r.index >= start || r.index >= screen_start);
        for r in &mut u.rows {
            if r.index < blank_below {
                r.spans.clear();
                r.wrapped = false;
            }
        }
        u.history_start = self.history_start(u.history_start, screen_start);
        u.blocks.retain(|b| b.id >= self.start_block);
        u.clipboard = None;
        redact::redact_rows(&mut u.rows);
        redact::redact_field(&mut u.title);
        redact::redact_field(&mut u.cwd);
        u.blocks.iter_mut().for_each(redact::redact_block);
    }

    /// What a collaborator is told of the session: its name, id, size and
    /// clients — not its command line, pid, history, or a title or working
    /// directory that may be from before the share started.
    pub fn session_info(i: pb::SessionInfo) -> pb::SessionInfo {
        pb::SessionInfo {
            id: i.id,
            name: i.name,
            cols: i.cols,
            rows: i.rows,
            clients: i.clients,
            exit: i.exit,
            ..Default::default()
        }
    }

    pub fn rows(&self, r: &mut pb::ReadRowsResponse) {
        let start = self.start_row;
        r.rows.retain(|row| row.index >= start);
        r.history_start = self.history_start(r.history_start, r.screen_start);
        redact::redact_rows(&mut r.rows);
    }

    /// One block's output, as a collaborator may read it.
    pub fn output(&self, r: &mut pb::GetBlockOutputResponse) {
        if let Some(b) = &mut r.block {
            redact::redact_block(b);
        }
        r.text = redact::redact_text(&r.text);
    }

    pub fn row_range(&self, start: u64, end: u64) -> (u64, u64) {
        (start.max(self.start_row), end.max(self.start_row))
    }

    pub fn search_from(&self, from: u64, backwards: bool) -> Option<u64> {
        if backwards {
            (from > self.start_row).then_some(from)
        } else {
            Some(from.max(self.start_row))
        }
    }

    pub fn row_visible(&self, row: u64) -> bool {
        row >= self.start_row
    }

    pub fn block_visible(&self, b: &pb::Block) -> bool {
        b.id >= self.start_block && b.prompt_row >= self.start_row
    }

    pub fn blocks(&self, r: &mut pb::ListBlocksResponse) {
        let before = r.blocks.len();
        r.blocks.retain(|b| self.block_visible(b));
        if r.blocks.len() != before {
            r.more = false;
        }
        r.blocks.iter_mut().for_each(redact::redact_block);
    }

    /// Whether a collaborator gets this event (masked, if so).
    pub fn block_event(&self, e: &mut pb::BlockEvent) -> bool {
        match &mut e.event {
            Some(pb::block_event::Event::Started(b) | pb::block_event::Event::Finished(b)) => {
                redact::redact_block(b);
                self.block_visible(b)
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(i: u64, text: &str) -> pb::Row {
        pb::Row {
            index: i,
            spans: vec![pb::Span {
                text: text.into(),
                ..Default::default()
            }],
            wrapped: false,
        }
    }

    #[test]
    fn rows_before_the_start_never_go_out() {
        let w = Window {
            start_row: 12,
            start_block: 3,
            ..Window::default()
        };
        let mut u = pb::ScreenUpdate {
            reset: true,
            screen_start: 10,
            history_start: 0,
            rows: (5..15).map(|i| row(i, "secret")).collect(),
            blocks: vec![
                pb::Block {
                    id: 2,
                    prompt_row: 8,
                    ..Default::default()
                },
                pb::Block {
                    id: 3,
                    prompt_row: 12,
                    ..Default::default()
                },
            ],
            clipboard: Some(pb::Clipboard::default()),
            ..Default::default()
        };
        w.update(&mut u);
        assert_eq!(u.history_start, 10);
        assert_eq!(u.rows.first().unwrap().index, 10);
        for r in &u.rows {
            assert_eq!(r.spans.is_empty(), r.index < 12, "row {}", r.index);
        }
        assert_eq!(u.blocks.iter().map(|b| b.id).collect::<Vec<_>>(), [3]);
        assert!(u.clipboard.is_none());
        assert_eq!(w.search_from(12, true), None);
        let info = Window::session_info(pb::SessionInfo {
            name: "s".into(),
            command: vec!["secret-cmd".into()],
            pid: 42,
            history_lines: 7,
            title: "old title".into(),
            cwd: "/old".into(),
            cols: 80,
            ..Default::default()
        });
        assert_eq!(
            info,
            pb::SessionInfo {
                name: "s".into(),
                cols: 80,
                ..Default::default()
            }
        );
        assert_eq!(w.search_from(2, false), Some(12));
    }

    #[test]
    fn the_alternate_screen_is_not_blanked_above_the_primary_screens_start() {
        let w = Window {
            start_row: 14,
            ..Window::default()
        };
        let update = |alternate| pb::ScreenUpdate {
            screen_start: 10,
            rows: (10..20).map(|i| row(i, "x")).collect(),
            modes: Some(pb::Modes {
                alternate_screen: alternate,
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut u = update(true);
        w.update(&mut u);
        assert!(u.rows.iter().all(|r| !r.spans.is_empty()));
        let mut u = update(false);
        w.update(&mut u);
        for r in &u.rows {
            assert_eq!(r.spans.is_empty(), r.index < 14, "row {}", r.index);
        }
    }

    #[test]
    fn state_and_highlights_from_before_the_start_are_left_out() {
        let w = Window {
            start_row: 12,
            start_block: 3,
            start_seq: 50,
            start_bells: 4,
        };
        let mut term = crate::term::Term::new(20, 5, Default::default());
        term.feed(b"\x1b]0;old title\x07\x1b]7;file:///old\x07");
        let meta = crate::session::sync::SessionMeta {
            name: "s",
            clients: 1,
            bell_count: 6,
            clipboard: None,
            exited: None,
        };
        let mut u =
            crate::session::sync::build_update(&term, &meta, None, 0, crate::term::RowIndex(0));
        assert_eq!((u.title.as_str(), u.cwd.as_str()), ("old title", "/old"));
        let (mut title_new, mut cwd_new) = (u.clone(), u.clone());
        title_new.title_seq = 50;
        cwd_new.cwd_seq = 50;
        w.session_state(&mut u);
        assert_eq!(
            (u.title.as_str(), u.cwd.as_str(), u.bell_count),
            ("", "", 2)
        );
        w.session_state(&mut title_new);
        assert_eq!(
            (title_new.title.as_str(), title_new.cwd.as_str()),
            ("old title", "")
        );
        w.session_state(&mut cwd_new);
        assert_eq!((cwd_new.title.as_str(), cwd_new.cwd.as_str()), ("", "/old"));

        let selected = |sel: pb::Selection| pb::Participant {
            selection: Some(sel),
            last_input_ms: 900,
            last_seen_ms: 1100,
            ..Default::default()
        };
        let old_block = pb::Selection {
            block_id: 2,
            ..Default::default()
        };
        let old_rows = pb::Selection {
            start_row: 11,
            end_row: 13,
            ..Default::default()
        };
        let new_rows = pb::Selection {
            start_row: 12,
            end_row: 13,
            ..Default::default()
        };
        for (sel, shown) in [(old_block, false), (old_rows, false), (new_rows, true)] {
            let mut p = selected(sel);
            w.participant(&mut p, 1000);
            assert_eq!(p.selection.is_some(), shown, "{sel:?}");
            assert_eq!((p.last_input_ms, p.last_seen_ms), (0, 1100));
        }
    }
}
