//! xterm as an oracle: Debian's `xterm` on a private `Xvfb` display, attached
//! to a pseudo-terminal this process holds (xterm's `-S` slave mode). The
//! test is the program running in it: it writes bytes, reads xterm's replies
//! straight from the terminal, and reads xterm's screen back through media
//! copy (`CSI i`), which xterm writes to its `printerCommand`.
//!
//! Synchronisation needs no sleeping: every exchange ends with a DA1 request,
//! which xterm answers after everything before it is done; a print is
//! complete when its form feed is in the file.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use nix::fcntl::{FcntlArg, FdFlag, fcntl};
use nix::sys::signal::{Signal, kill};
use nix::sys::termios::{SetArg, cfmakeraw, tcgetattr, tcsetattr};
use nix::unistd::Pid;

use super::print::{Page, parse_page};

/// How long xterm may take for anything before the test gives up on it (a
/// guard against a hang, never a pass/fail timing).
const PATIENCE: Duration = Duration::from_secs(30);

/// A DA1 request: the sentinel that ends every exchange.
const DA1: &[u8] = b"\x1b[c";

/// What the read-back sends: print extent the whole screen (DECPEX), then
/// media copy. The model gets it too, so both saw the same bytes.
pub const PRINT_SCREEN: &[u8] = b"\x1b[?19h\x1b[i";

/// X's `fixed` font, without which Xvfb does not start (Debian's
/// `xfonts-base`).
const FIXED_FONT: &str = "/usr/share/fonts/X11/misc/6x13-ISO8859-1.pcf.gz";

/// `Xvfb`, `xterm` and the fixed font, or a loud skip (a failure in CI).
pub fn available() -> bool {
    let mut missing: Vec<&str> = ["Xvfb", "xterm"]
        .into_iter()
        .filter(|tool| !on_path(tool))
        .collect();
    if !Path::new(FIXED_FONT).exists() {
        missing.push("X's fixed font");
    }
    if missing.is_empty() {
        return true;
    }
    let msg = format!(
        "{} not installed: the differential tests against xterm need Debian's \
         `xterm`, `xvfb` and `xfonts-base` (`.ci/run` installs them)",
        missing.join(" and ")
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg} (CI=true)");
    }
    eprintln!("\n*** SKIPPED: {msg} ***\n");
    false
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
}

/// xterm's patch level (`xterm -version` says `XTerm(379)`).
pub fn patch() -> u32 {
    let out = Command::new("xterm").arg("-version").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .trim_start_matches("XTerm(")
        .trim_end_matches(')')
        .parse()
        .unwrap_or_else(|_| panic!("xterm -version said {text:?}"))
}

/// A running xterm, and the display it is on.
pub struct Xterm {
    xvfb: Child,
    xterm: Child,
    /// Our end of the terminal (the pseudo-terminal's slave side, raw).
    tty: File,
    /// What xterm sends us, as it arrives (read on a thread).
    incoming: Receiver<Vec<u8>>,
    /// Received and not yet consumed.
    pending: Vec<u8>,
    /// Where `printerCommand` appends the pages.
    print: PathBuf,
    /// Pages printed so far.
    pages: usize,
    dir: tempfile::TempDir,
}

impl Xterm {
    /// Start Xvfb and an xterm of `cols`×`rows` on it; `extra` are further
    /// command-line options.
    pub fn start(cols: u16, rows: u16, extra: &[&str]) -> Xterm {
        let dir = tempfile::tempdir().unwrap();
        let print = dir.path().join("print");
        File::create(&print).unwrap();
        let (xvfb, display) = start_xvfb(dir.path());

        let pty = nix::pty::openpty(
            None::<&nix::pty::Winsize>,
            None::<&nix::sys::termios::Termios>,
        )
        .expect("openpty");
        cloexec(&pty.master, true);
        cloexec(&pty.slave, true);
        let mut raw = tcgetattr(&pty.slave).unwrap();
        cfmakeraw(&mut raw);
        tcsetattr(&pty.slave, SetArg::TCSANOW, &raw).unwrap();
        let name = nix::unistd::ttyname(pty.slave.as_fd()).unwrap();

        let resources = [
            format!("XTerm*printerCommand: cat >> '{}'", print.display()),
            "XTerm*printerAutoClose: false".into(),
            "XTerm*printerExtent: true".into(),
            "XTerm*printerFormFeed: true".into(),
            // A row that wraps into the next ends without a newline: the
            // read-back knows which rows are soft-wrapped.
            "XTerm*printerNewLine: false".into(),
            // Attributes and colours, as SGR.
            "XTerm*printAttributes: 2".into(),
            "XTerm*boldColors: false".into(),
            // Characters as sent: no composing `e` + U+0301 into `é`.
            "XTerm*precompose: false".into(),
            // Answer the window reports (XTWINOPS) wrapd answers too.
            "XTerm*allowWindowOps: true".into(),
            "XTerm*saveLines: 0".into(),
        ];
        let mut cmd = Command::new("xterm");
        cmd.env("DISPLAY", format!(":{display}"))
            .env("LANG", "C.UTF-8")
            .env("LC_ALL", "C.UTF-8")
            .arg(format!("-S{}/{}", name.display(), pty.master.as_raw_fd()))
            .args(["-u8", "-geometry", &format!("{cols}x{rows}")])
            // wrapd's default colours (what OSC 10/11 answer without a client).
            .args(["-fg", "white", "-bg", "black"]);
        for r in &resources {
            cmd.args(["-xrm", r]);
        }
        // Last: they may override the resources above.
        cmd.args(extra);
        let master = pty.master.as_raw_fd();
        // SAFETY: fcntl is async-signal-safe; the closure allocates nothing.
        unsafe {
            cmd.pre_exec(move || inherit(master));
        }
        let xterm = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(dir.path().join("xterm.log")).unwrap())
            .spawn()
            .expect("start xterm");
        drop(pty.master);

        let tty = File::from(pty.slave);
        let mut reader = tty.try_clone().unwrap();
        let (tx, incoming) = channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        let mut xterm = Xterm {
            xvfb,
            xterm,
            tty,
            incoming,
            pending: Vec::new(),
            print,
            pages: 0,
            dir,
        };
        // In slave mode xterm first writes its window's id and a newline.
        xterm.receive_until("its window id", |got| got.contains(&b'\n'));
        let at = xterm.pending.iter().position(|&b| b == b'\n').unwrap();
        xterm.pending.drain(..=at);
        xterm
    }

    /// Send `bytes`, then wait until xterm has handled them; returns what
    /// xterm answered to them (the sentinel's answer taken off).
    pub fn exchange(&mut self, bytes: &[u8]) -> Vec<u8> {
        let wanted = count_da1_requests(bytes) + 1;
        self.tty.write_all(bytes).unwrap();
        self.tty.write_all(DA1).unwrap();
        self.receive_until("the answer to DA1", |got| da1_replies(got).len() == wanted);
        let last = *da1_replies(&self.pending).last().unwrap();
        let mut answer = std::mem::take(&mut self.pending);
        answer.truncate(last);
        answer
    }

    /// xterm's screen now, with the soft-wrap flag of each row.
    pub fn screen(&mut self) -> Page {
        // Media copy of the whole screen (DECPEX set: not just the region).
        let stray = self.exchange(PRINT_SCREEN);
        assert!(stray.is_empty(), "xterm answered a print: {stray:?}");
        self.pages += 1;
        let deadline = Instant::now() + PATIENCE;
        loop {
            let text = std::fs::read(&self.print).unwrap();
            let pages: Vec<&[u8]> = text.split(|&b| b == b'\x0c').collect();
            if pages.len() > self.pages {
                return parse_page(pages[self.pages - 1]);
            }
            assert!(
                Instant::now() < deadline,
                "xterm's print never reached {}\n{}",
                self.print.display(),
                self.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn receive_until(&mut self, what: &str, done: impl Fn(&[u8]) -> bool) {
        let deadline = Instant::now() + PATIENCE;
        while !done(&self.pending) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.incoming.recv_timeout(left) {
                Ok(bytes) => self.pending.extend_from_slice(&bytes),
                Err(RecvTimeoutError::Timeout) => panic!(
                    "xterm never sent {what}; got {:?}\n{}",
                    String::from_utf8_lossy(&self.pending),
                    self.log()
                ),
                Err(RecvTimeoutError::Disconnected) => panic!(
                    "xterm went away before sending {what}; got {:?}\n{}",
                    String::from_utf8_lossy(&self.pending),
                    self.log()
                ),
            }
        }
    }

    fn log(&self) -> String {
        let read =
            |name: &str| std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
        format!(
            "xterm's log:\n{}\nXvfb's log:\n{}",
            read("xterm.log"),
            read("xvfb.log")
        )
    }
}

impl Drop for Xterm {
    fn drop(&mut self) {
        let _ = self.xterm.kill();
        let _ = self.xterm.wait();
        // SIGTERM, not SIGKILL: Xvfb removes its lock file and socket.
        let _ = kill(Pid::from_raw(self.xvfb.id() as i32), Signal::SIGTERM);
        let _ = self.xvfb.wait();
    }
}

/// Start Xvfb on a display it picks itself (`-displayfd`: no race with other
/// displays); returns it and the display's number once it accepts clients.
fn start_xvfb(dir: &Path) -> (Child, u32) {
    let (reader, writer) = std::io::pipe().unwrap();
    let fd = writer.as_raw_fd();
    let mut cmd = Command::new("Xvfb");
    cmd.args(["-displayfd", &fd.to_string()])
        .args(["-screen", "0", "1920x1200x24", "-nolisten", "tcp"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(File::create(dir.join("xvfb.log")).unwrap());
    // SAFETY: fcntl is async-signal-safe; the closure allocates nothing.
    unsafe {
        cmd.pre_exec(move || inherit(fd));
    }
    let xvfb = cmd.spawn().expect("start Xvfb");
    drop(writer);
    let mut line = String::new();
    BufReader::new(reader).read_line(&mut line).unwrap();
    let display = line.trim().parse().unwrap_or_else(|_| {
        panic!(
            "Xvfb did not start: {}",
            std::fs::read_to_string(dir.join("xvfb.log")).unwrap_or_default()
        )
    });
    (xvfb, display)
}

fn cloexec(fd: &OwnedFd, on: bool) {
    let flags = if on {
        FdFlag::FD_CLOEXEC
    } else {
        FdFlag::empty()
    };
    fcntl(fd.as_fd(), FcntlArg::F_SETFD(flags)).unwrap();
}

/// In a child before exec: keep `fd` open across it.
fn inherit(fd: RawFd) -> std::io::Result<()> {
    // SAFETY: the descriptor is open in the child (inherited from us).
    let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    fcntl(fd, FcntlArg::F_SETFD(FdFlag::empty()))?;
    Ok(())
}

/// Where each DA1 answer (`CSI ? ... c`) in `bytes` starts; its CSI may be
/// `ESC [`, or the 8-bit control (after S8C1T) raw or UTF-8 encoded.
pub fn da1_replies(bytes: &[u8]) -> Vec<usize> {
    let mut starts = Vec::new();
    for (at, _) in bytes.iter().enumerate().filter(|(_, b)| **b == b'?') {
        let start = match &bytes[..at] {
            [.., 0x1b, b'['] => at - 2,
            [.., 0xc2, 0x9b] => at - 2,
            [.., 0x9b] => at - 1,
            _ => continue,
        };
        let body = &bytes[at + 1..];
        let digits = body
            .iter()
            .take_while(|b| b.is_ascii_digit() || **b == b';')
            .count();
        if body.get(digits) == Some(&b'c') {
            starts.push(start);
        }
    }
    starts
}

/// DA1 requests (`CSI c`, `CSI 0 c`) in what the test sends.
fn count_da1_requests(bytes: &[u8]) -> usize {
    let mut n = 0;
    for request in [&b"\x1b[c"[..], b"\x1b[0c"] {
        let mut rest = bytes;
        while let Some(at) = find(rest, request) {
            n += 1;
            rest = &rest[at + request.len()..];
        }
    }
    n
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
