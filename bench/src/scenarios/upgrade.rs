//! Scenario 8, upgrade: the pause of `wrapd-muxd upgrade` as a client sees
//! it. 10 sessions with 100,000 lines of history each; a client attached (in
//! a PTY we hold, its screen parsed by our own terminal model) to the one
//! whose program prints a counter every 5 ms; then `wrapd-muxd upgrade` to
//! the binary it runs. The pause is the longest the client's screen went
//! without a new number across the upgrade (last number before → first
//! after: whatever stops the output, the probe's snapshot or the exec, and
//! the client's reconnection); the daemon's resident memory is read before
//! and after (same pid). tmux cannot hand itself over to a new binary (its
//! answer to an upgrade is to kill the server): its column is "—".

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::gate::shell_quote;
use crate::inputs;
use crate::mux::{Mux, Wrapd};
use crate::process::{self, rss_kib, wait_for};
use crate::pty::PtyChild;
use crate::report::{Better, Measurement};
use crate::scenario::{Ctx, Scenario};
use crate::stats::Stats;

use super::Screen;

pub struct Upgrade;

const COLS: u16 = 80;
const ROWS: u16 = 24;
/// The watched session's program, after its history: `n 1`, `n 2`, ...
const COUNTER: &str = "i=0; while :; do i=$((i+1)); echo \"n $i\"; sleep 0.005; done";
/// Time for the daemon to settle before its memory is read.
const SETTLE: Duration = Duration::from_millis(500);
/// Numbers the client must see after the upgrade returned (the output is
/// flowing again, any gap is behind us).
const AFTER: u64 = 50;
const SLOW: Duration = Duration::from_secs(120);

/// One run's figures.
struct Run {
    /// Longest time without a new number at the client, across the upgrade.
    pause_ms: f64,
    /// What `upgrade` said the pause was (the daemon's own clock).
    daemon_pause_ms: f64,
    rss_before: f64,
    rss_after: f64,
}

impl Scenario for Upgrade {
    fn name(&self) -> &'static str {
        "upgrade"
    }

    fn about(&self) -> &'static str {
        "ms a client sees no output while the daemon hands itself over to a new binary \
         (10 sessions of 100,000 history lines), and the daemon's RSS before and after \
         (tmux has no equivalent)"
    }

    fn run(&self, ctx: &Ctx) -> anyhow::Result<Vec<Measurement>> {
        let (sessions, lines) = (ctx.scale.upgrade_sessions, ctx.scale.upgrade_lines);
        let file = ctx.input_file("upgrade-history", &inputs::history(lines, b"\n"))?;
        let mut runs = Vec::new();
        for _ in 0..ctx.runs {
            let wrapd = Wrapd::start(&ctx.bins)?;
            for i in 0..sessions {
                let rest = if i == 0 {
                    COUNTER
                } else {
                    "exec sleep 1000000"
                };
                let script = format!("cat {}; {rest}", shell_quote(&file));
                wrapd.new_session(&name(i), COLS, ROWS, &script)?;
            }
            let want = (lines + 1).saturating_sub(usize::from(ROWS)) as u64;
            for i in 0..sessions {
                wait_for("the history", SLOW, || {
                    Ok((wrapd.history_lines(&name(i))? >= want).then_some(()))
                })?;
            }
            runs.push(measure(&wrapd).context("measuring an upgrade")?);
        }
        let variant = format!("{sessions} sessions of {lines} history lines");
        let row =
            |what: &str, unit: &str, figure: fn(&Run) -> f64, target: Option<f64>| Measurement {
                scenario: self.name().into(),
                variant: format!("{what}, {variant}"),
                unit: unit.into(),
                better: Better::Lower,
                wrapd: Stats::of(runs.iter().map(figure).collect()),
                tmux: Stats::none(),
                floor: None,
                target_ratio: None,
                target_floor: None,
                target_value: target,
            };
        Ok(vec![
            row("pause at a client", "ms", |r| r.pause_ms, Some(250.0)),
            row(
                "pause, daemon's own clock",
                "ms",
                |r| r.daemon_pause_ms,
                None,
            ),
            row("daemon RSS before", "KiB", |r| r.rss_before, None),
            row(
                "daemon RSS after minus before",
                "KiB",
                |r| r.rss_after - r.rss_before,
                Some(0.0),
            ),
        ])
    }
}

fn name(i: usize) -> String {
    format!("s{i}")
}

/// Attach a client to the counting session, upgrade, and watch.
fn measure(wrapd: &Wrapd) -> anyhow::Result<Run> {
    let client = PtyChild::spawn(wrapd.client(&name(0)), COLS, ROWS)?;
    let mut screen = Screen::new(COLS, ROWS);
    let mut seen = Seen::default();
    // The client shows the counter going.
    watch(&client, &mut screen, &mut seen, |s| s.changes.len() > 10)?;
    std::thread::sleep(SETTLE);
    let pid = wrapd.server_pid()?;
    let rss_before = rss_kib(pid)? as f64;
    // Numbers flowing again after the pause to read the memory: the gaps
    // measured start from here.
    let flowing = seen.changes.len() + 3;
    watch(&client, &mut screen, &mut seen, |s| {
        s.changes.len() > flowing
    })?;
    let start = Instant::now();
    let upgrading = std::thread::spawn({
        let mut cmd: Command = wrapd.upgrade_command();
        move || process::output(&mut cmd)
    });
    // Watch until the upgrade has answered, then until the counter has gone on.
    watch(&client, &mut screen, &mut seen, |_| upgrading.is_finished())?;
    let said = upgrading
        .join()
        .map_err(|_| anyhow::anyhow!("the upgrade thread panicked"))??;
    let daemon_pause_ms = said
        .split("output paused ")
        .nth(1)
        .and_then(|rest| rest.split(" ms").next())
        .and_then(|ms| ms.trim().parse::<f64>().ok())
        .with_context(|| format!("no pause in what `upgrade` said: {said}"))?;
    let last = seen.last();
    watch(&client, &mut screen, &mut seen, |s| s.last() > last + AFTER)?;
    std::thread::sleep(SETTLE);
    let rss_after = rss_kib(pid)? as f64;
    anyhow::ensure!(
        wrapd.server_pid()? == pid,
        "the daemon's pid changed across the upgrade"
    );
    Ok(Run {
        pause_ms: seen.longest_gap_since(start).as_secs_f64() * 1e3,
        daemon_pause_ms,
        rss_before,
        rss_after,
    })
}

/// When the client's screen showed each new highest number.
#[derive(Default)]
struct Seen {
    changes: Vec<(Instant, u64)>,
}

impl Seen {
    fn last(&self) -> u64 {
        self.changes.last().map_or(0, |&(_, n)| n)
    }

    /// The screen shows `text` now.
    fn note(&mut self, text: &str) {
        let top = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("n ")?.parse::<u64>().ok())
            .max();
        if let Some(n) = top.filter(|&n| n > self.last()) {
            self.changes.push((Instant::now(), n));
        }
    }

    /// The longest time between two new numbers after `since`.
    fn longest_gap_since(&self, since: Instant) -> Duration {
        self.changes
            .windows(2)
            .filter(|w| w[0].0 >= since)
            .map(|w| w[1].0 - w[0].0)
            .max()
            .unwrap_or_default()
    }
}

/// Read what the client draws, noting the numbers, until `done(seen)`.
fn watch(
    client: &PtyChild,
    screen: &mut Screen,
    seen: &mut Seen,
    done: impl Fn(&Seen) -> bool,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + SLOW;
    while !done(seen) {
        if Instant::now() > deadline {
            bail!(
                "the client showed no counter going on within {SLOW:?} (last: {}); it shows:\n{}",
                seen.last(),
                screen.text()
            );
        }
        if screen.pump(client, Duration::from_millis(20))? > 0 {
            seen.note(&screen.text());
        }
    }
    Ok(())
}
