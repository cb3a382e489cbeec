//! A process on a real pseudo-terminal that the benchmark holds the master of:
//! a multiplexer's client drawing into "our screen", or a program whose output
//! we drain (the bare-PTY floor).

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::pty::{Winsize, openpty};

/// A child on a PTY; killed (SIGHUP, then SIGKILL) and reaped on drop.
pub struct PtyChild {
    master: File,
    child: Child,
}

impl PtyChild {
    /// Start `cmd` as a session leader with a `cols`×`rows` PTY as its
    /// controlling terminal and stdio.
    pub fn spawn(mut cmd: Command, cols: u16, rows: u16) -> anyhow::Result<PtyChild> {
        let size = Winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let pty = openpty(Some(&size), None).context("openpty")?;
        let slave: OwnedFd = pty.slave;
        cmd.stdin(Stdio::from(slave.try_clone()?))
            .stdout(Stdio::from(slave.try_clone()?))
            .stderr(Stdio::from(slave.try_clone()?));
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                nix::unistd::setsid().map_err(io::Error::from)?;
                if nix::libc::ioctl(0, nix::libc::TIOCSCTTY as _, 0) != 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().with_context(|| format!("starting {cmd:?}"))?;
        drop(cmd);
        drop(slave);
        Ok(PtyChild {
            master: File::from(pty.master),
            child,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Type `bytes` into the terminal.
    pub fn write(&self, bytes: &[u8]) -> io::Result<()> {
        (&self.master).write_all(bytes)
    }

    /// Read what is there, waiting at most `timeout`: `Ok(0)` on a timeout,
    /// an error once the child has gone (EIO).
    pub fn read_timeout(&self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
        let mut fds = [PollFd::new(self.master.as_fd(), PollFlags::POLLIN)];
        let ready = poll(
            &mut fds,
            PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX),
        )
        .map_err(io::Error::from)?;
        if ready == 0 {
            return Ok(0);
        }
        match (&self.master).read(buf) {
            Ok(0) => Err(io::Error::new(io::ErrorKind::UnexpectedEof, "pty closed")),
            r => r,
        }
    }

    /// Read and discard everything available for `quiet` (no more output for
    /// that long) or until `limit` has passed.
    pub fn drain(&self, quiet: Duration, limit: Duration) -> io::Result<usize> {
        let deadline = Instant::now() + limit;
        let mut total = 0;
        let mut buf = vec![0; 64 * 1024];
        while Instant::now() < deadline {
            match self.read_timeout(&mut buf, quiet)? {
                0 => break,
                n => total += n,
            }
        }
        Ok(total)
    }

    /// A reader of the master for another thread.
    pub fn reader(&self) -> io::Result<File> {
        self.master.try_clone()
    }

    /// Whether the child is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Wait for the child to exit by itself, at most `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if !self.alive() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        false
    }

    /// The raw master descriptor (for diagnostics).
    pub fn master_fd(&self) -> i32 {
        self.master.as_raw_fd()
    }
}

impl Drop for PtyChild {
    fn drop(&mut self) {
        crate::process::stop(&mut self.child);
    }
}

/// A thread that reads and discards a PTY master until it closes, counting bytes.
pub struct Drainer {
    thread: Option<std::thread::JoinHandle<u64>>,
}

impl Drainer {
    pub fn start(mut reader: File) -> Drainer {
        let thread = std::thread::spawn(move || {
            let mut buf = vec![0; 64 * 1024];
            let mut total = 0u64;
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                total += n as u64;
            }
            total
        });
        Drainer {
            thread: Some(thread),
        }
    }

    /// Bytes read, once the PTY has closed.
    pub fn join(mut self) -> u64 {
        self.thread.take().and_then(|t| t.join().ok()).unwrap_or(0)
    }
}
