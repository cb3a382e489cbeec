//! The way into a session actor: [`SessionHandle`] sends [`SessionCmd`]s.

use std::sync::Arc;

use tokio::sync::{broadcast, mpsc, oneshot, watch};

use crate::error::{Error, Result};
use crate::term::{Block, BlockEvent, BlockId, BlockOutput, Line, Match, RowIndex, TerminalLook};

use super::pace::UpdatePacer;
use super::sync::{Pulse, SyncPoint, Update};
use super::typing::{Typed, Typing};
use super::{ClientId, Frozen, SessionId, SessionInfo, Size};

/// Commands a session actor takes, each answered through its `reply`.
pub(super) enum SessionCmd {
    Attach {
        client: ClientId,
        size: Size,
        read_only: bool,
        reply: oneshot::Sender<(SessionInfo, watch::Receiver<Pulse>)>,
    },
    Detach {
        client: ClientId,
    },
    /// The writers changed (one typed and became the latest, or a role
    /// changed): the PTY takes the latest writer's size.
    Refit,
    Resize {
        client: ClientId,
        size: Size,
    },
    /// What a client's own terminal looks like.
    TerminalLook {
        client: ClientId,
        look: TerminalLook,
    },
    Update {
        since: Option<SyncPoint>,
        history_rows: u32,
        oldest: RowIndex,
        /// Answer only once the session is past this sequence number.
        past: Option<u64>,
        reply: oneshot::Sender<Update>,
    },
    Info {
        reply: oneshot::Sender<SessionInfo>,
    },
    Capture {
        scrollback: bool,
        ansi: bool,
        reply: oneshot::Sender<String>,
    },
    ReadRows {
        start: RowIndex,
        end: RowIndex,
        reply: oneshot::Sender<Rows>,
    },
    Search {
        query: String,
        from: RowIndex,
        backwards: bool,
        case_sensitive: bool,
        reply: oneshot::Sender<Option<Match>>,
    },
    Rename {
        name: String,
    },
    Kill,
    /// Up to `limit` of the newest blocks with an id below `before`.
    ListBlocks {
        before: Option<BlockId>,
        limit: usize,
        reply: oneshot::Sender<BlockPage>,
    },
    /// A block (`None`: the most recent one) and its output.
    BlockOutput {
        id: Option<BlockId>,
        ansi: bool,
        reply: oneshot::Sender<Option<(BlockInfo, BlockOutput)>>,
    },
    WatchBlocks {
        reply: oneshot::Sender<broadcast::Receiver<BlockEvent>>,
    },
    /// Stop at a clean point for a hand-over: answer with the session's
    /// state, then read no output (it waits in the kernel) and take no
    /// command until `resume` fires or is dropped (the hand-over failed).
    Freeze {
        reply: oneshot::Sender<Result<Frozen>>,
        resume: oneshot::Receiver<()>,
    },
}

/// A block and whether its output rows were trimmed from history.
impl SessionCmd {
    /// Reads of the history: they may take tens of milliseconds each (a
    /// search through 100,000 rows) and anyone attached may ask many, so
    /// they take a lane of their own. Typing, resizes and the updates that
    /// carry echoes never queue behind them; the actor takes one between
    /// batches of output, so output never starves them either.
    pub(super) fn reads_history(&self) -> bool {
        matches!(
            self,
            SessionCmd::Capture {
                scrollback: true,
                ..
            } | SessionCmd::ReadRows { .. }
                | SessionCmd::Search { .. }
                | SessionCmd::ListBlocks { .. }
                | SessionCmd::BlockOutput { .. }
        )
    }
}

#[derive(Debug, Clone)]
pub struct BlockInfo {
    pub block: Block,
    pub output_trimmed: bool,
}

/// A page of blocks, oldest first.
#[derive(Debug, Clone)]
pub struct BlockPage {
    pub blocks: Vec<BlockInfo>,
    /// Older blocks exist.
    pub more: bool,
}

/// Rows read from a session's history or screen.
#[derive(Debug, Clone)]
pub struct Rows {
    pub rows: Vec<(RowIndex, Line)>,
    pub history_start: RowIndex,
    pub screen_start: RowIndex,
}

/// A cloneable handle on a session actor.
#[derive(Clone)]
pub struct SessionHandle {
    pub id: SessionId,
    pub(super) tx: mpsc::Sender<SessionCmd>,
    /// The lane for reads of the history (see [`SessionCmd::reads_history`]).
    pub(super) reads: mpsc::Sender<SessionCmd>,
    /// The way input goes in, without the actor (see typing.rs).
    pub(super) typing: Arc<Typing>,
}

/// A client's attachment to a session. Dropping it detaches the client.
pub struct Attachment {
    pub client: ClientId,
    pub info: SessionInfo,
    /// Wakes on every change of the session.
    pub pulse: watch::Receiver<Pulse>,
    /// When this client may be sent its next update.
    pub pacer: UpdatePacer,
    handle: SessionHandle,
}

impl Drop for Attachment {
    fn drop(&mut self) {
        let tx = self.handle.tx.clone();
        let client = self.client;
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let _ = tx.send(SessionCmd::Detach { client }).await;
            });
        }
    }
}

impl Attachment {
    pub fn handle(&self) -> &SessionHandle {
        &self.handle
    }

    /// Input typed by this client: written to the PTY from here (the
    /// actor hears of it only if the PTY must take this client's size).
    pub async fn input(&self, data: Vec<u8>) -> Result<()> {
        self.pacer.typed(tokio::time::Instant::now());
        let handle = &self.handle;
        match handle
            .typing
            .type_in(Some(self.client), data, &handle.id.0)?
        {
            Typed::Written => Ok(()),
            Typed::Refit => handle.send(SessionCmd::Refit).await,
        }
    }

    /// A collaborator's role changed (see `Clients::set_read_only`): at
    /// once for their next key (the clients are behind typing's lock), then
    /// the PTY's size may follow.
    pub async fn set_read_only(&self, read_only: bool) -> Result<()> {
        let handle = &self.handle;
        handle
            .typing
            .lock()
            .clients
            .set_read_only(self.client, read_only);
        handle.send(SessionCmd::Refit).await
    }

    /// What this client's own terminal looks like (colours, cell size).
    pub async fn terminal_look(&self, look: TerminalLook) -> Result<()> {
        let client = self.client;
        self.handle
            .send(SessionCmd::TerminalLook { client, look })
            .await
    }

    /// This client's terminal changed size.
    pub async fn resize(&self, size: Size) -> Result<()> {
        let client = self.client;
        self.handle.send(SessionCmd::Resize { client, size }).await
    }
}

impl SessionHandle {
    fn gone(&self) -> Error {
        Error::SessionGone(self.id.to_string())
    }

    async fn send(&self, cmd: SessionCmd) -> Result<()> {
        let lane = if cmd.reads_history() {
            &self.reads
        } else {
            &self.tx
        };
        lane.send(cmd).await.map_err(|_| self.gone())
    }

    async fn call<T>(&self, cmd: impl FnOnce(oneshot::Sender<T>) -> SessionCmd) -> Result<T> {
        let (reply, rx) = oneshot::channel();
        self.send(cmd(reply)).await?;
        rx.await.map_err(|_| self.gone())
    }

    pub async fn attach(
        &self,
        client: ClientId,
        size: Size,
        read_only: bool,
    ) -> Result<Attachment> {
        let (info, pulse) = self
            .call(|reply| SessionCmd::Attach {
                client,
                size,
                read_only,
                reply,
            })
            .await?;
        Ok(Attachment {
            client,
            info,
            pulse,
            pacer: UpdatePacer::default(),
            handle: self.clone(),
        })
    }

    /// Type into the session without being attached (`wrapd-attach send`).
    pub async fn input(&self, data: Vec<u8>) -> Result<()> {
        self.typing.type_in(None, data, &self.id.0).map(drop)
    }

    /// What changed since `since` (see `sync::build_update`); no row below
    /// `oldest`.
    pub async fn update(
        &self,
        since: Option<SyncPoint>,
        history_rows: u32,
        oldest: RowIndex,
    ) -> Result<Update> {
        self.call(|reply| SessionCmd::Update {
            since,
            history_rows,
            oldest,
            past: None,
            reply,
        })
        .await
    }

    /// [`update`](Self::update) from `since`, once there is a change past
    /// it: the actor answers at the commit that makes it, so the update goes
    /// out without a wake-up and a request between (an echo's path). An
    /// error once the session ends.
    pub async fn next_update(
        &self,
        since: SyncPoint,
        history_rows: u32,
        oldest: RowIndex,
    ) -> Result<Update> {
        self.call(|reply| SessionCmd::Update {
            since: Some(since),
            history_rows,
            oldest,
            past: Some(since.seq),
            reply,
        })
        .await
    }

    pub async fn info(&self) -> Result<SessionInfo> {
        self.call(|reply| SessionCmd::Info { reply }).await
    }

    pub async fn capture(&self, scrollback: bool, ansi: bool) -> Result<String> {
        self.call(|reply| SessionCmd::Capture {
            scrollback,
            ansi,
            reply,
        })
        .await
    }

    pub async fn read_rows(&self, start: RowIndex, end: RowIndex) -> Result<Rows> {
        self.call(|reply| SessionCmd::ReadRows { start, end, reply })
            .await
    }

    pub async fn search(
        &self,
        query: String,
        from: RowIndex,
        backwards: bool,
        case_sensitive: bool,
    ) -> Result<Option<Match>> {
        self.call(|reply| SessionCmd::Search {
            query,
            from,
            backwards,
            case_sensitive,
            reply,
        })
        .await
    }

    pub async fn rename(&self, name: String) -> Result<()> {
        self.send(SessionCmd::Rename { name }).await
    }

    pub async fn list_blocks(&self, before: Option<BlockId>, limit: usize) -> Result<BlockPage> {
        self.call(|reply| SessionCmd::ListBlocks {
            before,
            limit,
            reply,
        })
        .await
    }

    pub async fn block_output(
        &self,
        id: Option<BlockId>,
        ansi: bool,
    ) -> Result<Option<(BlockInfo, BlockOutput)>> {
        self.call(|reply| SessionCmd::BlockOutput { id, ansi, reply })
            .await
    }

    /// Block events from now on; the receiver closes when the session ends.
    pub async fn watch_blocks(&self) -> Result<broadcast::Receiver<BlockEvent>> {
        self.call(|reply| SessionCmd::WatchBlocks { reply }).await
    }

    pub async fn kill(&self) -> Result<()> {
        self.send(SessionCmd::Kill).await
    }

    /// Stop the session for a hand-over (see [`SessionCmd::Freeze`]): it
    /// stays stopped until the returned sender fires or is dropped.
    pub async fn freeze(&self) -> Result<(Frozen, oneshot::Sender<()>)> {
        let (resume_tx, resume) = oneshot::channel();
        let frozen = self
            .call(|reply| SessionCmd::Freeze { reply, resume })
            .await??;
        Ok((frozen, resume_tx))
    }
}
