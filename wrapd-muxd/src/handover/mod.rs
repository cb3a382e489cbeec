//! Handing the daemon over to a new binary without losing a session
//! (`wrapd-muxd upgrade`, SIGUSR2): the daemon re-executes in place, so its
//! pid stays and every session's program stays its child.
//!
//! 1. `begin` (old image): every session actor stops at a clean point
//!    (output not yet read waits in the kernel), the state goes into a memfd
//!    (`wrapd.state.v1.Handover`), and the new binary runs once as a probe
//!    (`wrapd-muxd handover-probe`) that reads the real state and says
//!    whether it can take it, within a deadline. Only then: FD_CLOEXEC off
//!    the PTY masters, listeners, lock and memfd, and `execve`. A refusal,
//!    or an `execve` that fails, thaws the sessions: nothing changed.
//! 2. `take` (new image): finds the state (WRAPD_HANDOVER_FD), checks it
//!    whole before starting anything, then starts the sessions' actors
//!    around the same descriptors and serves. If it cannot take the state
//!    after all, it executes the previous binary (kept open, see
//!    `fallback_exe` in the proto) with the same state, which takes it back
//!    and says why.
//!
//! - `client`: `wrapd-muxd upgrade`, which asks for it and reports.
//! - `fdstore`: the same across `systemctl --user restart` (systemd's
//!   descriptor store instead of an exec).
//! - `freeze`: stopping the sessions at a clean point, writing the state.
//! - `fds`: the memfd, close-on-exec, and the exec itself.
//! - `probe`: running the probe, and being it.
//! - `shares`: the shares and participants to and from the state.
//! - `web`: the web door's credentials to and from the state.
//!
//! [`Handovers`] is the daemon's part: the descriptors a hand-over passes on,
//! whether one is under way, and how the last one went.

pub mod begin;
pub mod client;
pub mod fds;
pub mod fdstore;
pub mod freeze;
pub mod probe;
pub mod shares;
pub mod take;
pub mod web;

use std::os::fd::{AsFd, BorrowedFd, OwnedFd, RawFd};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use wrapd_proto::pb;

/// The format this daemon writes, and the newest it reads (see the rule in
/// `proto/wrapd/state/v1/handover.proto`). 1: sessions, shares, listeners;
/// 2: also the web door (its listener, browsers' credentials).
pub const FORMAT_VERSION: u32 = 2;
/// The state's memfd, by number.
pub const ENV_STATE_FD: &str = "WRAPD_HANDOVER_FD";
/// Set when the new image refused the state and executed the previous
/// binary: why (that one reports it, and does not fall back again).
pub const ENV_REFUSED: &str = "WRAPD_HANDOVER_REFUSED";
/// For tests of the way back: set in the new image's environment (not the
/// probe's), it refuses the state after the exec with this reason, as one
/// that finds a problem only then would. The previous binary, which takes
/// the state back, never sees it.
pub const ENV_TEST_REFUSE: &str = "WRAPD_HANDOVER_TEST_REFUSE";
/// This daemon's version, as `--version` and the probe say it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The Unix socket and its lock, as a hand-over passes them on.
pub struct UnixFds {
    pub socket: OwnedFd,
    pub lock: OwnedFd,
    pub path: PathBuf,
    pub remove_on_exit: bool,
}

/// What systemd told the daemon in its environment.
#[derive(Debug, Clone, Default)]
pub struct Systemd {
    /// `$NOTIFY_SOCKET` ("" without systemd).
    pub notify_socket: String,
    /// `$FDSTORE`: descriptors its store keeps for us (0: none).
    pub fdstore_max: usize,
}

impl Systemd {
    /// The variables again, for the next image.
    pub fn env(&self) -> [(&'static str, String); 2] {
        let fdstore = if self.fdstore_max > 0 {
            self.fdstore_max.to_string()
        } else {
            String::new()
        };
        [
            ("NOTIFY_SOCKET", self.notify_socket.clone()),
            ("FDSTORE", fdstore),
        ]
    }
}

/// The daemon's hand-over bookkeeping (one per daemon).
#[derive(Default)]
pub struct Handovers {
    /// A hand-over is under way: sessions are frozen, none may start.
    busy: AtomicBool,
    /// Copies of the Unix socket's listener and lock (the server owns theirs).
    unix: Mutex<Option<UnixFds>>,
    /// The share port's listener, handed over and not yet listening again.
    share_port: Mutex<Option<OwnedFd>>,
    /// The web door's listener: a copy of it while it listens (for the next
    /// hand-over to pass on), or the one a hand-over brought, until the door
    /// takes it.
    web_door: Mutex<Option<OwnedFd>>,
    /// `$NOTIFY_SOCKET` and `$FDSTORE` as systemd set them (they leave the
    /// environment at start, so that sessions do not inherit them).
    systemd: Mutex<Systemd>,
    /// How the last hand-over into this process went.
    last: Mutex<Option<pb::LastHandover>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Handovers {
    /// A hand-over is under way.
    pub fn busy(&self) -> bool {
        self.busy.load(Ordering::Acquire)
    }

    /// Claim the right to hand over; false if a hand-over is under way.
    fn claim(&self) -> bool {
        !self.busy.swap(true, Ordering::AcqRel)
    }

    fn release(&self) {
        self.busy.store(false, Ordering::Release);
    }

    pub fn keep_unix(&self, fds: UnixFds) {
        *lock(&self.unix) = Some(fds);
    }

    pub fn set_systemd(&self, systemd: Systemd) {
        *lock(&self.systemd) = systemd;
    }

    pub fn systemd(&self) -> Systemd {
        lock(&self.systemd).clone()
    }

    /// The share port's listener, if a hand-over brought one.
    pub fn take_share_port(&self) -> Option<OwnedFd> {
        lock(&self.share_port).take()
    }

    fn put_share_port(&self, fd: OwnedFd) {
        *lock(&self.share_port) = Some(fd);
    }

    /// The web door's listener, if a hand-over brought one.
    pub fn take_web_door(&self) -> Option<OwnedFd> {
        lock(&self.web_door).take()
    }

    /// The web door listens on `listener` now (`None`: it closed): a copy
    /// is kept for the next hand-over.
    pub fn keep_web_door(&self, listener: Option<BorrowedFd<'_>>) {
        let copy = listener.and_then(|fd| {
            fd.try_clone_to_owned()
                .inspect_err(|e| {
                    tracing::warn!(
                        "`wrapd-muxd upgrade` will not pass the web door on (browsers will \
                         wait for it to open again): {e}"
                    )
                })
                .ok()
        });
        *lock(&self.web_door) = copy;
    }

    fn put_web_door(&self, fd: OwnedFd) {
        *lock(&self.web_door) = Some(fd);
    }

    /// The web door's listener, by number, for the state.
    fn web_door_fd(&self) -> Option<RawFd> {
        use std::os::fd::AsRawFd;
        lock(&self.web_door).as_ref().map(|fd| fd.as_raw_fd())
    }

    pub fn last(&self) -> Option<pb::LastHandover> {
        lock(&self.last).clone()
    }

    fn set_last(&self, last: pb::LastHandover) {
        *lock(&self.last) = Some(last);
    }

    /// The Unix socket's and lock's descriptors, and the rest of what the
    /// state says of them.
    fn unix_listeners(&self) -> Option<(RawFd, RawFd, PathBuf, bool)> {
        use std::os::fd::AsRawFd;
        lock(&self.unix).as_ref().map(|u| {
            (
                u.socket.as_fd().as_raw_fd(),
                u.lock.as_fd().as_raw_fd(),
                u.path.clone(),
                u.remove_on_exit,
            )
        })
    }
}

/// Microseconds on the monotonic clock, which an exec does not reset: the
/// old image stamps when it stopped reading, the new one when it starts.
pub fn monotonic_us() -> u64 {
    let mut ts = nix::libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid pointer to a timespec; CLOCK_MONOTONIC always exists.
    unsafe { nix::libc::clock_gettime(nix::libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1000
}
