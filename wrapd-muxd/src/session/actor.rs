//! The session actor: the one owner of a session's program, PTY and terminal.
//!
//! Its loop takes, in order of priority: shutdown, commands (so that resizes
//! and updates stay responsive under heavy output), program output, and the
//! program's exit. Each batch of output is parsed in one go and committed as one
//! sequence number, which wakes the clients' sync tasks. Typing does not pass
//! through it: whoever types writes to the PTY (typing.rs).
//!
//! Each session's actor runs on a thread of its own (with a single-threaded
//! runtime that watches only its PTY and timers), not on the daemon's shared
//! workers: parsing a program's output is the one long-running job of the
//! daemon, and a program printing without pause would otherwise keep a
//! shared worker busy while other sessions' keystrokes, echoes and clients
//! waited for it (up to ~1 s, measured) — or, yielding every few kilobytes to
//! be fair, pay for the hand-offs (a third of its throughput, measured). On
//! threads of their own, sessions are scheduled by the kernel like processes:
//! a busy one takes a core, the others and every client keep theirs. And
//! after each batch that filled it gives way (`sched_yield`): a thread woken
//! on its core meanwhile — a keystroke or an echo on its way — runs then, not
//! at the kernel's next tick (up to 4 ms, measured; BENCHMARKS.md).

use std::time::Duration;

use nix::sys::signal::Signal;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};
use std::sync::Arc;

use crate::pty::{self, ExitStatus, Pty, PtyOutput, PtyReader};
use crate::shell;
use crate::term::{Block, BlockEvent, RowIndex, Term, TermConfig, TermEvent};

use super::handle::{BlockInfo, BlockPage, Rows, SessionCmd, SessionHandle};
use super::sync::{Clipboard, Pulse, SessionMeta, SyncPoint, Update, build_update};
use super::typing::Typing;
use super::{EndReason, SessionId, SessionInfo, Size, now_ms};

mod frozen;
pub use frozen::{Restored, restore};

/// Output parsed in one batch at most (a little more: the last read may end
/// past it). A batch is committed as one sequence number; between batches the
/// actor takes its commands (input first), so this session's own typing waits
/// for at most one batch (well under a millisecond of dense colour).
const BATCH_BYTES: usize = 32 * 1024;
/// Reads of the history queued for a session at most; more wait in their
/// callers' tasks.
const HISTORY_READS: usize = 64;
/// How long to wait for the rest of the output once the program has exited
/// (a background job may hold the terminal open forever).
const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(250);
/// Rows one `ReadRows` call returns at most.
pub const MAX_ROWS_PER_READ: u64 = 10_000;
/// Block events buffered per watcher; a watcher further behind skips some.
const BLOCK_EVENT_BUFFER: usize = 256;

/// Everything needed to start a session.
pub struct SessionSpec {
    pub id: SessionId,
    pub name: String,
    pub command: pty::Command,
    /// The command as asked for, shown in listings (`command` may have
    /// what shell integration adds, such as bash's `--posix`).
    pub shown_argv: Vec<String>,
    pub remain_on_exit: bool,
    pub term: TermConfig,
    /// Called once when the session is over, to drop it from the registry.
    pub on_end: Box<dyn FnOnce(&SessionId) + Send>,
}

struct Session {
    id: SessionId,
    name: String,
    argv: Vec<String>,
    pty: Pty,
    term: Term,
    /// The clients, the program's input and when it was last typed into:
    /// shared with the attach streams, which type without this thread.
    typing: Arc<Typing>,
    remain_on_exit: bool,
    created_at_ms: u64,
    /// Bells rung since the start; clients ring when it grows.
    bell_count: u64,
    /// The last OSC 52 clipboard the program set.
    clipboard: Option<Clipboard>,
    /// Set once the program has exited and all its output is parsed.
    exited: Option<ExitStatus>,
    /// The program has exited (its output may still be parsed): its pid is
    /// no longer its own.
    reaped: bool,
    pulse: watch::Sender<Pulse>,
    /// Blocks starting and finishing, for `WatchBlocks`.
    block_events: broadcast::Sender<BlockEvent>,
    /// Clients waiting for the next change (see `SessionHandle::next_update`):
    /// answered at the commit that makes it, with no round trip.
    waiting: Vec<WaitingUpdate>,
}

/// An update asked for before there was anything new to send.
struct WaitingUpdate {
    since: Option<SyncPoint>,
    history_rows: u32,
    oldest: RowIndex,
    reply: oneshot::Sender<Update>,
}

/// Start the program and its actor; the actor runs until the session ends.
pub fn spawn(spec: SessionSpec, shutdown: CancellationToken) -> Result<SessionHandle> {
    let SessionSpec {
        id,
        name,
        command,
        shown_argv,
        remain_on_exit,
        term,
        on_end,
    } = spec;
    let (pty, input, output) = Pty::spawn(&command).map_err(|source| Error::Spawn {
        command: command.argv.join(" "),
        source,
    })?;
    let now = now_ms();
    let session = Session {
        id: id.clone(),
        name,
        argv: shown_argv,
        pty,
        term: Term::new(command.cols, command.rows, term),
        typing: Arc::new(Typing::new(input, now)),
        remain_on_exit,
        created_at_ms: now,
        bell_count: 0,
        clipboard: None,
        exited: None,
        reaped: false,
        pulse: watch::channel(Pulse::default()).0,
        block_events: broadcast::channel(BLOCK_EVENT_BUFFER).0,
        waiting: Vec::new(),
    };
    tracing::info!(session = %id, pid = session.pty.pid, command = ?session.argv, "session started");
    session.start(output, on_end, shutdown)
}

impl Session {
    /// Run the actor on a thread of its own until the session ends; its
    /// handle.
    fn start(
        self,
        output: PtyOutput,
        on_end: Box<dyn FnOnce(&SessionId) + Send>,
        shutdown: CancellationToken,
    ) -> Result<SessionHandle> {
        let (tx, rx) = mpsc::channel(256);
        let (reads_tx, reads) = mpsc::channel(HISTORY_READS);
        let id = self.id.clone();
        let handle = SessionHandle {
            id: id.clone(),
            tx,
            reads: reads_tx,
            typing: self.typing.clone(),
        };
        let PtyOutput { output, exit } = output;
        let command_line = self.argv.join(" ");
        let failed = |what: &str, e: std::io::Error| Error::Spawn {
            command: command_line.clone(),
            source: std::io::Error::new(e.kind(), format!("{what}: {e}")),
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| failed("a runtime for the session", e))?;
        // Registered with the session's own runtime: only its thread is woken
        // when the program writes.
        let chunks = {
            let _in_session = runtime.enter();
            PtyReader::new(output).map_err(|e| failed("watching the PTY", e))?
        };
        // Whatever `on_end` starts belongs to the daemon, not to this thread.
        let daemon_runtime = tokio::runtime::Handle::current();
        let thread = std::thread::Builder::new().name(format!("session-{}", self.pty.pid));
        thread
            .spawn(move || {
                let reason = runtime.block_on(self.run(rx, reads, chunks, exit, shutdown));
                tracing::info!(session = %id, ?reason, "session ended");
                let _in_daemon = daemon_runtime.enter();
                on_end(&id);
            })
            .map_err(|e| failed("a thread for the session", e))?;
        Ok(handle)
    }
}

/// The program's exit status, once (a task on the daemon's runtime).
type ExitWaiter = tokio::task::JoinHandle<std::io::Result<ExitStatus>>;

/// What to do after a command.
enum Flow {
    Continue,
    End(EndReason),
}

impl Session {
    async fn run(
        mut self,
        mut cmds: mpsc::Receiver<SessionCmd>,
        mut reads: mpsc::Receiver<SessionCmd>,
        mut chunks: PtyReader,
        exit: ExitWaiter,
        shutdown: CancellationToken,
    ) -> EndReason {
        let mut exit = Some(exit);
        let mut output_open = true;
        let mut exit_status: Option<ExitStatus> = None;
        let mut drain_deadline: Option<Instant> = None;
        let reason = loop {
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => {
                    self.pty.signal(Signal::SIGHUP);
                    break EndReason::ServerExit;
                }
                cmd = cmds.recv() => {
                    // Handles cannot all be gone while the registry holds one;
                    // if they are, nobody can reach this session any more.
                    let Some(cmd) = cmd else { break EndReason::Killed };
                    if let SessionCmd::Freeze { reply, resume } = cmd {
                        self.freeze(exit_status, reply, resume).await;
                        continue;
                    }
                    if let Flow::End(reason) = self.handle(cmd) {
                        break reason;
                    }
                }
                chunk = chunks.recv(), if output_open => match chunk {
                    Some(chunk) => {
                        let more = self.feed(chunk, &mut chunks);
                        // Output that never pauses must not starve the reads.
                        if let Ok(read) = reads.try_recv() {
                            self.handle(read);
                        }
                        if more {
                            // Give way: a thread woken on this core meanwhile
                            // (a keystroke on its way, another session's echo)
                            // runs now, not when the kernel ends our turn.
                            std::thread::yield_now();
                        }
                    }
                    None => output_open = false,
                },
                Some(read) = reads.recv() => {
                    self.handle(read);
                }
                status = async { exit.as_mut().expect("guarded").await }, if exit.is_some() => {
                    exit = None;
                    let status = match status {
                        Ok(Ok(s)) => s,
                        Ok(Err(e)) => { tracing::warn!(session = %self.id, "wait: {e}"); ExitStatus::Code(-1) }
                        Err(e) => { tracing::warn!(session = %self.id, "wait task: {e}"); ExitStatus::Code(-1) }
                    };
                    tracing::debug!(session = %self.id, %status, "program exited");
                    self.reaped = true;
                    exit_status = Some(status);
                    drain_deadline = Some(Instant::now() + DRAIN_AFTER_EXIT);
                }
                _ = tokio::time::sleep_until(drain_deadline.unwrap_or_else(Instant::now)), if drain_deadline.is_some() && output_open => {
                    output_open = false;
                }
            }
            if let (Some(status), false, None) = (exit_status, output_open, self.exited) {
                self.term.set_clock(now_ms());
                self.term.end_blocks();
                self.dispatch_events();
                if !self.remain_on_exit {
                    break EndReason::Exited(status);
                }
                self.exited = Some(status);
                self.typing.lock().exited = true;
                self.term.touch();
                self.publish();
            }
        };
        self.pulse.send_modify(|p| p.ended = Some(reason.clone()));
        reason
    }

    /// Parse a batch of output (what is there, up to about [`BATCH_BYTES`])
    /// and wake the clients; whether the batch filled (more output is
    /// likely waiting).
    fn feed(&mut self, first: Vec<u8>, chunks: &mut PtyReader) -> bool {
        self.term.set_clock(now_ms());
        self.term.feed(&first);
        let mut parsed = first.len();
        while parsed < BATCH_BYTES {
            match chunks.try_recv() {
                Some(chunk) => {
                    self.term.feed(&chunk);
                    parsed += chunk.len();
                }
                None => break,
            }
        }
        let filled = parsed >= BATCH_BYTES;
        let replies = self.term.take_replies();
        if let Err(e) = self.typing.reply(replies) {
            tracing::debug!(session = %self.id, "terminal reply dropped: {e}");
        }
        let clipboard = self.dispatch_events();
        if let Some(seq) = self.publish()
            && let Some((selection, data)) = clipboard
        {
            self.clipboard = Some(Clipboard {
                selection,
                data,
                seq,
            });
        }
        filled
    }

    /// Act on the terminal's events; the last clipboard the program set, if any.
    fn dispatch_events(&mut self) -> Option<(String, Vec<u8>)> {
        let mut clipboard = None;
        for event in self.term.take_events() {
            match event {
                TermEvent::Bell => self.bell_count += 1,
                TermEvent::Clipboard { selection, data } => clipboard = Some((selection, data)),
                // Nobody watching is fine.
                TermEvent::Block(e) => drop(self.block_events.send(e)),
                // (Not to a pid the exited shell's may be reused for.)
                TermEvent::PromptUnmarked if !self.reaped => {
                    let asked = shell::process::ask_to_remark(self.pty.pid);
                    tracing::debug!(session = %self.id, asked, "the shell's prompt lost its marks");
                }
                TermEvent::PromptUnmarked => {}
            }
            self.term.touch();
        }
        clipboard
    }

    fn block_info(&self, block: &Block) -> BlockInfo {
        BlockInfo {
            block: block.clone(),
            output_trimmed: block.output.row < self.term.history_start(),
        }
    }

    /// Commit the terminal's changes (if any) and wake the clients: those
    /// waiting for an update get it now.
    fn publish(&mut self) -> Option<u64> {
        let seq = self.term.commit()?;
        for waiting in std::mem::take(&mut self.waiting) {
            self.answer(waiting);
        }
        self.pulse.send_modify(|p| p.seq = seq);
        Some(seq)
    }

    /// Send an update (see `sync::build_update`).
    fn answer(&self, asked: WaitingUpdate) {
        if asked.reply.is_closed() {
            return;
        }
        let clients = self.typing.lock().clients.len() as u32;
        let meta = SessionMeta {
            name: &self.name,
            clients,
            bell_count: self.bell_count,
            clipboard: self.clipboard.as_ref(),
            exited: self.exited,
        };
        let update = build_update(
            &self.term,
            &meta,
            asked.since,
            asked.history_rows,
            asked.oldest,
        );
        let _ = asked.reply.send(update);
    }

    /// Resize the PTY and the terminal to what the clients want.
    fn fit_to_clients(&mut self) {
        let Some(want) = self.typing.lock().clients.wanted_size() else {
            return;
        };
        if want.cols == self.term.cols() && want.rows == self.term.rows() {
            return;
        }
        tracing::debug!(session = %self.id, cols = want.cols, rows = want.rows, "session resized");
        if let Err(e) = self.pty.resize(want.cols, want.rows) {
            tracing::warn!(session = %self.id, "resize: {e}");
        }
        self.term.resize(want.cols, want.rows);
    }

    /// The shell's directory: as it last reported it, or, from a shell that
    /// reports it only with each command (our bash), from a program that has
    /// reported none yet (or never does), as it is now.
    fn cwd(&self) -> String {
        let reported = || self.term.cwd().unwrap_or_default().to_owned();
        let ask = self.term.cwd_with_commands() || self.term.cwd().is_none();
        if ask && !self.reaped {
            return shell::process::cwd(self.pty.pid).unwrap_or_else(reported);
        }
        reported()
    }

    fn info(&self) -> SessionInfo {
        let (clients, last_active_ms) = {
            let typing = self.typing.lock();
            (typing.clients.len() as u32, typing.last_active_ms)
        };
        SessionInfo {
            id: self.id.clone(),
            name: self.name.clone(),
            command: self.argv.clone(),
            pid: self.pty.pid,
            size: Size {
                cols: self.term.cols(),
                rows: self.term.rows(),
            },
            clients,
            history_lines: self.term.screen_start().0 - self.term.history_start().0,
            created_at_ms: self.created_at_ms,
            last_active_ms,
            title: self.term.title().to_owned(),
            cwd: self.cwd(),
            exit: self.exited,
        }
    }

    fn handle(&mut self, cmd: SessionCmd) -> Flow {
        match cmd {
            SessionCmd::Attach {
                client,
                size,
                read_only,
                reply,
            } => {
                self.typing.lock().clients.attach(client, size, read_only);
                self.fit_to_clients();
                self.term.touch();
                self.publish();
                let _ = reply.send((self.info(), self.pulse.subscribe()));
            }
            SessionCmd::Detach { client } => {
                self.typing.lock().clients.detach(client);
                self.fit_to_clients();
                self.term.touch();
                self.publish();
            }
            SessionCmd::Refit => {
                self.fit_to_clients();
                self.publish();
            }
            SessionCmd::Resize { client, size } => {
                tracing::debug!(session = %self.id, client = client.0, cols = size.cols, rows = size.rows, "client resized");
                let resized = {
                    let mut typing = self.typing.lock();
                    let writer = !typing.clients.is_read_only(client);
                    if writer {
                        typing.clients.resize(client, size);
                    }
                    writer
                };
                if resized {
                    self.fit_to_clients();
                    self.publish();
                }
            }
            SessionCmd::TerminalLook { client, look } => {
                // The most recent report wins; a viewer's does not count.
                if !self.typing.lock().clients.is_read_only(client) {
                    self.term.set_terminal_look(look);
                }
            }
            SessionCmd::Update {
                since,
                history_rows,
                oldest,
                past,
                reply,
            } => {
                let waiting = WaitingUpdate {
                    since,
                    history_rows,
                    oldest,
                    reply,
                };
                match past {
                    Some(seq) if self.term.committed_seq() <= seq => {
                        // Those that gave up waiting (their client left).
                        self.waiting.retain(|w| !w.reply.is_closed());
                        self.waiting.push(waiting);
                    }
                    _ => self.answer(waiting),
                }
            }
            SessionCmd::Info { reply } => {
                let _ = reply.send(self.info());
            }
            SessionCmd::Capture {
                scrollback,
                ansi,
                reply,
            } => {
                let term = &self.term;
                let capture = if scrollback {
                    term.capture(true, ansi)
                } else {
                    term.capture(false, ansi)
                };
                let _ = reply.send(capture);
            }
            SessionCmd::ReadRows { start, end, reply } => {
                let end = RowIndex(end.0.min(start.0.saturating_add(MAX_ROWS_PER_READ)));
                let rows = (start.0..end.0)
                    .filter_map(|i| self.term.line(RowIndex(i)).map(|l| (RowIndex(i), l)))
                    .collect();
                let _ = reply.send(Rows {
                    rows,
                    history_start: self.term.history_start(),
                    screen_start: self.term.screen_start(),
                });
            }
            SessionCmd::Search {
                query,
                from,
                backwards,
                case_sensitive,
                reply,
            } => {
                let term = &self.term;
                let found = term.search(&query, from, backwards, case_sensitive);
                let _ = reply.send(found);
            }
            SessionCmd::Rename { name } => {
                self.name = name;
                self.term.touch();
                self.publish();
            }
            SessionCmd::ListBlocks {
                before,
                limit,
                reply,
            } => {
                let (page, more) = self.term.blocks_page(before, limit);
                let blocks = page.into_iter().map(|b| self.block_info(b)).collect();
                let _ = reply.send(BlockPage { blocks, more });
            }
            SessionCmd::BlockOutput { id, ansi, reply } => {
                let block = match id {
                    Some(id) => self.term.block(id),
                    None => self.term.blocks().next_back(),
                };
                let term = &self.term;
                let found = block.map(|b| {
                    let output = term.block_output(b.id, ansi).unwrap_or_default();
                    (self.block_info(b), output)
                });
                let _ = reply.send(found);
            }
            SessionCmd::WatchBlocks { reply } => {
                let _ = reply.send(self.block_events.subscribe());
            }
            SessionCmd::Kill => {
                self.pty.signal(Signal::SIGHUP);
                return Flow::End(EndReason::Killed);
            }
            // Taken in `run`, which holds what it needs.
            SessionCmd::Freeze { .. } => {}
        }
        Flow::Continue
    }
}

/// The session is over: its input goes with it, though handles live on.
impl Drop for Session {
    fn drop(&mut self) {
        self.typing.close();
    }
}
