//! A program running on a pseudo-terminal.
//!
//! `nix::pty::openpty` + `tokio::process::Command` (never `forkpty`: this
//! process is multi-threaded). The child becomes a session leader with the PTY
//! slave as its controlling terminal. Output is read on the runtime
//! ([`reader`]). Input ([`PtyInput`]) is written at once when the PTY takes
//! it all (a keystroke does not wait for a thread to wake up); what it does
//! not take goes to a writer thread, so a program that stops reading its
//! input never stalls anything but its own writer.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::pty::{Winsize, openpty};
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::sync::mpsc;

mod reader;
mod reap;
pub use reader::PtyReader;

/// How to start a program.
#[derive(Debug, Clone)]
pub struct Command {
    /// Program and arguments (never empty).
    pub argv: Vec<String>,
    /// argv[0] as the program sees it ("-bash" for a login shell).
    pub arg0: Option<String>,
    pub cwd: PathBuf,
    /// Added to (and overriding) the daemon's environment.
    pub env: Vec<(OsString, OsString)>,
    pub cols: u16,
    pub rows: u16,
}

/// How a program ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Code(i32),
    Signal(i32),
}

impl From<std::process::ExitStatus> for ExitStatus {
    fn from(s: std::process::ExitStatus) -> Self {
        match (s.code(), s.signal()) {
            (Some(c), _) => ExitStatus::Code(c),
            (None, Some(sig)) => ExitStatus::Signal(sig),
            (None, None) => ExitStatus::Code(-1),
        }
    }
}

impl std::fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExitStatus::Code(c) => write!(f, "exit status {c}"),
            ExitStatus::Signal(s) => match Signal::try_from(*s) {
                Ok(sig) => write!(f, "killed by {sig}"),
                Err(_) => write!(f, "killed by signal {s}"),
            },
        }
    }
}

nix::ioctl_write_ptr_bad!(set_winsize, nix::libc::TIOCSWINSZ, Winsize);

/// The daemon's side of a running program: its size, its signals, its
/// master for a hand-over. Its input is a [`PtyInput`] of its own, so that
/// whoever types can write without the owner of the rest.
///
/// Dropping it, the [`PtyInput`] and the [`PtyReader`] closes every copy of
/// the master: the kernel then hangs up the terminal.
pub struct Pty {
    /// The master, kept for resizing.
    master: OwnedFd,
    pub pid: u32,
}

/// The program's input. Input is written at once when the PTY takes it all;
/// the rest goes to a writer thread. Dropping this stops the thread (through
/// `_stop`, even while the program reads nothing), which closes its copy of
/// the master.
pub struct PtyInput {
    /// A copy of the master, non-blocking.
    master: OwnedFd,
    /// Input for the writer thread.
    input: mpsc::Sender<Vec<u8>>,
    /// Chunks given to the writer thread and not yet written. Input may go
    /// straight to the PTY only when this is 0, or it would overtake them.
    queued: Arc<AtomicUsize>,
    /// Write end of a pipe the writer thread polls.
    _stop: OwnedFd,
}

/// What a spawned program produces: its output and, once, its exit status.
pub struct PtyOutput {
    /// The master to read the program's output from (non-blocking): made a
    /// [`PtyReader`] on the runtime that reads it.
    pub output: File,
    /// The child's exit status.
    pub exit: tokio::task::JoinHandle<io::Result<ExitStatus>>,
}

/// Writes queued for the program at most, before input is refused.
const INPUT_QUEUE: usize = 1024;

impl Pty {
    /// Start `cmd` on a new PTY.
    pub fn spawn(cmd: &Command) -> io::Result<(Pty, PtyInput, PtyOutput)> {
        let size = winsize(cmd.cols, cmd.rows);
        let pty = openpty(Some(&size), None).map_err(io::Error::from)?;
        set_cloexec(&pty.master)?;
        set_cloexec(&pty.slave)?;

        let mut command = tokio::process::Command::new(&cmd.argv[0]);
        command.args(&cmd.argv[1..]);
        if let Some(arg0) = &cmd.arg0 {
            command.arg0(arg0);
        }
        command
            .current_dir(&cmd.cwd)
            .envs(cmd.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::from(pty.slave.try_clone()?))
            .stdout(Stdio::from(pty.slave.try_clone()?))
            .stderr(Stdio::from(pty.slave.try_clone()?))
            .kill_on_drop(false);
        // SAFETY: between fork and exec we only make async-signal-safe calls
        // (setsid, ioctl, sigprocmask via nix wrappers that do not allocate).
        unsafe {
            command.pre_exec(|| {
                nix::unistd::setsid().map_err(io::Error::from)?;
                if nix::libc::ioctl(0, nix::libc::TIOCSCTTY as _, 0) != 0 {
                    return Err(io::Error::last_os_error());
                }
                // Signals the daemon ignores or blocks must not leak into the child.
                let empty = nix::sys::signal::SigSet::empty();
                nix::sys::signal::pthread_sigmask(
                    nix::sys::signal::SigmaskHow::SIG_SETMASK,
                    Some(&empty),
                    None,
                )
                .map_err(io::Error::from)?;
                for sig in [
                    Signal::SIGPIPE,
                    Signal::SIGHUP,
                    Signal::SIGINT,
                    Signal::SIGTERM,
                ] {
                    nix::sys::signal::signal(sig, nix::sys::signal::SigHandler::SigDfl)
                        .map_err(io::Error::from)?;
                }
                Ok(())
            });
        }
        let mut child = command.spawn()?;
        // Every copy of the slave must be gone here, or the end of stream never comes.
        drop(command);
        drop(pty.slave);
        let pid = child.id().unwrap_or(0);
        let exit = tokio::spawn(async move { child.wait().await.map(ExitStatus::from) });
        Pty::serve(pty.master, pid, exit)
    }

    /// Take over the PTY master of a program that an earlier image of this
    /// daemon started (a hand-over: the program is still our child). `exited`
    /// is its status if that image had already reaped it.
    pub fn adopt(
        master: OwnedFd,
        pid: u32,
        exited: Option<ExitStatus>,
    ) -> io::Result<(Pty, PtyInput, PtyOutput)> {
        set_cloexec(&master)?;
        let exit = tokio::spawn(async move {
            match exited {
                Some(status) => Ok(status),
                None => reap::wait(pid).await,
            }
        });
        Pty::serve(master, pid, exit)
    }

    /// Read, write and watch `master`, whose program is `pid`.
    fn serve(
        master: OwnedFd,
        pid: u32,
        exit: tokio::task::JoinHandle<io::Result<ExitStatus>>,
    ) -> io::Result<(Pty, PtyInput, PtyOutput)> {
        set_nonblocking(&master)?;
        let (stop_rx, stop_tx) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
        let reader = File::from(master.try_clone()?);
        let writer = File::from(master.try_clone()?);
        let (in_tx, in_rx) = mpsc::channel(INPUT_QUEUE);
        let queued = Arc::new(AtomicUsize::new(0));
        let writer_queued = queued.clone();
        std::thread::Builder::new()
            .name(format!("pty-write-{pid}"))
            .spawn(move || write_loop(writer, stop_rx, in_rx, &writer_queued))?;
        Ok((
            Pty {
                master: master.try_clone()?,
                pid,
            },
            PtyInput {
                master,
                input: in_tx,
                queued,
                _stop: stop_tx,
            },
            PtyOutput {
                output: reader,
                exit,
            },
        ))
    }

    /// The master, for a hand-over to pass on.
    pub fn master(&self) -> std::os::fd::BorrowedFd<'_> {
        self.master.as_fd()
    }

    /// Set the terminal size (the kernel sends SIGWINCH to the foreground group).
    pub fn resize(&self, cols: u16, rows: u16) -> io::Result<()> {
        let size = winsize(cols, rows);
        // SAFETY: the fd is a valid PTY master for the life of `self`.
        unsafe { set_winsize(self.master.as_raw_fd(), &size) }
            .map(drop)
            .map_err(io::Error::from)
    }

    /// Send a signal to the program's process group (it leads its own session).
    pub fn signal(&self, sig: Signal) {
        if self.pid != 0 {
            let _ = killpg(Pid::from_raw(self.pid as i32), sig);
        }
    }
}

impl PtyInput {
    /// Write bytes for the program, or queue what the PTY does not take now
    /// (unless `may_queue` is false: then that is refused). Fails when the
    /// program has not read its input for so long that the queue is full,
    /// or has gone. Callers that write from more than one thread keep their
    /// order with a lock of their own (see session/typing.rs).
    pub fn write(&self, mut data: Vec<u8>, may_queue: bool) -> Result<(), InputRefused> {
        if data.is_empty() {
            return Ok(());
        }
        if self.queued.load(Ordering::Acquire) == 0 {
            // The master is non-blocking: this never waits. Errors (EAGAIN,
            // EINTR, a closed terminal) are left to the writer thread.
            match nix::unistd::write(&self.master, &data) {
                Ok(n) if n == data.len() => return Ok(()),
                Ok(n) => drop(data.drain(..n)),
                Err(_) => {}
            }
        }
        if !may_queue {
            return Err(InputRefused::NotNow);
        }
        self.queued.fetch_add(1, Ordering::AcqRel);
        self.input.try_send(data).map_err(|e| {
            self.queued.fetch_sub(1, Ordering::AcqRel);
            match e {
                mpsc::error::TrySendError::Full(_) => InputRefused::Backlog,
                mpsc::error::TrySendError::Closed(_) => InputRefused::Closed,
            }
        })
    }

    /// Input handed to the writer thread and not yet written: a hand-over
    /// must wait for it (it would be lost with the thread).
    pub fn input_pending(&self) -> bool {
        self.queued.load(Ordering::Acquire) > 0
    }
}

/// Counts a queued chunk as done when dropped.
struct Written<'a>(&'a AtomicUsize);

impl Drop for Written<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Why input could not be queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InputRefused {
    #[error("the program is not reading its input (input queue full)")]
    Backlog,
    #[error("the program's terminal is closed")]
    Closed,
    #[error(
        "the session is being handed over to a new daemon: input the program has not read yet cannot wait now; try again in a moment"
    )]
    NotNow,
}

fn winsize(cols: u16, rows: u16) -> Winsize {
    Winsize {
        ws_row: rows.max(1),
        ws_col: cols.max(1),
        ws_xpixel: 0,
        ws_ypixel: 0,
    }
}

fn set_cloexec(fd: &OwnedFd) -> io::Result<()> {
    use nix::fcntl::{FcntlArg, FdFlag, fcntl};
    fcntl(fd.as_fd(), FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC)).map_err(io::Error::from)?;
    Ok(())
}

fn set_nonblocking(fd: &OwnedFd) -> io::Result<()> {
    use nix::fcntl::{FcntlArg, OFlag, fcntl};
    let flags = OFlag::from_bits_truncate(fcntl(fd.as_fd(), FcntlArg::F_GETFL)?);
    fcntl(fd.as_fd(), FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
    Ok(())
}

/// Wait until `fd` is ready for `events` or `stop` is closed; false when stopping.
fn wait_ready(fd: &File, stop: &OwnedFd, events: PollFlags) -> bool {
    loop {
        let mut fds = [
            PollFd::new(fd.as_fd(), events),
            PollFd::new(stop.as_fd(), PollFlags::POLLIN),
        ];
        match poll(&mut fds, PollTimeout::NONE) {
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => {
                tracing::warn!("pty poll: {e}");
                return false;
            }
            Ok(_) => {
                let stopping = fds[1].revents().is_some_and(|r| !r.is_empty());
                return !stopping;
            }
        }
    }
}

fn write_loop(
    mut master: File,
    stop: OwnedFd,
    mut input: mpsc::Receiver<Vec<u8>>,
    queued: &AtomicUsize,
) {
    while let Some(data) = input.blocking_recv() {
        // Counted down once written, or when the loop ends (nothing will be).
        let _written = Written(queued);
        let mut rest = &data[..];
        while !rest.is_empty() {
            match master.write(rest) {
                Ok(n) => rest = &rest[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if !wait_ready(&master, &stop, PollFlags::POLLOUT) {
                        return;
                    }
                }
                Err(e) => {
                    tracing::debug!("pty write: {e}");
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Input written straight to the PTY and input queued for the writer
    /// thread (while the program is not reading) arrive in order.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn input_keeps_its_order_when_the_program_lags() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let script = format!(
            "stty raw -echo; echo ready; sleep 0.1; cat > '{}'",
            out.display()
        );
        let (_pty, input, output) = Pty::spawn(&Command {
            argv: vec!["sh".into(), "-c".into(), script],
            arg0: None,
            cwd: dir.path().to_owned(),
            env: vec![],
            cols: 80,
            rows: 24,
        })
        .unwrap();
        let mut reader = PtyReader::new(output.output).unwrap();
        let mut seen: Vec<u8> = Vec::new();
        while !String::from_utf8_lossy(&seen).contains("ready") {
            seen.extend(reader.recv().await.unwrap());
        }
        // Small chunks go straight in; a big one fills the PTY while `sleep`
        // runs, and what follows it must queue behind it while the writer
        // thread feeds it in, though the PTY takes some bytes now and then.
        let mut expected: Vec<u8> = Vec::new();
        for i in 0..300u32 {
            let chunk = if i == 10 {
                vec![b'x'; 4 << 20]
            } else {
                format!("<{i}>").into_bytes()
            };
            expected.extend(&chunk);
            input.write(chunk, true).unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let got = std::fs::read(&out).unwrap_or_default();
            if got == expected {
                break;
            }
            assert!(
                got.len() <= expected.len() && std::time::Instant::now() < deadline,
                "the program got {} bytes of {}, or in another order",
                got.len(),
                expected.len()
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}
