//! Sessions: one actor per session owns its program, PTY and terminal model.
//!
//! - `handle`: [`SessionHandle`], the cloneable way in, and the commands it sends.
//! - `actor`: the session's state and its `run` loop; `actor::frozen`: its
//!   state handed to the next image of the daemon, and taken back there.
//! - `sync`: what a client is sent — snapshots and "changed since" updates.
//! - `pace`: how often one client is sent an update.
//! - `clients`: the attached clients and which of them sets the PTY size.
//! - `typing`: input written to the PTY by whoever typed it, not the actor
//!   (behind one lock with the clients and their roles).

mod actor;
mod clients;
mod handle;
mod pace;
pub(crate) mod sync;
mod typing;

pub use actor::{Restored, SessionSpec, restore, spawn};
pub use handle::{Attachment, BlockInfo, BlockPage, SessionHandle};
pub use pace::Cadence;
pub use sync::{Pulse, SyncPoint, Update};

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::pty::ExitStatus;

/// A session's id: unique for the life of the daemon (and across restarts,
/// since it carries the daemon's start time), so a reconnecting client can tell
/// its session from a new one with the same name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionId(pub String);

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A session stopped for a hand-over: its state as the next image reads it
/// (the PTY master's descriptor stays open while the actor waits).
pub type Frozen = wrapd_proto::state::Session;

/// An attached client, unique within the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(pub u64);

/// A terminal size in cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub cols: u16,
    pub rows: u16,
}

impl Size {
    /// Largest size accepted from anyone (a terminal this large is a mistake or an attack).
    pub const MAX: u16 = 4096;

    /// A size from untrusted numbers: `None` when a side is 0, clamped to [`Size::MAX`].
    pub fn checked(cols: u32, rows: u32) -> Option<Size> {
        if cols == 0 || rows == 0 {
            return None;
        }
        Some(Size {
            cols: cols.min(Size::MAX as u32) as u16,
            rows: rows.min(Size::MAX as u32) as u16,
        })
    }
}

impl Default for Size {
    fn default() -> Self {
        Size { cols: 80, rows: 24 }
    }
}

/// What `list` shows of a session.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub id: SessionId,
    pub name: String,
    pub command: Vec<String>,
    pub pid: u32,
    pub size: Size,
    pub clients: u32,
    pub history_lines: u64,
    pub created_at_ms: u64,
    pub last_active_ms: u64,
    pub title: String,
    pub cwd: String,
    pub exit: Option<ExitStatus>,
}

/// Why a session's attach streams end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndReason {
    Exited(ExitStatus),
    Killed,
    ServerExit,
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
