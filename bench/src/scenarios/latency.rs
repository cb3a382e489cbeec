//! Scenario 2, keystroke echo latency: we type one byte into the attached
//! client's terminal and time until the byte comes back out of it as text
//! (escape sequences around it skipped). The session runs `cat >/dev/null`,
//! so the echo is the PTY's own. The floor: the same through a bare PTY.
//! Locally (the daemon's Unix socket), and over TLS: a client that joined the
//! session through a share link as an editor, against tmux's local figure.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::gate::Gate;
use crate::mux::{self, Kind, Mux, Wrapd};
use crate::pty::PtyChild;
use crate::report::{Better, Measurement};
use crate::scenario::{Ctx, Scenario};
use crate::stats::Stats;

use super::{SESSION, attached_client, drawn_client};

pub struct Latency;

const COLS: u16 = 80;
const ROWS: u16 = 24;
const PROGRAM: &str = "cat >/dev/null";

impl Scenario for Latency {
    fn name(&self) -> &'static str {
        "latency"
    }

    fn about(&self) -> &'static str {
        "keystroke echo through an attached client, local and over mutual TLS (ms, median and p99); bare-PTY floor"
    }

    fn run(&self, ctx: &Ctx) -> anyhow::Result<Vec<Measurement>> {
        let n = ctx.scale.keystrokes;
        let mut samples = [Vec::new(), Vec::new()];
        let mut over_tls = Vec::new();
        let mut floor = Vec::new();
        for _ in 0..ctx.runs {
            for (i, kind) in Kind::BOTH.into_iter().enumerate() {
                let mux = mux::start(kind, &ctx.bins)?;
                // A gate only to know the program has started.
                let mut gate = Gate::new()?;
                mux.new_session(SESSION, COLS, ROWS, &gate.script(PROGRAM))?;
                gate.go()?;
                let client = attached_client(mux.as_ref(), COLS, ROWS)?;
                samples[i].extend(
                    echo_times(&client, n, None)
                        .with_context(|| format!("{} echo", kind.name()))?,
                );
            }
            over_tls.extend(tls_echo_times(ctx, n).context("wrapd echo over TLS")?);
            let mut cmd = std::process::Command::new("sh");
            cmd.args(["-c", PROGRAM]);
            let bare = PtyChild::spawn(cmd, COLS, ROWS)?;
            floor.extend(echo_times(&bare, n, None).context("bare PTY echo")?);
        }
        let [wrapd, tmux] = samples.map(Stats::of);
        let over_tls = Stats::of(over_tls);
        let floor = Stats::of(floor);
        let row = |variant: &str, wrapd: Stats, tmux: Stats, floor: Stats, target| Measurement {
            scenario: self.name().into(),
            variant: variant.into(),
            unit: "ms".into(),
            better: Better::Lower,
            wrapd,
            tmux,
            floor: Some(floor),
            target_ratio: Some(target),
            target_floor: None,
            target_value: None,
        };
        Ok(vec![
            row(
                "local echo, median",
                wrapd.clone(),
                tmux.clone(),
                floor.clone(),
                1.0,
            ),
            row(
                "local echo, p99",
                wrapd.tail(),
                tmux.tail(),
                floor.tail(),
                1.0,
            ),
            row(
                "TLS echo, median (tmux: local)",
                over_tls.clone(),
                tmux.clone(),
                floor.clone(),
                1.5,
            ),
            row(
                "TLS echo, p99 (tmux: local)",
                over_tls.tail(),
                tmux.tail(),
                floor.tail(),
                1.5,
            ),
        ])
    }
}

/// Echo times through a client that joined the session as an editor through
/// a share link (`wrapd-attach LINK --name bench`): keys and screen go over
/// mutual TLS on loopback.
fn tls_echo_times(ctx: &Ctx, n: usize) -> anyhow::Result<Vec<f64>> {
    let wrapd = Wrapd::start(&ctx.bins)?;
    let mut gate = Gate::new()?;
    wrapd.new_session(SESSION, COLS, ROWS, &gate.script(PROGRAM))?;
    gate.go()?;
    let link = wrapd.share_link(SESSION, "editor")?;
    let mut cmd = wrapd.attach_command();
    cmd.args([link.as_str(), "--name", "bench"]);
    let client = drawn_client(cmd, "wrapd over TLS", COLS, ROWS)?;
    echo_times(&client, n, None)
}

/// Milliseconds from typing each of `n` letters into `term` until it is echoed.
/// Keystrokes follow each other once the redraw is over (3 ms of quiet), or
/// with `spaced` (a seed), after a pseudo-random 5–15 ms of quiet.
pub fn echo_times(term: &PtyChild, n: usize, spaced: Option<u64>) -> anyhow::Result<Vec<f64>> {
    let mut times = Vec::with_capacity(n);
    let mut gaps = spaced.map(Gaps::new);
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..n {
        let letter = b'a' + (i % 26) as u8;
        if i > 0 && i % 26 == 0 {
            // A new line, so no row holds a letter twice; not timed.
            term.write(b"\r")?;
            term.drain(Duration::from_millis(20), Duration::from_secs(2))?;
        }
        let mut text = TextFilter::default();
        let start = Instant::now();
        term.write(&[letter])?;
        loop {
            let left = Duration::from_secs(5).saturating_sub(start.elapsed());
            if left.is_zero() {
                bail!("no echo of {:?} within 5 s", letter as char);
            }
            let got = term.read_timeout(&mut buf, left)?;
            if text.contains(&buf[..got], letter) {
                break;
            }
        }
        times.push(start.elapsed().as_secs_f64() * 1e3);
        // Let the rest of the redraw pass before the next key.
        let quiet = gaps.as_mut().map_or(Duration::from_millis(3), Gaps::next);
        term.drain(quiet, Duration::from_secs(2))?;
    }
    Ok(times)
}

/// Pseudo-random gaps of 5 to 15 ms, the same sequence for the same seed.
struct Gaps(u64);

impl Gaps {
    fn new(seed: u64) -> Gaps {
        Gaps(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    fn next(&mut self) -> Duration {
        // A 64-bit LCG (Knuth's MMIX constants); its high bits are the random ones.
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        Duration::from_micros(5_000 + (self.0 >> 33) % 10_000)
    }
}

/// Finds printed characters in terminal output, skipping escape sequences.
#[derive(Default)]
pub struct TextFilter {
    state: FilterState,
}

#[derive(Default, Clone, Copy, PartialEq)]
enum FilterState {
    #[default]
    Text,
    Escape,
    Csi,
    /// OSC, DCS and other strings, until BEL or ST.
    String,
    StringEscape,
}

impl TextFilter {
    /// Whether `byte` is printed (outside escape sequences) in `bytes`.
    pub fn contains(&mut self, bytes: &[u8], byte: u8) -> bool {
        use FilterState::*;
        let mut found = false;
        for &b in bytes {
            self.state = match (self.state, b) {
                (_, 0x1b) if self.state != String => Escape,
                (Text, b) => {
                    found |= b == byte;
                    Text
                }
                (Escape, b'[') => Csi,
                (Escape, b']' | b'P' | b'_' | b'^' | b'X') => String,
                // Intermediates (charset selection `ESC ( B`): one more byte.
                (Escape, 0x20..=0x2f) => Escape,
                (Escape, _) => Text,
                (Csi, 0x40..=0x7e) => Text,
                (Csi, _) => Csi,
                (String, 0x07) => Text,
                (String, 0x1b) => StringEscape,
                (String, _) => String,
                (StringEscape, _) => Text,
            };
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::TextFilter;

    #[test]
    fn finds_text_but_not_escape_sequences() {
        let mut f = TextFilter::default();
        assert!(!f.contains(b"\x1b[1;1H\x1b[38;5;1m\x1b]0;a\x07\x1b(B", b'a'));
        assert!(!f.contains(b"\x1b[", b'm'));
        assert!(!f.contains(b"2m", b'm'));
        assert!(f.contains(b"\x1b[2mxa", b'a'));
    }
}
