//! The scenarios (see `scenario::registry`).

pub mod attach;
pub mod blocks;
pub mod fanout;
pub mod latency;
pub mod load;
pub mod memory;
pub mod throughput;
pub mod upgrade;

use std::process::Command;
use std::time::{Duration, Instant};

use wrapd_muxd::term::{Term, TermConfig};

use crate::mux::Mux;
use crate::pty::PtyChild;

/// Name of the session every scenario creates.
pub const SESSION: &str = "bench";

/// A client of `mux` attached to [`SESSION`] in a `cols`×`rows` PTY that we
/// hold, once it has drawn its first screen (output went quiet). Its queries
/// (cursor position, device attributes) are answered meanwhile.
pub fn attached_client(mux: &dyn Mux, cols: u16, rows: u16) -> anyhow::Result<PtyChild> {
    drawn_client(mux.client(SESSION), mux.kind().name(), cols, rows)
}

/// `cmd` started in a `cols`×`rows` PTY that we hold, once it has drawn its
/// first screen (output went quiet); `what` names it in errors.
pub fn drawn_client(cmd: Command, what: &str, cols: u16, rows: u16) -> anyhow::Result<PtyChild> {
    let client = PtyChild::spawn(cmd, cols, rows)?;
    let mut screen = Screen::new(cols, rows);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut drawn = 0;
    while Instant::now() < deadline {
        match screen.pump(&client, Duration::from_millis(300))? {
            // Quiet after drawing: the first screen is there. Quiet before
            // anything came is a client still starting (joining over TLS, a
            // debug build on a busy machine): wait on, up to the deadline.
            0 if drawn > 0 => break,
            0 => {}
            n => drawn += n,
        }
    }
    anyhow::ensure!(drawn > 0, "{what} client drew nothing");
    Ok(client)
}

/// The outer terminal a client draws into: our own terminal model, which also
/// answers the client's queries.
pub struct Screen {
    term: Term,
    buf: Vec<u8>,
}

impl Screen {
    pub fn new(cols: u16, rows: u16) -> Screen {
        Screen {
            term: Term::new(cols, rows, TermConfig::default()),
            buf: vec![0; 64 * 1024],
        }
    }

    /// Read what the client drew within `timeout` (0 bytes: nothing came),
    /// apply it, and answer its queries.
    pub fn pump(&mut self, client: &PtyChild, timeout: Duration) -> anyhow::Result<usize> {
        let n = client.read_timeout(&mut self.buf, timeout)?;
        self.term.feed(&self.buf[..n]);
        let replies = self.term.take_replies();
        if !replies.is_empty() {
            client.write(&replies)?;
        }
        Ok(n)
    }

    /// The screen's text, one line per row, trailing blanks trimmed.
    pub fn text(&self) -> String {
        self.term.capture(false, false)
    }
}
