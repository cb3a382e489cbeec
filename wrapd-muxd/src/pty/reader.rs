//! The program's output, read on the runtime as it comes.
//!
//! The master is non-blocking and watched by tokio's reactor: when the program
//! writes, the session's actor wakes and reads, with no thread in between to
//! wake first (a keystroke's echo crossed one more thread before).

use std::fs::File;
use std::io::{self, Read};

use tokio::io::unix::AsyncFd;

/// Bytes read at most at once: the session's actor parses what it reads
/// before it can let anything else run (see `session::actor`'s turns).
const READ_CHUNK: usize = 16 * 1024;

pub struct PtyReader {
    master: AsyncFd<File>,
    buf: Box<[u8]>,
}

/// What one read gave.
enum Got {
    Bytes(usize),
    /// Nothing now; try again when the reactor says so.
    Nothing,
    /// The terminal is closed: every process holding its slave is gone.
    End,
}

impl PtyReader {
    /// `master` must be non-blocking.
    pub fn new(master: File) -> io::Result<PtyReader> {
        // SAFETY: the File is ours alone and lives inside the AsyncFd: it
        // stays open, and the same descriptor, for the AsyncFd's whole life.
        let master =
            unsafe { AsyncFd::register_with_interest(master, tokio::io::Interest::READABLE) }?;
        Ok(PtyReader {
            master,
            buf: vec![0; READ_CHUNK].into_boxed_slice(),
        })
    }

    /// The next chunk of output; `None` at the end of the stream.
    pub async fn recv(&mut self) -> Option<Vec<u8>> {
        loop {
            let mut ready = match self.master.readable_mut().await {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!("pty poll: {e}");
                    return None;
                }
            };
            match read(ready.get_inner_mut(), &mut self.buf) {
                Got::Bytes(n) => return Some(self.buf[..n].to_vec()),
                Got::Nothing => ready.clear_ready(),
                Got::End => return None,
            }
        }
    }

    /// A chunk that is there already, without waiting (`None` when there is
    /// none; the end of the stream shows up in [`PtyReader::recv`]).
    pub fn try_recv(&mut self) -> Option<Vec<u8>> {
        match read(self.master.get_mut(), &mut self.buf) {
            Got::Bytes(n) => Some(self.buf[..n].to_vec()),
            Got::Nothing | Got::End => None,
        }
    }
}

fn read(master: &mut File, buf: &mut [u8]) -> Got {
    loop {
        return match master.read(buf) {
            Ok(0) => Got::End,
            Ok(n) => Got::Bytes(n),
            // EIO: the slave side is closed.
            Err(e) if e.raw_os_error() == Some(nix::libc::EIO) => Got::End,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Got::Nothing,
            Err(e) => {
                tracing::warn!("pty read: {e}");
                Got::End
            }
        };
    }
}
