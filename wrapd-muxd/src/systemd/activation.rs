//! Socket activation: systemd (or `systemd-socket-activate`) binds the socket
//! and passes it as file descriptor 3, with `LISTEN_PID` (our pid) and
//! `LISTEN_FDS` (how many) in the environment.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixListener;

use nix::sys::socket::{
    AddressFamily, SockaddrLike, SockaddrStorage, getsockname, getsockopt, sockopt,
};

/// The first descriptor systemd passes.
const FIRST_FD: RawFd = 3;

/// The listening Unix socket we were given, if we were socket-activated.
/// Removes the `LISTEN_*` variables, so that sessions do not inherit them.
///
/// # Safety
/// Changes the process environment and takes ownership of fd 3: call once,
/// before any other thread runs.
pub unsafe fn take_listener() -> io::Result<Option<UnixListener>> {
    let pid = std::env::var("LISTEN_PID").ok();
    let fds = std::env::var("LISTEN_FDS").ok();
    for var in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] {
        // SAFETY: the caller promises no other thread runs.
        unsafe { std::env::remove_var(var) };
    }
    let (Some(pid), Some(fds)) = (pid, fds) else {
        return Ok(None);
    };
    if pid.parse::<u32>().ok() != Some(std::process::id()) {
        // Meant for another process (our parent): not ours to take.
        return Ok(None);
    }
    let invalid = |why: String| io::Error::new(io::ErrorKind::InvalidInput, why);
    match fds.parse::<u32>() {
        Ok(1) => {}
        Ok(0) => return Ok(None),
        _ => {
            return Err(invalid(format!(
                "LISTEN_FDS={fds}: wrapd-muxd takes exactly one socket (ListenStream=)"
            )));
        }
    }
    // SAFETY: systemd passed fd 3 to us (LISTEN_PID is our pid) and nothing
    // else in this process has touched it.
    let fd = unsafe { OwnedFd::from_raw_fd(FIRST_FD) };
    let addr: SockaddrStorage = getsockname(std::os::fd::AsRawFd::as_raw_fd(&fd))?;
    if addr.family() != Some(AddressFamily::Unix) || !getsockopt(&fd, sockopt::AcceptConn)? {
        return Err(invalid(
            "the inherited socket is not a listening Unix stream socket (ListenStream=PATH)"
                .to_owned(),
        ));
    }
    nix::fcntl::fcntl(
        &fd,
        nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC),
    )?;
    let listener = UnixListener::from(fd);
    listener.set_nonblocking(true)?;
    Ok(Some(listener))
}
