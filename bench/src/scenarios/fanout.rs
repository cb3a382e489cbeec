//! Scenario 5, fan-out: one session `cat`s ~10 MB of plain text while 1, 10
//! and 100 viewers watch it, and we time the `cat` (how fast the daemon
//! consumes the program's output) and read the daemon's memory once all is
//! printed; then the middle number of viewers again with one more viewer that
//! never reads its stream; and the fewest and the most viewers again as
//! browsers: enrolled through the web door, reading the WebSocket (the
//! page's stream, `viewers::web`).
//!
//! wrapd's viewers are real collaborators over mutual TLS (see `viewers`):
//! the owner shares the session through the CLI (`wrapd-attach share -t NAME
//! --link viewer`), each viewer enrolls through the link and reads its attach
//! stream. tmux has no sharing: its column is tmux with the same number of
//! `tmux attach` clients in PTYs that we drain (the stalled one in a PTY
//! nobody reads), and its memory is its server's.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::gate::{Gate, shell_quote};
use crate::inputs::{self, Content};
use crate::mux::{Kind, Mux, Tmux, Wrapd};
use crate::process::{self, RssSampler, growth_since, wait_for};
use crate::pty::{Drainer, PtyChild};
use crate::report::{Better, Measurement};
use crate::scenario::{Ctx, Scenario};
use crate::stats::Stats;
use crate::viewers::Viewers;

use super::SESSION;

pub struct Fanout;

const COLS: u16 = 80;
const ROWS: u16 = 24;
const LIMIT: Duration = Duration::from_secs(300);
/// Time for viewers to attach or catch up.
const SLOW: Duration = Duration::from_secs(60);

/// One run of the session's `cat` with some viewers.
#[derive(Debug, Clone, Copy)]
struct Outcome {
    /// MB/s of the program's output consumed by the multiplexer.
    rate: f64,
    /// The server's RSS once all is printed (viewers still there), KiB.
    rss_kib: f64,
    /// How much that RSS grew over the second half of the `cat`, KiB.
    late_growth_kib: f64,
    /// CPU time the server spent per MB of output (ms), a figure the other
    /// work on a shared machine disturbs less than the rate.
    cpu_ms_per_mb: f64,
}

impl Scenario for Fanout {
    fn name(&self) -> &'static str {
        "fanout"
    }

    fn about(&self) -> &'static str {
        "one session printing to 1/10/100 viewers over mutual TLS, and 1/100 as browsers over the web door's WebSocket (tmux: N attached clients): MB/s, memory per viewer, a stalled viewer"
    }

    fn run(&self, ctx: &Ctx) -> anyhow::Result<Vec<Measurement>> {
        let scale = ctx.scale;
        let counts = scale.fanout_viewers;
        let base_index = counts
            .iter()
            .position(|&n| n == scale.fanout_stalled_with)
            .context("fanout_stalled_with must be one of fanout_viewers")?;
        let bytes = inputs::throughput(Content::Plain, scale.fanout_bytes, b"\n");
        let file = ctx.input_file("fanout", &bytes)?;
        let mb = bytes.len() as f64 / 1e6;
        // [count][wrapd, tmux] and [wrapd, tmux], one outcome per run.
        let mut plain = vec![[Vec::new(), Vec::new()]; counts.len()];
        let mut stalled = [Vec::new(), Vec::new()];
        let web_counts: Vec<usize> = if counts.len() > 1 {
            vec![0, counts.len() - 1]
        } else {
            vec![0]
        };
        let mut web = vec![Vec::new(); web_counts.len()];
        for _ in 0..ctx.runs {
            for (c, &n) in counts.iter().enumerate() {
                for (i, kind) in Kind::BOTH.into_iter().enumerate() {
                    plain[c][i].push(fan_out(ctx, kind, &file, mb, n, false, false)?);
                }
            }
            for (i, kind) in Kind::BOTH.into_iter().enumerate() {
                let n = scale.fanout_stalled_with;
                stalled[i].push(fan_out(ctx, kind, &file, mb, n, true, false)?);
            }
            // Viewers as browsers, at the fewest and the most viewers (tmux:
            // its runs above with as many clients).
            for (w, &c) in web_counts.iter().enumerate() {
                let o = fan_out(ctx, Kind::Wrapd, &file, mb, counts[c], false, true)?;
                web[w].push(o);
            }
        }

        // f(kind, run, outcome): one figure per run, for wrapd and tmux.
        let stats = |per_kind: &[Vec<Outcome>; 2],
                     f: &dyn Fn(usize, usize, &Outcome) -> f64|
         -> [Stats; 2] {
            std::array::from_fn(|k| {
                Stats::of(
                    per_kind[k]
                        .iter()
                        .enumerate()
                        .map(|(r, o)| f(k, r, o))
                        .collect(),
                )
            })
        };
        let row = |variant: String, unit: &str, better, [wrapd, tmux]: [Stats; 2]| Measurement {
            scenario: self.name().into(),
            variant,
            unit: unit.into(),
            better,
            wrapd,
            tmux,
            floor: None,
            target_ratio: None,
            target_floor: None,
            target_value: None,
        };
        let rate = |o: &Outcome| o.rate;
        let viewers = |n: usize| match n {
            1 => "1 viewer".to_owned(),
            n => format!("{n} viewers"),
        };
        let mut results = Vec::new();
        let (first, last) = (0, counts.len() - 1);
        let first_rates = stats(&plain[first], &|_, _, o| rate(o));
        for (c, &n) in counts.iter().enumerate() {
            let mut m = row(
                viewers(n),
                "MB/s",
                Better::Higher,
                stats(&plain[c], &|_, _, o| rate(o)),
            );
            if c == last && c != first {
                m.variant = format!("{} (floor: {})", viewers(n), viewers(counts[first]));
                m.floor = Some(first_rates[0].clone());
                m.target_floor = Some(0.5);
            }
            results.push(m);
        }
        for (c, &n) in counts.iter().enumerate() {
            results.push(row(
                format!("{}: server CPU time per MB", viewers(n)),
                "ms",
                Better::Lower,
                stats(&plain[c], &|_, _, o| o.cpu_ms_per_mb),
            ));
        }
        if last != first {
            let extra = (counts[last] - counts[first]).max(1) as f64;
            let mut per_viewer = row(
                format!(
                    "server memory per extra viewer ({} against {})",
                    viewers(counts[last]),
                    viewers(counts[first])
                ),
                "KiB",
                Better::Lower,
                stats(&plain[last], &|k, r, o| {
                    (o.rss_kib - plain[first][k][r].rss_kib) / extra
                }),
            );
            per_viewer.target_value = Some(1024.0);
            results.push(per_viewer);
        }

        // Web viewers: wrapd's runs with viewers as browsers beside tmux's
        // with as many clients.
        let web_stats = |w: usize, f: &dyn Fn(usize, usize, &Outcome) -> f64| -> [Stats; 2] {
            let c = web_counts[w];
            let wrapd: Vec<f64> = web[w].iter().enumerate().map(|(r, o)| f(0, r, o)).collect();
            let tmux: Vec<f64> = plain[c][1]
                .iter()
                .enumerate()
                .map(|(r, o)| f(1, r, o))
                .collect();
            [Stats::of(wrapd), Stats::of(tmux)]
        };
        let web_base = web_stats(0, &|_, _, o| rate(o));
        for (w, &c) in web_counts.iter().enumerate() {
            let n = counts[c];
            let mut m = row(
                format!("{} as browsers (WebSocket)", viewers(n)),
                "MB/s",
                Better::Higher,
                web_stats(w, &|_, _, o| rate(o)),
            );
            if w > 0 {
                m.variant = format!("{} (floor: {})", m.variant, viewers(counts[0]));
                m.floor = Some(web_base[0].clone());
                m.target_floor = Some(0.5);
            }
            results.push(m);
        }
        if web_counts.len() > 1 {
            let extra = (counts[last] - counts[first]).max(1) as f64;
            let mut per_viewer = row(
                format!(
                    "server memory per extra viewer as a browser ({} against {})",
                    viewers(counts[last]),
                    viewers(counts[first])
                ),
                "KiB",
                Better::Lower,
                web_stats(1, &|k, r, o| {
                    let base = if k == 0 {
                        &web[0][r]
                    } else {
                        &plain[first][1][r]
                    };
                    (o.rss_kib - base.rss_kib) / extra
                }),
            );
            per_viewer.target_value = Some(1024.0);
            results.push(per_viewer);
        }

        let with = viewers(scale.fanout_stalled_with);
        let mut others = row(
            format!("{with} + 1 stalled (floor: {with} alone)"),
            "MB/s",
            Better::Higher,
            stats(&stalled, &|_, _, o| rate(o)),
        );
        others.floor = Some(stats(&plain[base_index], &|_, _, o| rate(o))[0].clone());
        others.target_floor = Some(0.9);
        results.push(others);
        results.push(row(
            format!("{with} + 1 stalled: server memory against {with} alone"),
            "KiB",
            Better::Lower,
            stats(&stalled, &|k, r, o| {
                o.rss_kib - plain[base_index][k][r].rss_kib
            }),
        ));
        results.push(row(
            format!("{with} + 1 stalled: server memory growth, second half of the output"),
            "KiB",
            Better::Lower,
            stats(&stalled, &|_, _, o| o.late_growth_kib),
        ));
        Ok(results)
    }
}

/// `cat FILE` in a session of `kind` watched by `n` viewers (and one more
/// that never reads, if `stall`); `web`: wrapd's viewers come as browsers do.
fn fan_out(
    ctx: &Ctx,
    kind: Kind,
    file: &Path,
    mb: f64,
    n: usize,
    stall: bool,
    web: bool,
) -> anyhow::Result<Outcome> {
    let mut gate = Gate::new()?;
    let script = gate.script(&format!("cat {}", shell_quote(file)));
    let what = format!(
        "{} with {n} viewers (stalled one: {stall}, web: {web})",
        kind.name()
    );
    match kind {
        Kind::Wrapd => {
            let wrapd = Wrapd::start(&ctx.bins)?;
            wrapd.new_session(SESSION, COLS, ROWS, &script)?;
            gate.ready()?;
            let mut viewers = Viewers::new()?;
            if web {
                let link = wrapd.share_web_link(SESSION, "viewer")?;
                viewers.add_web(&link, n, COLS, ROWS, true)?;
            } else {
                let link = wrapd.share_link(SESSION, "viewer")?;
                viewers.add(&link, n, COLS, ROWS, true)?;
                if stall {
                    viewers.add(&link, 1, COLS, ROWS, false)?;
                }
            }
            let outcome = measure(&mut gate, wrapd.server_pid()?, mb).context(what.clone())?;
            viewers.wait_caught_up(SLOW).context(what)?;
            Ok(outcome)
        }
        Kind::Tmux => {
            let tmux = Tmux::start()?;
            tmux.new_session(SESSION, COLS, ROWS, &script)?;
            gate.ready()?;
            let mut clients = Vec::new();
            for i in 0..n + usize::from(stall) {
                let client = PtyChild::spawn(tmux.client(SESSION), COLS, ROWS)?;
                let drainer = (i < n).then(|| client.reader().map(Drainer::start));
                clients.push((client, drainer.transpose()?));
            }
            let want = clients.len();
            wait_for("tmux clients attaching", SLOW, || {
                Ok((tmux.client_count(SESSION)? == want).then_some(()))
            })?;
            let outcome = measure(&mut gate, tmux.server_pid()?, mb).context(what)?;
            drop(clients);
            Ok(outcome)
        }
    }
}

/// Let the program go, time it, and watch the server's memory meanwhile.
fn measure(gate: &mut Gate, server: i32, mb: f64) -> anyhow::Result<Outcome> {
    let sampler = RssSampler::start(server);
    let cpu_before = process::cpu_seconds(server)?;
    let start = gate.go()?;
    let end = gate.wait_done(LIMIT)?;
    let cpu = process::cpu_seconds(server)? - cpu_before;
    let samples = sampler.stop();
    let secs = (end - start).as_secs_f64();
    let half: Instant = start + (end - start) / 2;
    Ok(Outcome {
        rate: mb / secs,
        rss_kib: process::rss_kib(server)? as f64,
        late_growth_kib: growth_since(&samples, half),
        cpu_ms_per_mb: cpu * 1e3 / mb,
    })
}
