//! What the byte parser holds between two `feed`s, kept as the bytes that
//! made it: a saved terminal puts a new parser in the same place by feeding
//! them again (see persist.rs).
//!
//! `vte`'s parser cannot be saved. But its state after a stream depends only
//! on the bytes from the last ESC on: an ESC puts it in the escape state
//! with nothing collected, whatever came before (C1 controls start nothing in
//! `vte` 0.15). So after each feed the bytes from the last ESC go through a
//! shadow parser (without an OSC buffer: only where the sequence ends
//! matters), a byte at a time, until the sequence ends (something printed or
//! dispatched, or CAN/SUB). A sequence still open keeps its bytes, without
//! the C0 controls acted on inside it (fed again they would act twice). A
//! UTF-8 character cut at the end of a feed is kept likewise.
//!
//! Cost: a search for the last ESC in each feed (`memrchr`, vectorised) and
//! a look at the sequence it starts (usually a few bytes); nothing per
//! character.

use vte::{Params, Perform};

const ESC: u8 = 0x1b;
/// Bytes of an open sequence kept at most: more than the parser keeps of an
/// OSC string ([`super::OSC_MAX`]), so one cut by a save comes back whole.
pub(crate) const OPEN_SEQUENCE_MAX: usize = super::OSC_MAX + 1024;

#[derive(Default)]
pub(crate) struct ParserTail {
    /// Follows the parser from the last ESC on while a sequence is open.
    shadow: Box<vte::Parser<0>>,
    /// The open sequence's bytes (see the module docs); empty between sequences.
    open: Vec<u8>,
    /// The cut character's bytes so far, and how many it still needs.
    cut: Vec<u8>,
    utf8_missing: usize,
}

impl ParserTail {
    /// How many of `bytes` complete the character cut at the end of the
    /// last feed: `Term::feed` gives them to the parser alone (see there).
    #[inline]
    pub fn rest_of_cut_char(&self, bytes: &[u8]) -> usize {
        bytes
            .iter()
            .take(self.utf8_missing)
            .take_while(|&&b| is_continuation(b))
            .count()
    }

    /// `bytes` were fed, the first `rest` of them completing a cut character.
    #[inline]
    pub fn fed(&mut self, bytes: &[u8], rest: usize) {
        if rest == bytes.len() {
            self.utf8_missing -= rest;
            self.cut.extend_from_slice(bytes);
        } else {
            let (start, missing) = cut_char_at_end(&bytes[rest..]);
            self.utf8_missing = missing;
            self.cut.clear();
            self.cut.extend_from_slice(&bytes[rest + start..]);
        }
        if self.utf8_missing == 0 {
            self.cut.clear();
        }
        match memchr::memrchr(ESC, bytes) {
            Some(i) => {
                *self.shadow = vte::Parser::default();
                self.open.clear();
                self.follow(&bytes[i..]);
            }
            None if !self.open.is_empty() => self.follow(bytes),
            None => {}
        }
    }

    /// Go on with the open sequence through `bytes` (no ESC after the first).
    fn follow(&mut self, bytes: &[u8]) {
        let mut probe = Probe::default();
        let mut at = 0;
        while at < bytes.len() && self.open.len() < OPEN_SEQUENCE_MAX {
            self.shadow.advance(&mut probe, &bytes[at..=at]);
            if probe.ended {
                self.open.clear();
                return;
            }
            if !std::mem::take(&mut probe.executed) {
                self.open.push(bytes[at]);
            }
            at += 1;
        }
        // Past what is kept: only whether it ends still matters.
        self.shadow.advance(&mut probe, &bytes[at..]);
        if probe.ended {
            self.open.clear();
        }
    }

    /// The open sequence's bytes, to feed a new parser.
    pub fn open_sequence(&self) -> &[u8] {
        &self.open
    }

    /// The cut character's bytes so far.
    pub fn cut_char(&self) -> &[u8] {
        &self.cut
    }
}

/// Records what the shadow parser did with a byte.
#[derive(Default)]
struct Probe {
    /// The sequence ended: back in the ground state.
    ended: bool,
    /// A control inside the sequence was acted on.
    executed: bool,
}

impl Perform for Probe {
    fn print(&mut self, _: char) {
        self.ended = true;
    }

    fn execute(&mut self, byte: u8) {
        if matches!(byte, 0x18 | 0x1a) {
            self.ended = true;
        } else {
            self.executed = true;
        }
    }

    fn csi_dispatch(&mut self, _: &Params, _: &[u8], _: bool, _: char) {
        self.ended = true;
    }

    fn esc_dispatch(&mut self, _: &[u8], _: bool, _: u8) {
        self.ended = true;
    }

    fn osc_dispatch(&mut self, _: &[&[u8]], _: bool) {
        self.ended = true;
    }

    fn unhook(&mut self) {
        self.ended = true;
    }
}

/// A UTF-8 continuation byte.
fn is_continuation(b: u8) -> bool {
    b & 0xc0 == 0x80
}

/// Where the character cut at the end of `bytes` starts, and how many
/// continuation bytes it still needs (`(len, 0)` when the last character is
/// whole, or is no UTF-8).
fn cut_char_at_end(bytes: &[u8]) -> (usize, usize) {
    let from = bytes.len().saturating_sub(3);
    let tail = &bytes[from..];
    let Some(lead) = tail.iter().rposition(|&b| !is_continuation(b)) else {
        return (bytes.len(), 0);
    };
    let len: usize = match tail[lead] {
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return (bytes.len(), 0),
    };
    match len.checked_sub(tail.len() - lead) {
        Some(missing) if missing > 0 => (from + lead, missing),
        _ => (bytes.len(), 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tail_after(chunks: &[&[u8]]) -> ParserTail {
        let mut t = ParserTail::default();
        for c in chunks {
            let rest = t.rest_of_cut_char(c);
            t.fed(c, rest);
        }
        t
    }

    #[test]
    fn a_finished_sequence_leaves_nothing_open() {
        for chunks in [
            &[&b"\x1b[31mred"[..]][..],
            &[b"\x1b[3", b"1m"],
            &[b"\x1b]0;title\x07"],
            &[b"\x1b]0;ti", b"tle\x1b\\"],
            &[b"\x1bP$qm\x1b\\"],
            &[b"\x1b[31\x18"],
            &[b"\x1b_apc\x1b\\text"],
            &[b"\x1b(0"],
        ] {
            let t = tail_after(chunks);
            assert_eq!(t.open_sequence(), b"", "{chunks:?}");
        }
    }

    #[test]
    fn an_open_sequence_is_kept_without_the_controls_acted_on() {
        assert_eq!(tail_after(&[b"ab\x1b[3"]).open_sequence(), b"\x1b[3");
        assert_eq!(
            tail_after(&[b"\x1b[1m\x1b[3", b"\n8;5"]).open_sequence(),
            b"\x1b[38;5"
        );
        assert_eq!(
            tail_after(&[b"\x1b]2;a\nb", b"c"]).open_sequence(),
            b"\x1b]2;a\nbc",
            "an OSC string ignores controls: they stay"
        );
        assert_eq!(tail_after(&[b"x\x1b"]).open_sequence(), b"\x1b");
        assert_eq!(tail_after(&[b"\x1bP$q"]).open_sequence(), b"\x1bP$q");
    }

    #[test]
    fn a_long_string_is_kept_up_to_the_cap_and_still_seen_to_end() {
        let body = vec![b'x'; OPEN_SEQUENCE_MAX * 2];
        let t = tail_after(&[b"\x1b]52;c;", &body]);
        assert_eq!(t.open_sequence().len(), OPEN_SEQUENCE_MAX);
        let t = tail_after(&[b"\x1b]52;c;", &body, b"\x07after"]);
        assert_eq!(t.open_sequence(), b"");
    }

    #[test]
    fn a_cut_character_is_kept() {
        let e = "é".as_bytes();
        let cjk = "日".as_bytes();
        assert_eq!(tail_after(&[&[b'a', e[0]]]).cut_char(), &e[..1]);
        assert_eq!(tail_after(&[&cjk[..1], &cjk[1..2]]).cut_char(), &cjk[..2]);
        assert_eq!(tail_after(&[&cjk[..1], &cjk[1..]]).cut_char(), b"");
        assert_eq!(tail_after(&[&cjk[..2], &cjk[2..], b"x"]).cut_char(), b"");
        assert_eq!(tail_after(&[b"abc"]).cut_char(), b"");
        assert_eq!(tail_after(&[b"\xff"]).cut_char(), b"");
    }
}
