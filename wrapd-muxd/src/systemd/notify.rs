//! The sd_notify protocol: one datagram of `KEY=VALUE` lines to the Unix
//! socket named by `$NOTIFY_SOCKET` (a path, or an abstract name after `@`).
//! Nothing is sent when the variable is unset (not started by systemd).
//!
//! With `FileDescriptorStoreMax=` systemd also keeps descriptors for the
//! service across its restarts (`$FDSTORE` says how many): `FDSTORE=1` and
//! `FDNAME=` with the descriptor attached (SCM_RIGHTS) puts one there, and a
//! restarted service gets them back as it gets sockets (`LISTEN_FDNAMES`).

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::{SocketAddr, UnixDatagram};

/// The socket systemd listens on for this service, if any. Read once at start
/// ([`take_socket`]) so that sessions do not inherit the variable.
#[derive(Debug, Clone)]
pub struct Notifier {
    addr: Option<SocketAddr>,
    /// `$NOTIFY_SOCKET` as it was, for a hand-over to pass on.
    value: String,
    /// `$FDSTORE`: how many descriptors systemd keeps for us (0: none).
    fdstore_max: usize,
}

impl Notifier {
    /// A notifier that sends nothing.
    pub fn none() -> Notifier {
        Notifier {
            addr: None,
            value: String::new(),
            fdstore_max: 0,
        }
    }

    /// `$NOTIFY_SOCKET` as systemd set it ("" if it did not).
    pub fn socket_value(&self) -> &str {
        &self.value
    }

    /// Tell systemd `state` (`READY=1`, `RELOADING=1`, `STOPPING=1`, `STATUS=...`).
    pub fn notify(&self, state: &str) -> io::Result<()> {
        let Some(addr) = &self.addr else {
            return Ok(());
        };
        let socket = UnixDatagram::unbound()?;
        socket.send_to_addr(state.as_bytes(), addr)?;
        Ok(())
    }

    /// How many descriptors systemd's store keeps for us (0: no store).
    pub fn fdstore_max(&self) -> usize {
        if self.addr.is_some() {
            self.fdstore_max
        } else {
            0
        }
    }

    /// Put `fd` in systemd's descriptor store under `name` (printable
    /// ASCII, no `:`; names may repeat).
    pub fn store(&self, name: &str, fd: RawFd) -> io::Result<()> {
        self.send_with_fd(&format!("FDSTORE=1\nFDNAME={name}"), Some(fd))
    }

    /// Take the descriptors named `name` out of systemd's store (it closes
    /// its copies).
    pub fn unstore(&self, name: &str) {
        if let Err(e) = self.send_with_fd(&format!("FDSTOREREMOVE=1\nFDNAME={name}"), None) {
            tracing::warn!("cannot take {name} out of systemd's descriptor store: {e}");
        }
    }

    fn send_with_fd(&self, state: &str, fd: Option<RawFd>) -> io::Result<()> {
        use nix::sys::socket::{ControlMessage, MsgFlags, sendmsg};
        let Some(addr) = &self.addr else {
            return Err(io::Error::other(
                "not started by systemd (no NOTIFY_SOCKET)",
            ));
        };
        let socket = UnixDatagram::unbound()?;
        socket.connect_addr(addr)?;
        let fds = fd.map(|fd| [fd]);
        let cmsgs: Vec<ControlMessage> = fds.iter().map(|f| ControlMessage::ScmRights(f)).collect();
        let iov = [std::io::IoSlice::new(state.as_bytes())];
        sendmsg::<()>(socket.as_raw_fd(), &iov, &cmsgs, MsgFlags::empty(), None)?;
        Ok(())
    }

    /// Like [`notify`](Self::notify), logging a failure instead of returning it:
    /// systemd not hearing us is worth a warning, never a reason to stop.
    pub fn tell(&self, state: &str) {
        if let Err(e) = self.notify(state) {
            tracing::warn!("cannot notify systemd of {state:?}: {e}");
        }
    }
}

/// Take `$NOTIFY_SOCKET` out of the environment.
///
/// # Safety
/// Changes the process environment: call before any other thread runs.
pub unsafe fn take_socket() -> io::Result<Notifier> {
    let Some(value) = std::env::var_os("NOTIFY_SOCKET") else {
        return Ok(Notifier::none());
    };
    let fdstore_max = std::env::var("FDSTORE")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    // SAFETY: the caller promises no other thread runs.
    unsafe {
        std::env::remove_var("NOTIFY_SOCKET");
        std::env::remove_var("FDSTORE");
    }
    let bytes = value.as_encoded_bytes();
    let addr = match bytes.strip_prefix(b"@") {
        Some(name) => {
            use std::os::linux::net::SocketAddrExt;
            SocketAddr::from_abstract_name(name)?
        }
        None if bytes.starts_with(b"/") => SocketAddr::from_pathname(&value)?,
        None => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("NOTIFY_SOCKET={value:?} is neither a path nor @abstract"),
            ));
        }
    };
    Ok(Notifier {
        addr: Some(addr),
        value: value.to_string_lossy().into_owned(),
        fdstore_max,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_one_datagram_to_the_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let listener = UnixDatagram::bind(&path).unwrap();
        let n = Notifier {
            addr: Some(SocketAddr::from_pathname(&path).unwrap()),
            value: path.display().to_string(),
            fdstore_max: 0,
        };
        n.notify("READY=1\nSTATUS=serving").unwrap();
        let mut buf = [0; 64];
        let len = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..len], b"READY=1\nSTATUS=serving");
        Notifier::none().notify("READY=1").unwrap();
    }
}
