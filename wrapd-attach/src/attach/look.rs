//! What the user's own terminal looks like, for the daemon: programs in the
//! session that ask for the default colours (OSC 10/11/12), the palette
//! (OSC 4) or the window's size in pixels get the answers this terminal
//! would give (see `TerminalLook` in mux.proto).
//!
//! Asked once, right after attaching: the colour queries go out followed by a
//! DA1 request, which every terminal answers, so the answers are complete
//! when its reply comes (a terminal that ignores a colour query simply leaves
//! that colour unset). The answers are read on a thread of their own while
//! the client draws (the first frame does not wait for them); the key parser
//! starts reading the terminal only after them.
//! Whatever else arrives meanwhile (the user typing) is kept and handed back
//! to be sent to the program: nothing typed is lost (focus reports, which
//! the client asked for itself, are dropped). The cell size comes from
//! the kernel's window size (TIOCGWINSZ), 0 when the terminal does not set
//! the pixel fields.

use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use wrapd_common::color::{Rgb, parse_color};
use wrapd_proto::pb;

/// Palette entries asked for: the 16 named colours (the rest of the 256 are
/// rarely changed, and xterm's defaults are the daemon's).
const PALETTE_ASKED: u8 = 16;
/// How long a terminal may take to answer. Every terminal answers DA1, at
/// once; this only bounds the wait for one that is gone.
const ANSWER_TIMEOUT: Duration = Duration::from_millis(1000);

/// The queries, ending with DA1.
fn queries() -> String {
    let mut q = String::from("\x1b]10;?\x1b\\\x1b]11;?\x1b\\\x1b]12;?\x1b\\");
    for i in 0..PALETTE_ASKED {
        q.push_str(&format!("\x1b]4;{i};?\x1b\\"));
    }
    q.push_str("\x1b[c");
    q
}

/// Answers read so far.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Answers {
    pub look: pb::TerminalLook,
    /// Bytes that were no answer: what the user typed meanwhile.
    pub typed: Vec<u8>,
    /// The DA1 reply came: every answer is in.
    pub done: bool,
}

impl Answers {
    /// Take in `bytes` (the terminal's output, from the start of a reply or
    /// of a keystroke); returns how many were used (the rest is the start of
    /// a reply cut short: give it again with what follows).
    pub fn feed(&mut self, bytes: &[u8]) -> usize {
        let mut at = 0;
        while at < bytes.len() {
            if self.done {
                self.typed.extend_from_slice(&bytes[at..]);
                return bytes.len();
            }
            let rest = &bytes[at..];
            let used = match rest {
                [0x1b, b']', body @ ..] => match osc_end(body) {
                    Some((len, end_len)) => {
                        self.osc(&body[..len]);
                        2 + len + end_len
                    }
                    None => return at,
                },
                [0x1b, b'[', b'?', body @ ..] => {
                    match body.iter().position(|b| (0x40..=0x7e).contains(b)) {
                        Some(i) if body[i] == b'c' => {
                            self.done = true;
                            3 + i + 1
                        }
                        Some(i) => {
                            self.typed.extend_from_slice(&rest[..3 + i + 1]);
                            3 + i + 1
                        }
                        None => return at,
                    }
                }
                // Focus reports (we turned them on): the loop reports focus
                // itself, to programs that asked for it.
                [0x1b, b'[', b'I' | b'O', ..] => 3,
                [0x1b] | [0x1b, b'['] => return at,
                [b, ..] => {
                    self.typed.push(*b);
                    1
                }
                [] => unreachable!("at < len"),
            };
            at += used;
        }
        at
    }

    /// An OSC reply's body (`10;rgb:...`, `4;1;rgb:...`).
    fn osc(&mut self, body: &[u8]) {
        let mut parts = body.split(|&b| b == b';');
        let (Some(kind), Some(second)) = (parts.next(), parts.next()) else {
            return;
        };
        let look = &mut self.look;
        match kind {
            b"10" => look.foreground = parse_color(second).map(rgb),
            b"11" => look.background = parse_color(second).map(rgb),
            b"12" => look.cursor = parse_color(second).map(rgb),
            b"4" => {
                let index = std::str::from_utf8(second)
                    .ok()
                    .and_then(|s| s.parse::<u8>().ok());
                if let (Some(index), Some(color)) = (index, parts.next().and_then(parse_color)) {
                    look.palette.push(pb::PaletteEntry {
                        index: u32::from(index),
                        color: Some(rgb(color)),
                    });
                }
            }
            _ => {}
        }
    }
}

/// Where an OSC body ends: its length and its terminator's (BEL or ST).
fn osc_end(body: &[u8]) -> Option<(usize, usize)> {
    body.iter().enumerate().find_map(|(i, &b)| match b {
        0x07 => Some((i, 1)),
        0x1b if body.get(i + 1) == Some(&b'\\') => Some((i, 2)),
        _ => None,
    })
}

fn rgb(c: Rgb) -> pb::Rgb {
    pb::Rgb {
        red: u32::from(c.0),
        green: u32::from(c.1),
        blue: u32::from(c.2),
    }
}

/// A cell's size in pixels, from the kernel's window size (0, 0: unknown).
pub(crate) fn cell_pixels() -> (u32, u32) {
    match crossterm::terminal::window_size() {
        Ok(w) if w.columns > 0 && w.rows > 0 => {
            (u32::from(w.width / w.columns), u32::from(w.height / w.rows))
        }
        _ => (0, 0),
    }
}

/// Ask the terminal (in raw mode) what it looks like; read the answers with
/// [`read_answers`] before anything else reads the terminal.
pub(crate) fn send_queries() -> io::Result<()> {
    let mut out = io::stdout();
    out.write_all(queries().as_bytes())?;
    out.flush()
}

/// The answers to [`send_queries`] (blocking, for at most a second): the
/// look and what the user typed meanwhile.
pub(crate) fn read_answers() -> io::Result<(pb::TerminalLook, Vec<u8>)> {
    let stdin = io::stdin();
    let fd: OwnedFd = if stdin.is_terminal() {
        stdin.as_fd().try_clone_to_owned()?
    } else {
        OwnedFd::from(File::open("/dev/tty")?)
    };
    let mut tty = File::from(fd);
    let mut answers = Answers::default();
    let (mut pending, mut buf) = (Vec::new(), [0u8; 4096]);
    let deadline = Instant::now() + ANSWER_TIMEOUT;
    while !answers.done {
        let left = deadline.saturating_duration_since(Instant::now());
        let ms = u16::try_from(left.as_millis()).unwrap_or(u16::MAX);
        if ms == 0 {
            break;
        }
        let ready = {
            let mut fds = [PollFd::new(tty.as_fd(), PollFlags::POLLIN)];
            poll(&mut fds, PollTimeout::from(ms)).map_err(io::Error::from)?
        };
        if ready == 0 {
            break;
        }
        let n = match tty.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            break;
        }
        pending.extend_from_slice(&buf[..n]);
        let used = answers.feed(&pending);
        pending.drain(..used);
    }
    // A reply cut short by the timeout is no keystroke: dropped.
    let (mut look, typed) = (answers.look, answers.typed);
    (look.cell_width_px, look.cell_height_px) = cell_pixels();
    Ok((look, typed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn color(r: u32, g: u32, b: u32) -> Option<pb::Rgb> {
        Some(pb::Rgb {
            red: r,
            green: g,
            blue: b,
        })
    }

    #[test]
    fn answers_are_read_and_keystrokes_kept() {
        let mut a = Answers::default();
        let replies = b"x\x1b]10;rgb:ffff/0000/8080\x1b\\\x1b]11;rgb:1/2/3\x07y\
                        \x1b]4;1;rgb:cdcd/0000/0000\x1b\\\x1b]4;300;rgb:0/0/0\x07\
                        \x1b]12;nonsense\x07\x1b[?62;22cz";
        assert_eq!(a.feed(replies), replies.len());
        assert!(a.done);
        assert_eq!(a.look.foreground, color(0xffff, 0, 0x8080));
        assert_eq!(a.look.background, color(0x1111, 0x2222, 0x3333));
        assert_eq!(a.look.cursor, None);
        assert_eq!(
            a.look.palette,
            vec![pb::PaletteEntry {
                index: 1,
                color: color(0xcdcd, 0, 0)
            }]
        );
        assert_eq!(a.typed, b"xyz");
    }

    #[test]
    fn a_reply_cut_in_two_is_read_whole() {
        let whole = b"\x1b]11;rgb:0000/0000/0000\x1b\\\x1b[?1;2c";
        for cut in 1..whole.len() {
            let mut a = Answers::default();
            let used = a.feed(&whole[..cut]);
            let mut rest = whole[used..cut].to_vec();
            rest.extend_from_slice(&whole[cut..]);
            assert_eq!(a.feed(&rest), rest.len(), "cut at {cut}");
            assert!(a.done, "cut at {cut}");
            assert_eq!(a.look.background, color(0, 0, 0), "cut at {cut}");
            assert!(a.typed.is_empty(), "cut at {cut}");
        }
    }

    #[test]
    fn other_sequences_typed_meanwhile_are_kept() {
        let mut a = Answers::default();
        // An arrow key, a `CSI ? ...` that is no DA1 reply; focus reports go.
        a.feed(b"\x1b[A\x1b[I\x1b[?1;2R\x1b[O\x1b[?62c");
        assert_eq!(a.typed, b"\x1b[A\x1b[?1;2R");
        assert!(a.done);
    }

    #[test]
    fn the_queries_end_with_da1() {
        let q = queries();
        assert!(q.starts_with("\x1b]10;?\x1b\\"));
        assert!(q.contains("\x1b]4;15;?\x1b\\"));
        assert!(q.ends_with("\x1b[c"));
    }
}
