//! Socket activation: systemd (or `systemd-socket-activate`) binds the socket
//! and passes it as file descriptor 3, with `LISTEN_PID` (our pid) and
//! `LISTEN_FDS` (how many) in the environment. After a restart it also
//! passes back what our previous instance put in its descriptor store
//! (names starting with [`STORED_PREFIX`], in `LISTEN_FDNAMES`).

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixListener;

use nix::sys::socket::{
    AddressFamily, SockaddrLike, SockaddrStorage, getsockname, getsockopt, sockopt,
};

/// The first descriptor systemd passes.
const FIRST_FD: RawFd = 3;
/// Names of the descriptors the daemon puts in systemd's store start so.
pub const STORED_PREFIX: &str = "wrapd-";

/// What systemd passed us.
#[derive(Default)]
pub struct Activation {
    /// The listening Unix socket (socket activation).
    pub listener: Option<UnixListener>,
    /// Descriptors our previous instance stored, by name (close-on-exec).
    pub stored: Vec<(String, OwnedFd)>,
}

/// What systemd passed us, if anything. Removes the `LISTEN_*` variables,
/// so that sessions do not inherit them.
///
/// # Safety
/// Changes the process environment and takes ownership of the descriptors
/// from 3 on that `LISTEN_FDS` counts: call once, before any other thread runs.
pub unsafe fn take() -> io::Result<Activation> {
    let pid = std::env::var("LISTEN_PID").ok();
    let fds = std::env::var("LISTEN_FDS").ok();
    let names = std::env::var("LISTEN_FDNAMES").ok();
    for var in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] {
        // SAFETY: the caller promises no other thread runs.
        unsafe { std::env::remove_var(var) };
    }
    let (Some(pid), Some(fds)) = (pid, fds) else {
        return Ok(Activation::default());
    };
    if pid.parse::<u32>().ok() != Some(std::process::id()) {
        // Meant for another process (our parent): not ours to take.
        return Ok(Activation::default());
    }
    let invalid = |why: String| io::Error::new(io::ErrorKind::InvalidInput, why);
    let count: RawFd = fds
        .parse()
        .map_err(|_| invalid(format!("LISTEN_FDS={fds} is not a number")))?;
    let names: Vec<String> = names
        .map(|n| n.split(':').map(str::to_owned).collect())
        .unwrap_or_default();
    let mut activation = Activation::default();
    let mut sockets = Vec::new();
    for i in 0..count.max(0) {
        // SAFETY: systemd passed fds 3.. to us (LISTEN_PID is our pid) and
        // nothing else in this process has touched them.
        let fd = unsafe { OwnedFd::from_raw_fd(FIRST_FD + i) };
        nix::fcntl::fcntl(
            &fd,
            nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC),
        )?;
        match names.get(i as usize) {
            Some(name) if name.starts_with(STORED_PREFIX) => {
                activation.stored.push((name.clone(), fd))
            }
            _ => sockets.push(fd),
        }
    }
    let Some(fd) = sockets.pop() else {
        return Ok(activation);
    };
    if !sockets.is_empty() {
        return Err(invalid(format!(
            "systemd passed {} sockets: wrapd-muxd takes exactly one (ListenStream=)",
            sockets.len() + 1
        )));
    }
    let addr: SockaddrStorage = getsockname(fd.as_raw_fd())?;
    if addr.family() != Some(AddressFamily::Unix) || !getsockopt(&fd, sockopt::AcceptConn)? {
        return Err(invalid(
            "the inherited socket is not a listening Unix stream socket (ListenStream=PATH)"
                .to_owned(),
        ));
    }
    let listener = UnixListener::from(fd);
    listener.set_nonblocking(true)?;
    activation.listener = Some(listener);
    Ok(activation)
}
