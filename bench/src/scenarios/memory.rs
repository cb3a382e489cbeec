//! Scenario 3, memory: the server's resident memory with one idle session,
//! and what 1,000 lines of 80-column scrollback add to it (plain, 256-colour,
//! truecolor), each on a fresh server: RSS after the lines are in history,
//! minus RSS before.

use std::time::Duration;

use crate::gate::{Gate, shell_quote};
use crate::inputs::{self, LineColors};
use crate::mux::{self, Kind, Mux};
use crate::process::{rss_kib, wait_for};
use crate::report::{Better, Measurement};
use crate::scenario::{Ctx, Scenario};
use crate::stats::Stats;

use super::SESSION;

pub struct Memory;

const COLS: u16 = 80;
const ROWS: u16 = 24;
/// Time for a server to settle before its memory is read.
const SETTLE: Duration = Duration::from_millis(300);

impl Scenario for Memory {
    fn name(&self) -> &'static str {
        "memory"
    }

    fn about(&self) -> &'static str {
        "server RSS idle with one session, and KiB per 1,000 lines of 80-column scrollback"
    }

    fn run(&self, ctx: &Ctx) -> anyhow::Result<Vec<Measurement>> {
        let lines = ctx.scale.memory_lines;
        let mut idle = [Vec::new(), Vec::new()];
        let mut results = Vec::new();
        for colors in LineColors::ALL {
            let bytes = inputs::scrollback(colors, lines, b"\n");
            let file = ctx.input_file(&format!("scrollback-{}", colors as u8), &bytes)?;
            let mut per_1000 = [Vec::new(), Vec::new()];
            for _ in 0..ctx.runs {
                for (i, kind) in Kind::BOTH.into_iter().enumerate() {
                    let mux = mux::start(kind, &ctx.bins)?;
                    let mut gate = Gate::new()?;
                    let script = gate.script(&format!("cat {}", shell_quote(&file)));
                    mux.new_session(SESSION, COLS, ROWS, &script)?;
                    gate.ready()?;
                    std::thread::sleep(SETTLE);
                    let pid = mux.server_pid()?;
                    let before = rss_kib(pid)? as f64;
                    gate.go()?;
                    gate.wait_done(Duration::from_secs(120))?;
                    wait_history(mux.as_ref(), lines)?;
                    std::thread::sleep(SETTLE);
                    let after = rss_kib(pid)? as f64;
                    per_1000[i].push((after - before) / (lines as f64 / 1000.0));
                    if colors == LineColors::Plain {
                        idle[i].push(before);
                    }
                }
            }
            let [wrapd, tmux] = per_1000.map(Stats::of);
            results.push(Measurement {
                scenario: self.name().into(),
                variant: format!("per 1,000 lines, {}", colors.name()),
                unit: "KiB".into(),
                better: Better::Lower,
                wrapd,
                tmux,
                floor: None,
                target_ratio: Some(0.25),
                target_floor: None,
                target_value: None,
            });
        }
        let [wrapd, tmux] = idle.map(Stats::of);
        results.insert(
            0,
            Measurement {
                scenario: self.name().into(),
                variant: "idle, one session".into(),
                unit: "KiB".into(),
                better: Better::Lower,
                wrapd,
                tmux,
                floor: None,
                target_ratio: Some(2.0),
                target_floor: None,
                target_value: None,
            },
        );
        Ok(results)
    }
}

/// Wait until `lines` printed on a `ROWS`-row screen have reached history.
fn wait_history(mux: &dyn Mux, lines: usize) -> anyhow::Result<()> {
    let want = (lines + 1).saturating_sub(usize::from(ROWS)) as u64;
    wait_for(
        "the lines to reach history",
        Duration::from_secs(60),
        || Ok((mux.history_lines(SESSION)? >= want).then_some(())),
    )
}
