//! A session across a hand-over: frozen by the old image of the daemon (its
//! state in `wrapd.state.v1.Session`), restored by the new one around the
//! same program and PTY master.

use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Arc;

use tokio::sync::{broadcast, oneshot, watch};
use tokio_util::sync::CancellationToken;
use wrapd_proto::state as hpb;

use super::{BLOCK_EVENT_BUFFER, Session};
use crate::error::{Error, Result};
use crate::pty::{ExitStatus, Pty};
use crate::session::sync::{Clipboard, Pulse};
use crate::session::typing::Typing;
use crate::session::{Frozen, SessionHandle, SessionId};
use crate::term::Term;

impl Session {
    /// Answer `reply` with this session's state, then wait (reading nothing)
    /// until `resume` fires or is dropped. `exit_status`: the program has
    /// exited and was reaped (its output may still be there to read).
    pub(super) async fn freeze(
        &mut self,
        exit_status: Option<ExitStatus>,
        reply: oneshot::Sender<Result<Frozen>>,
        resume: oneshot::Receiver<()>,
    ) {
        if !self.typing.freeze() {
            // Queued input lives in the writer thread, which the exec ends.
            let _ = reply.send(Err(Error::Busy(format!(
                "session `{}`: its program has not read all its input yet; \
                 try again in a moment",
                self.name
            ))));
            return;
        }
        if reply.send(Ok(self.state(exit_status))).is_err() {
            self.typing.thaw();
            return; // the hand-over gave up before it asked us
        }
        tracing::debug!(session = %self.id, "frozen for a hand-over");
        let _ = resume.await;
        self.typing.thaw();
        tracing::debug!(session = %self.id, "thawed: the hand-over did not happen");
    }

    fn state(&self, exit_status: Option<ExitStatus>) -> Frozen {
        let last_active_ms = self.typing.lock().last_active_ms;
        hpb::Session {
            id: self.id.0.clone(),
            name: self.name.clone(),
            command: self.argv.clone(),
            pid: self.pty.pid,
            pty_master: Some(self.pty.master().as_raw_fd()),
            cols: self.term.cols().into(),
            rows: self.term.rows().into(),
            created_at_ms: self.created_at_ms,
            last_active_ms,
            remain_on_exit: self.remain_on_exit,
            bell_count: self.bell_count,
            term: self.term.save(),
            clipboard: self.clipboard.as_ref().map(|c| hpb::Clipboard {
                selection: c.selection.clone(),
                data: c.data.clone(),
                seq: c.seq,
            }),
            exit: exit_status.or(self.exited).map(exit_to_pb),
        }
    }
}

fn exit_to_pb(status: ExitStatus) -> hpb::ExitStatus {
    use hpb::exit_status::How;
    hpb::ExitStatus {
        how: Some(match status {
            ExitStatus::Code(c) => How::Code(c),
            ExitStatus::Signal(s) => How::Signal(s),
        }),
    }
}

fn exit_from_pb(status: &hpb::ExitStatus) -> ExitStatus {
    use hpb::exit_status::How;
    match status.how {
        Some(How::Signal(s)) => ExitStatus::Signal(s),
        Some(How::Code(c)) => ExitStatus::Code(c),
        None => ExitStatus::Code(-1),
    }
}

/// A session as the new image takes it over: everything but its PTY master
/// decoded and checked (see [`Restored::decode`]), nothing started yet.
pub struct Restored {
    state: hpb::Session,
    term: Term,
}

impl Restored {
    /// Decode the state of a session; what is wrong with it, in words.
    pub fn decode(mut state: hpb::Session) -> std::result::Result<Restored, String> {
        let term = Term::restore(&state.term)
            .map_err(|e| format!("session `{}`: its terminal: {e}", state.name))?;
        if state.pid == 0 {
            return Err(format!("session `{}` has no program (pid 0)", state.name));
        }
        state.term = Vec::new();
        Ok(Restored { state, term })
    }

    pub fn id(&self) -> SessionId {
        SessionId(self.state.id.clone())
    }

    pub fn name(&self) -> &str {
        &self.state.name
    }

    /// The PTY master's descriptor number, as the old image gave it.
    pub fn master_fd(&self) -> Option<i32> {
        self.state.pty_master
    }
}

/// Start the actor of a session handed over to this image, around `master`
/// (the descriptor [`Restored::master_fd`] names, now owned).
pub fn restore(
    restored: Restored,
    master: OwnedFd,
    on_end: Box<dyn FnOnce(&SessionId) + Send>,
    shutdown: CancellationToken,
) -> Result<SessionHandle> {
    let Restored { state, term } = restored;
    let exited = state.exit.as_ref().map(exit_from_pb);
    let (pty, input, output) =
        Pty::adopt(master, state.pid, exited).map_err(|source| Error::Spawn {
            command: state.command.join(" "),
            source,
        })?;
    let pulse = Pulse {
        seq: term.committed_seq(),
        ended: None,
    };
    let session = Session {
        id: SessionId(state.id),
        name: state.name,
        argv: state.command,
        pty,
        term,
        typing: Arc::new(Typing::new(input, state.last_active_ms)),
        remain_on_exit: state.remain_on_exit,
        created_at_ms: state.created_at_ms,
        bell_count: state.bell_count,
        clipboard: state.clipboard.map(|c| Clipboard {
            selection: c.selection,
            data: c.data,
            seq: c.seq,
        }),
        // Set again once the program's last output is read (as at any exit).
        exited: None,
        reaped: exited.is_some(),
        pulse: watch::channel(pulse).0,
        block_events: broadcast::channel(BLOCK_EVENT_BUFFER).0,
        waiting: Vec::new(),
    };
    tracing::info!(session = %session.id, pid = session.pty.pid, "session taken over");
    session.start(output, on_end, shutdown)
}
