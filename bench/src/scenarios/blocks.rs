//! Scenario 6, block-heavy shells: 10,000 commands (`true`) typed into an
//! interactive bash as separate lines, so that each goes through the prompt
//! machinery and becomes a block of its own; time until the last has run.
//! wrapd with its shell integration, wrapd without it
//! (`--no-shell-integration`, the floor of the overhead), and tmux (which has
//! none) running the same bash.
//!
//! The lines are typed through each multiplexer's CLI (`send-keys -l` /
//! `send -l`) in one go; bash reads them as typeahead, one prompt each. The
//! count is proved, not assumed: bash's history number (`$HISTCMD`) moves by
//! exactly one per command line in every variant, and with integration the
//! ids of wrapd's blocks move by exactly one per command too.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, ensure};
use serde_json::Value;

use crate::gate::{Gate, shell_quote};
use crate::mux::{self, Kind, Mux};
use crate::process::wait_for;
use crate::report::{Better, Measurement};
use crate::scenario::{Ctx, Scenario};
use crate::stats::Stats;

use super::SESSION;

pub struct Blocks;

const COLS: u16 = 80;
const ROWS: u16 = 24;
const LIMIT: Duration = Duration::from_secs(300);
/// The command typed, again and again.
const COMMAND: &str = "true";
/// Commands typed per CLI call (tmux takes at most ~16 KiB a command).
const CHUNK: usize = 500;

/// The three ways the same bash runs.
#[derive(Clone, Copy, PartialEq)]
enum Variant {
    WrapdIntegrated,
    WrapdPlain,
    Tmux,
}

impl Scenario for Blocks {
    fn name(&self) -> &'static str {
        "blocks"
    }

    fn about(&self) -> &'static str {
        "s for 10,000 commands typed into bash: wrapd with shell integration vs without (floor) vs tmux"
    }

    fn run(&self, ctx: &Ctx) -> anyhow::Result<Vec<Measurement>> {
        let n = ctx.scale.block_commands;
        let mut times = [Vec::new(), Vec::new(), Vec::new()];
        for _ in 0..ctx.runs {
            for (i, v) in [Variant::WrapdIntegrated, Variant::WrapdPlain, Variant::Tmux]
                .into_iter()
                .enumerate()
            {
                times[i].push(time_commands(ctx, v, n)?);
            }
        }
        let [integrated, plain, tmux] = times.map(Stats::of);
        let row = |variant: String, wrapd: Stats, floor, target_floor| Measurement {
            scenario: self.name().into(),
            variant,
            unit: "s".into(),
            better: Better::Lower,
            wrapd,
            tmux: tmux.clone(),
            floor,
            target_ratio: None,
            target_floor,
            target_value: None,
        };
        Ok(vec![
            row(
                format!("{n} commands in bash, integration on (floor: wrapd with it off)"),
                integrated,
                Some(plain.clone()),
                Some(1.1),
            ),
            row(
                format!("{n} commands in bash, integration off"),
                plain,
                None,
                None,
            ),
        ])
    }
}

/// Seconds bash inside a fresh `variant` takes to run `n` typed commands.
fn time_commands(ctx: &Ctx, variant: Variant, n: usize) -> anyhow::Result<f64> {
    let kind = match variant {
        Variant::Tmux => Kind::Tmux,
        _ => Kind::Wrapd,
    };
    let mux = mux::start(kind, &ctx.bins)?;
    let counts = tempfile::Builder::new()
        .prefix("wrapd-bench-blocks")
        .tempdir()?;
    let mut gate = Gate::new()?;
    mux.new_bash(SESSION, COLS, ROWS, variant == Variant::WrapdIntegrated)?;
    // One command to know bash is reading commands, and its history number.
    let before = counts.path().join("before");
    mux.type_text(SESSION, &report_line(&gate, &before))?;
    gate.ready().context("bash did not run the first command")?;
    let first_block = match variant {
        Variant::WrapdIntegrated => Some(first_block_id(mux.as_ref())?),
        _ => None,
    };

    let after = counts.path().join("after");
    let start = std::time::Instant::now();
    for done in (0..n).step_by(CHUNK) {
        let lines = CHUNK.min(n - done);
        mux.type_text(SESSION, &format!("{COMMAND}\r").repeat(lines))?;
    }
    mux.type_text(SESSION, &report_line(&gate, &after))?;
    let end = gate.wait_done(LIMIT)?;

    let ran = history_number(&after)? - history_number(&before)? - 1;
    ensure!(
        ran == n as i64,
        "{}: bash's history moved by {ran} commands, not {n}",
        kind.name()
    );
    if let Some(first) = first_block {
        check_blocks(mux.as_ref(), first, n)?;
    }
    Ok((end - start).as_secs_f64())
}

/// A command line that writes bash's history number to `file`, then tells
/// the gate.
fn report_line(gate: &Gate, file: &Path) -> String {
    format!(
        "echo $HISTCMD > {}; {}\r",
        shell_quote(file),
        gate.done_command()
    )
}

fn history_number(file: &Path) -> anyhow::Result<i64> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    text.trim()
        .parse()
        .with_context(|| format!("bash wrote {text:?} as $HISTCMD"))
}

/// The id of the first command's block. The command has run, but the
/// daemon may not have read its marks yet: wait for them.
fn first_block_id(mux: &dyn Mux) -> anyhow::Result<u64> {
    let mut seen = Vec::new();
    wait_for("wrapd's first block", Duration::from_secs(30), || {
        seen = mux.blocks(SESSION)?.unwrap_or_default();
        Ok(seen
            .last()
            .filter(|b| b["command"].as_str().is_some_and(|c| c.starts_with("echo")))
            .and_then(|b| b["id"].as_u64()))
    })
    .with_context(|| format!("wrapd's blocks: {seen:?}"))
}

/// The `n` commands are the `n` blocks between the first report line's
/// block and the last one's, each `true` with exit status 0 (the list keeps
/// the newest 10,000, so the oldest may have gone).
fn check_blocks(mux: &dyn Mux, first: u64, n: usize) -> anyhow::Result<()> {
    let list = wait_for("wrapd's last block", Duration::from_secs(60), || {
        let list = mux.blocks(SESSION)?.unwrap_or_default();
        let finished = list.last().is_some_and(|b| {
            b["id"].as_u64() != Some(first) && b["command"].as_str() != Some(COMMAND)
        });
        Ok(finished.then_some(list))
    })?;
    let last = list.last().and_then(|b| b["id"].as_u64()).unwrap_or(0);
    ensure!(
        last - first - 1 == n as u64,
        "wrapd's block ids moved by {} between the report lines, not {}",
        last - first - 1,
        n
    );
    let commands: Vec<&Value> = list
        .iter()
        .filter(|b| b["id"].as_u64().is_some_and(|id| id > first && id < last))
        .collect();
    if let Some(odd) = commands
        .iter()
        .find(|b| b["command"] != COMMAND || b["exit_code"] != 0)
    {
        anyhow::bail!(
            "a block between the report lines is not `{COMMAND}` with exit status 0: {odd}"
        );
    }
    Ok(())
}
