//! What the user types, read on the client's own thread.
//!
//! crossterm's `EventStream` reads on a thread of its own and wakes ours for
//! every key: a thread switch (and a spin) on every keystroke, in the echo's
//! critical path. Here tokio tells us when the terminal has bytes, and
//! crossterm parses them without waiting (`poll` with a zero timeout).

use std::fs::File;
use std::io::{self, IsTerminal};
use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

use crossterm::event::Event;
use tokio::io::unix::AsyncFd;

pub struct Input {
    /// The terminal crossterm reads (stdin, or /dev/tty when stdin is not
    /// one), watched for readability only: crossterm does the reading.
    tty: AsyncFd<OwnedFd>,
}

impl Input {
    pub fn new() -> io::Result<Input> {
        let stdin = io::stdin();
        let tty = if stdin.is_terminal() {
            stdin.as_fd().try_clone_to_owned()?
        } else {
            OwnedFd::from(File::open("/dev/tty")?)
        };
        // SAFETY: the OwnedFd is ours alone and lives inside the AsyncFd: it
        // stays open, and the same descriptor, for the AsyncFd's whole life.
        let tty = unsafe { AsyncFd::register_with_interest(tty, tokio::io::Interest::READABLE) }?;
        Ok(Input { tty })
    }

    /// The next events the user produced (one or more), or `None` once the
    /// terminal is gone (hung up).
    pub async fn next(&mut self) -> io::Result<Option<Vec<Event>>> {
        loop {
            // Whatever happens below, the other branches of the caller's
            // `select!` (signals, the daemon) get their turn.
            tokio::task::consume_budget().await;
            // crossterm (0.29) reads a hung-up terminal for ever (each read
            // gives 0 bytes, and it reads again): never hand it one. Keys
            // typed just before the hang-up have nobody to answer them.
            if hung_up(self.tty.get_ref())? {
                return Ok(None);
            }
            let mut events = Vec::new();
            while crossterm::event::poll(Duration::ZERO)? {
                events.push(crossterm::event::read()?);
            }
            if !events.is_empty() {
                return Ok(Some(events));
            }
            // Everything buffered is parsed: wait for more. Readiness seen
            // after the poll above is kept, so no byte is waited past.
            let mut ready = self.tty.readable().await?;
            // A hang-up stays "ready" for ever: without this we would spin.
            if ready.ready().is_read_closed() {
                return Ok(None);
            }
            ready.clear_ready();
        }
    }
}

/// Whether the terminal behind `tty` has hung up (its other side closed).
fn hung_up(tty: &OwnedFd) -> io::Result<bool> {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    let mut fds = [PollFd::new(tty.as_fd(), PollFlags::POLLIN)];
    poll(&mut fds, PollTimeout::ZERO).map_err(io::Error::from)?;
    let revents = fds[0].revents().unwrap_or(PollFlags::empty());
    Ok(revents.intersects(PollFlags::POLLHUP | PollFlags::POLLERR | PollFlags::POLLNVAL))
}
