//! The sd_notify protocol: one datagram of `KEY=VALUE` lines to the Unix
//! socket named by `$NOTIFY_SOCKET` (a path, or an abstract name after `@`).
//! Nothing is sent when the variable is unset (not started by systemd).

use std::io;
use std::os::unix::net::{SocketAddr, UnixDatagram};

/// The socket systemd listens on for this service, if any. Read once at start
/// ([`take_socket`]) so that sessions do not inherit the variable.
#[derive(Debug, Clone)]
pub struct Notifier {
    addr: Option<SocketAddr>,
}

impl Notifier {
    /// A notifier that sends nothing.
    pub fn none() -> Notifier {
        Notifier { addr: None }
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
    // SAFETY: the caller promises no other thread runs.
    unsafe { std::env::remove_var("NOTIFY_SOCKET") };
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
    Ok(Notifier { addr: Some(addr) })
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
        };
        n.notify("READY=1\nSTATUS=serving").unwrap();
        let mut buf = [0; 64];
        let len = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..len], b"READY=1\nSTATUS=serving");
        Notifier::none().notify("READY=1").unwrap();
    }
}
