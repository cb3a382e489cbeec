//! Scenario 1, output throughput: a session's program `cat`s ~50 MB (plain,
//! SGR-dense, UTF-8/CJK) and we time it from start to finish, with no client
//! attached and with one client drawing into a real PTY that we drain. The
//! floor: the same bytes through a bare PTY drained by a reader.
//!
//! `cat` finishes once the multiplexer has read all but the last PTY buffer
//! (a few KiB of 50 MB), and a multiplexer reads only as fast as it parses.

use std::path::Path;
use std::time::Duration;

use crate::gate::{Gate, shell_quote};
use crate::inputs::{self, Content};
use crate::mux::{self, Kind};
use crate::pty::{Drainer, PtyChild};
use crate::report::{Better, Measurement};
use crate::scenario::{Ctx, Scenario};
use crate::stats::Stats;

use super::{SESSION, attached_client};

pub struct Throughput;

const COLS: u16 = 80;
const ROWS: u16 = 24;
const LIMIT: Duration = Duration::from_secs(300);

impl Scenario for Throughput {
    fn name(&self) -> &'static str {
        "throughput"
    }

    fn about(&self) -> &'static str {
        "MB/s of program output processed: plain, SGR+truecolor, UTF-8+CJK; no client / one client; bare-PTY floor"
    }

    fn run(&self, ctx: &Ctx) -> anyhow::Result<Vec<Measurement>> {
        let mut results = Vec::new();
        for content in Content::ALL {
            let bytes = inputs::throughput(content, ctx.scale.throughput_bytes, b"\n");
            let file = ctx.input_file(&format!("throughput-{}", content as u8), &bytes)?;
            let mb = bytes.len() as f64 / 1e6;
            let mut floor = Vec::new();
            for _ in 0..ctx.runs {
                floor.push(mb / bare_pty(&file)?);
            }
            let floor = Stats::of(floor);
            for attached in [false, true] {
                let mut rates = [Vec::new(), Vec::new()];
                for _ in 0..ctx.runs {
                    for (i, kind) in Kind::BOTH.into_iter().enumerate() {
                        rates[i].push(mb / through_mux(ctx, kind, &file, attached)?);
                    }
                }
                let [wrapd, tmux] = rates.map(Stats::of);
                let client = if attached { "one client" } else { "no client" };
                results.push(Measurement {
                    scenario: self.name().into(),
                    variant: format!("{}, {client}", content.name()),
                    unit: "MB/s".into(),
                    better: Better::Higher,
                    wrapd,
                    tmux,
                    floor: Some(floor.clone()),
                    target_ratio: Some(1.5),
                    target_floor: Some(0.5),
                    target_value: None,
                });
            }
        }
        Ok(results)
    }
}

/// Seconds `cat FILE` takes inside a session of `kind`.
fn through_mux(ctx: &Ctx, kind: Kind, file: &Path, attached: bool) -> anyhow::Result<f64> {
    let mux = mux::start(kind, &ctx.bins)?;
    let mut gate = Gate::new()?;
    let script = gate.script(&format!("cat {}", shell_quote(file)));
    mux.new_session(SESSION, COLS, ROWS, &script)?;
    let client = match attached {
        true => {
            let client = attached_client(mux.as_ref(), COLS, ROWS)?;
            let drainer = Drainer::start(client.reader()?);
            Some((client, drainer))
        }
        false => None,
    };
    let start = gate.go()?;
    let end = gate.wait_done(LIMIT)?;
    drop(client);
    Ok((end - start).as_secs_f64())
}

/// Seconds `cat FILE` takes on a bare PTY drained by a reader thread.
fn bare_pty(file: &Path) -> anyhow::Result<f64> {
    let mut gate = Gate::new()?;
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg(gate.script(&format!("cat {}", shell_quote(file))));
    let child = PtyChild::spawn(cmd, COLS, ROWS)?;
    let _drainer = Drainer::start(child.reader()?);
    let start = gate.go()?;
    let end = gate.wait_done(LIMIT)?;
    Ok((end - start).as_secs_f64())
}
