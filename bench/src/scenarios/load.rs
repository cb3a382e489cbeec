//! Scenario: keystroke echo in one session while another session of the same
//! server floods. Session A runs `cat >/dev/null` with a client attached (we
//! type into that client's terminal, as in `latency`); session B prints a
//! file dense with colours in a loop, and is either detached, drawn by a
//! client that reads everything, or attached by a client that stopped
//! reading its terminal. Keystrokes are spaced 5–15 ms apart (a fixed
//! pseudo-random sequence), so they fall at every point of B's work.
//!
//! A multiplexer that lets one busy session starve another shows it here as a
//! long tail: the rows are the median, p90, p99 and max echo times, and how
//! many keystrokes took over 50 ms.

use std::time::Duration;

use anyhow::Context;

use crate::gate::{Gate, shell_quote};
use crate::inputs::{self, Content};
use crate::mux::{self, Kind, Mux};
use crate::pty::{Drainer, PtyChild};
use crate::report::{Better, Measurement};
use crate::scenario::{Ctx, Scenario};
use crate::stats::Stats;

use super::drawn_client;
use super::latency::echo_times;

pub struct Load;

const COLS: u16 = 80;
const ROWS: u16 = 24;
/// The session we type into.
const TYPED: &str = "typed";
/// The session that floods.
const FLOOD: &str = "flood";
/// A keystroke's echo taking longer than this is felt as a stall.
const STALL_MS: f64 = 50.0;
/// How long the flood runs before the first keystroke.
const WARM_UP: Duration = Duration::from_millis(500);

/// Who, if anyone, watches the flooding session.
#[derive(Debug, Clone, Copy)]
enum Watcher {
    None,
    /// A client attached to it whose terminal we read as fast as it draws.
    Drawing,
    /// A client attached to it whose terminal we never read: it blocks on
    /// its output, and stops reading the server.
    Stalled,
}

impl Watcher {
    const ALL: [Watcher; 3] = [Watcher::None, Watcher::Drawing, Watcher::Stalled];

    fn name(self) -> &'static str {
        match self {
            Watcher::None => "flood detached",
            Watcher::Drawing => "flood drawn by a client",
            Watcher::Stalled => "flood's client stopped reading",
        }
    }
}

impl Scenario for Load {
    fn name(&self) -> &'static str {
        "latency-load"
    }

    fn about(&self) -> &'static str {
        "keystroke echo in one session while another session prints colours in a loop (detached, drawn, \
         its client stalled): ms at median, p90, p99, max; keystrokes over 50 ms"
    }

    fn run(&self, ctx: &Ctx) -> anyhow::Result<Vec<Measurement>> {
        let bytes = inputs::throughput(Content::Sgr, ctx.scale.throughput_bytes, b"\n");
        let file = ctx.input_file("flood.txt", &bytes)?;
        drop(bytes);
        let flood = format!("while :; do cat {}; done", shell_quote(&file));
        let n = ctx.scale.keystrokes;
        let mut rows = Vec::new();
        for watcher in Watcher::ALL {
            let mut samples = [Vec::new(), Vec::new()];
            let mut stalls = [0.0, 0.0];
            for run in 0..ctx.runs {
                for (i, kind) in Kind::BOTH.into_iter().enumerate() {
                    let times = echo_under_flood(ctx, kind, watcher, &flood, n, run as u64)
                        .with_context(|| format!("{} with {}", kind.name(), watcher.name()))?;
                    stalls[i] += times.iter().filter(|t| **t > STALL_MS).count() as f64;
                    samples[i].extend(times);
                }
            }
            let [wrapd, tmux] = samples.map(Stats::of);
            let [wrapd_stalls, tmux_stalls] = stalls.map(|n| Stats::of(vec![n]));
            rows.extend(self.rows(watcher, wrapd, tmux, wrapd_stalls, tmux_stalls));
        }
        Ok(rows)
    }
}

impl Load {
    fn rows(
        &self,
        watcher: Watcher,
        wrapd: Stats,
        tmux: Stats,
        wrapd_stalls: Stats,
        tmux_stalls: Stats,
    ) -> Vec<Measurement> {
        let row = |what: &str, unit: &str, wrapd: Stats, tmux: Stats| Measurement {
            scenario: self.name().into(),
            variant: format!("{}, {what}", watcher.name()),
            unit: unit.into(),
            better: Better::Lower,
            wrapd,
            tmux,
            floor: None,
            target_ratio: None,
            target_floor: None,
            target_value: None,
        };
        let at = |s: &Stats, pick: fn(&Stats) -> f64| Stats {
            median: pick(s),
            ..s.clone()
        };
        vec![
            Measurement {
                target_ratio: Some(1.5),
                ..row("echo median", "ms", wrapd.clone(), tmux.clone())
            },
            row(
                "echo p90",
                "ms",
                at(&wrapd, Stats::p90),
                at(&tmux, Stats::p90),
            ),
            Measurement {
                target_ratio: Some(1.0),
                ..row("echo p99", "ms", wrapd.tail(), tmux.tail())
            },
            Measurement {
                target_ratio: Some(1.0),
                ..row(
                    "echo max",
                    "ms",
                    at(&wrapd, |s| s.max),
                    at(&tmux, |s| s.max),
                )
            },
            Measurement {
                target_value: Some(0.0),
                ..row(
                    "keystrokes over 50 ms (all runs)",
                    "keys",
                    wrapd_stalls,
                    tmux_stalls,
                )
            },
        ]
    }
}

/// Echo times of `n` keystrokes into a client of session A while session B
/// floods, watched as `watcher` says; on a fresh server of `kind`.
fn echo_under_flood(
    ctx: &Ctx,
    kind: Kind,
    watcher: Watcher,
    flood: &str,
    n: usize,
    seed: u64,
) -> anyhow::Result<Vec<f64>> {
    let mux = mux::start(kind, &ctx.bins)?;
    let mut gate = Gate::new()?;
    mux.new_session(TYPED, COLS, ROWS, &gate.script("cat >/dev/null"))?;
    gate.go()?;
    mux.new_session(FLOOD, COLS, ROWS, flood)?;
    // Held until the measurement ends (a drainer ends with its terminal).
    let (_flood_client, _drainer) = watch(mux.as_ref(), watcher)?;
    let client = drawn_client(mux.client(TYPED), kind.name(), COLS, ROWS)?;
    std::thread::sleep(WARM_UP);
    echo_times(&client, n, Some(seed))
}

fn watch(mux: &dyn Mux, watcher: Watcher) -> anyhow::Result<(Option<PtyChild>, Option<Drainer>)> {
    Ok(match watcher {
        Watcher::None => (None, None),
        Watcher::Drawing => {
            let client = PtyChild::spawn(mux.client(FLOOD), COLS, ROWS)?;
            let drainer = Drainer::start(client.reader()?);
            (Some(client), Some(drainer))
        }
        Watcher::Stalled => (Some(PtyChild::spawn(mux.client(FLOOD), COLS, ROWS)?), None),
    })
}
