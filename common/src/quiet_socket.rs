//! A Unix stream socket that wakes its runtime only for data.
//!
//! tokio registers a socket for reading and writing at once. Linux signals a
//! Unix socket writable again each time its peer reads from it, so every
//! message the peer takes wakes the writer's runtime thread for nothing: one
//! of the attached client's three context switches per keystroke (the daemon
//! reading the key), and the same in the daemon when the client reads the
//! echo. This stream is registered for reading only; it writes straight away
//! and waits for room, through a second descriptor registered for writing,
//! only while a write would block.
//!
//! The daemon serves its socket with it and the client connects with it.

use std::io::{self, IoSlice, Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};

pub struct QuietUnixStream {
    /// The socket, registered for reading.
    stream: AsyncFd<UnixStream>,
    /// A duplicate registered for writing while a write waits for room.
    write_wait: Option<AsyncFd<OwnedFd>>,
}

impl QuietUnixStream {
    /// Take over `stream` (from tokio's listener or connect); must be called
    /// within a runtime.
    pub fn new(stream: tokio::net::UnixStream) -> io::Result<QuietUnixStream> {
        let stream = stream.into_std()?;
        stream.set_nonblocking(true)?;
        Ok(QuietUnixStream {
            stream: register(stream, Interest::READABLE)?,
            write_wait: None,
        })
    }

    pub async fn connect(path: &Path) -> io::Result<QuietUnixStream> {
        QuietUnixStream::new(tokio::net::UnixStream::connect(path).await?)
    }

    /// Write with `write`; when the socket is full, wait until it has room.
    fn poll_write_with(
        &mut self,
        cx: &mut Context<'_>,
        mut write: impl FnMut(&mut &UnixStream) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        loop {
            match write(&mut self.stream.get_ref()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                result => {
                    // Room again: stop listening for it.
                    self.write_wait = None;
                    return Poll::Ready(result);
                }
            }
            let waiter = match &mut self.write_wait {
                Some(waiter) => waiter,
                None => {
                    // Registering reports the socket writable at once if room
                    // came since the write failed: no wake-up is lost.
                    let fd = self.stream.get_ref().as_fd().try_clone_to_owned()?;
                    self.write_wait.insert(register(fd, Interest::WRITABLE)?)
                }
            };
            ready!(waiter.poll_write_ready(cx))?.clear_ready();
        }
    }
}

/// Register `fd` with the runtime for `interest`.
fn register<T: AsRawFd>(fd: T, interest: Interest) -> io::Result<AsyncFd<T>> {
    // SAFETY: `UnixStream` and `OwnedFd` own their descriptor, which stays
    // open and the same until the `AsyncFd` (which owns them) is dropped.
    Ok(unsafe { AsyncFd::register_with_interest(fd, interest) }?)
}

impl AsyncRead for QuietUnixStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            let mut guard = ready!(self.stream.poll_read_ready(cx))?;
            let unfilled = buf.initialize_unfilled();
            let unfilled_len = unfilled.len();
            match guard.try_io(|stream| stream.get_ref().read(unfilled)) {
                Ok(Ok(n)) => {
                    buf.advance(n);
                    // Less than asked for: the socket is empty now, so the
                    // next read waits for data instead of trying in vain.
                    if n > 0 && n < unfilled_len {
                        guard.clear_ready();
                    }
                    return Poll::Ready(Ok(()));
                }
                Ok(Err(e)) => return Poll::Ready(Err(e)),
                Err(_would_block) => continue,
            }
        }
    }
}

impl AsyncWrite for QuietUnixStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_write_with(cx, |s| s.write(buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .poll_write_with(cx, |s| s.write_vectored(bufs))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.stream.get_ref().shutdown(std::net::Shutdown::Write))
    }
}

impl tonic::transport::server::Connected for QuietUnixStream {
    /// The owner's socket needs nothing of its peer past the uid check made
    /// at accept.
    type ConnectInfo = ();

    fn connect_info(&self) {}
}

/// A gRPC channel to the daemon's socket at `path`, over
/// [`QuietUnixStream`]s (the URI only names the socket; the connector
/// reaches it).
pub async fn channel(path: &Path) -> Result<tonic::transport::Channel, tonic::transport::Error> {
    let path = path.to_owned();
    let connector = tower::service_fn(move |_: tonic::codegen::http::Uri| {
        let path = path.clone();
        async move {
            QuietUnixStream::connect(&path)
                .await
                .map(hyper_util::rt::TokioIo::new)
        }
    });
    tonic::transport::Endpoint::from_static("http://wrapd-muxd.invalid")
        .connect_timeout(std::time::Duration::from_secs(2))
        .connect_with_connector(connector)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// More than a socket buffer holds, both ways at once: writes that block
    /// wait for room and every byte arrives in order.
    #[tokio::test]
    async fn large_writes_wait_for_room_and_arrive_whole() {
        let (a, b) = tokio::net::UnixStream::pair().unwrap();
        let (mut a, mut b) = (
            QuietUnixStream::new(a).unwrap(),
            QuietUnixStream::new(b).unwrap(),
        );
        let data: Vec<u8> = (0..8 << 20).map(|i: u32| (i % 251) as u8).collect();
        let sent = data.clone();
        let writer = tokio::spawn(async move {
            a.write_all(&sent).await.unwrap();
            a.shutdown().await.unwrap();
            a
        });
        let mut got = Vec::new();
        b.read_to_end(&mut got).await.unwrap();
        assert!(got == data, "{} bytes of {}", got.len(), data.len());
        let mut a = writer.await.unwrap();
        // The other way, after the first direction closed.
        b.write_all(b"back").await.unwrap();
        drop(b);
        let mut back = Vec::new();
        a.read_to_end(&mut back).await.unwrap();
        assert_eq!(back, b"back");
    }
}
