//! Start and finish lines for a program inside a multiplexer: two FIFOs.
//!
//! The program's script writes a line to `done` (ready), waits to read a line
//! from `go`, does its work, then writes a line to `done` again. The benchmark holds both FIFOs open read-write, so
//! neither side ever blocks on opening them, and times from writing to `go`
//! until `done` becomes readable: no polling of the multiplexer in between.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::stat::Mode;

pub struct Gate {
    dir: tempfile::TempDir,
    go: File,
    done: File,
    /// The program said it is ready.
    ready: bool,
}

impl Gate {
    pub fn new() -> anyhow::Result<Gate> {
        let dir = tempfile::Builder::new()
            .prefix("wrapd-bench-gate")
            .tempdir()?;
        let open = |name: &str| -> anyhow::Result<File> {
            let path = dir.path().join(name);
            nix::unistd::mkfifo(&path, Mode::from_bits_truncate(0o600))
                .with_context(|| format!("mkfifo {}", path.display()))?;
            Ok(OpenOptions::new().read(true).write(true).open(&path)?)
        };
        let go = open("go")?;
        let done = open("done")?;
        Ok(Gate {
            dir,
            go,
            done,
            ready: false,
        })
    }

    fn path(&self, name: &str) -> String {
        shell_quote(&self.dir.path().join(name))
    }

    /// A shell script that waits for [`Gate::go`], runs `body`, signals
    /// done, and then stays (so the session stays).
    pub fn script(&self, body: &str) -> String {
        format!(
            "echo > {done}; read _ < {go}; {body}; echo > {done}; exec sleep 1000000",
            go = self.path("go"),
            done = self.path("done")
        )
    }

    /// A shell command that signals done (or ready), for programs that do
    /// not run [`Gate::script`] (a shell that is typed into).
    pub fn done_command(&self) -> String {
        format!("echo > {}", self.path("done"))
    }

    /// Wait until the program has started and waits for [`Gate::go`].
    pub fn ready(&mut self) -> anyhow::Result<()> {
        if !self.ready {
            self.wait_done(Duration::from_secs(30))
                .context("waiting for the program to be ready")?;
            self.ready = true;
        }
        Ok(())
    }

    /// Let the program start, once it is ready; the time it was let go.
    pub fn go(&mut self) -> anyhow::Result<Instant> {
        self.ready()?;
        let t = Instant::now();
        self.go.write_all(b"\n")?;
        Ok(t)
    }

    /// Wait until the program says it is done (or ready); the time it did.
    pub fn wait_done(&mut self, timeout: Duration) -> anyhow::Result<Instant> {
        let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        let mut fds = [PollFd::new(self.done.as_fd(), PollFlags::POLLIN)];
        let ready = poll(
            &mut fds,
            PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX),
        )?;
        let t = Instant::now();
        if ready == 0 {
            bail!("the program did not finish within {timeout:?}");
        }
        let mut buf = [0u8; 16];
        let _ = self.done.read(&mut buf)?;
        Ok(t)
    }
}

/// `path` quoted for `sh`.
pub fn shell_quote(path: &Path) -> String {
    format!("'{}'", path.to_string_lossy().replace('\'', r"'\''"))
}
