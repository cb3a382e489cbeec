//! A share's starting point: collaborators never receive a row below
//! `start_row` or a block below `start_block`. Applied to everything that goes
//! to them — attach updates, rows, searches, blocks — after the session built
//! it and before it is sent. Secrets in what they do receive are masked
//! ([`redact`]).

use wrapd_proto::pb;

use super::redact;

/// What a collaborator may see of a session.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub start_row: u64,
    pub start_block: u64,
}

impl Window {
    /// The oldest row a collaborator is told exists.
    fn history_start(&self, history_start: u64, screen_start: u64) -> u64 {
        history_start.max(self.start_row.min(screen_start))
    }

    /// An attach update: rows on screen above the start are sent blank,
    /// history rows below it not at all; older blocks and the clipboard
    /// (owner only) are dropped.
    pub fn update(&self, u: &mut pb::ScreenUpdate) {
        let start = self.start_row;
        let screen_start = u.screen_start;
        u.rows
            .retain(|r| r.index >= start || r.index >= screen_start);
        for r in &mut u.rows {
            if r.index < start {
                r.spans.clear();
                r.wrapped = false;
            }
        }
        u.history_start = self.history_start(u.history_start, screen_start);
        u.blocks.retain(|b| b.id >= self.start_block);
        u.clipboard = None;
        redact::redact_rows(&mut u.rows);
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
}
