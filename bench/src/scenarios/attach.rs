//! Scenario 4, attach time: a 200×50 session with 100,000 lines of history;
//! we start a client in a 200×50 PTY and time until the screen it has drawn
//! (parsed by our own terminal model, its queries answered) shows the whole
//! session screen.

use std::time::{Duration, Instant};

use anyhow::bail;

use crate::gate::{Gate, shell_quote};
use crate::inputs;
use crate::mux::{self, Kind, Mux};
use crate::process::wait_for;
use crate::pty::PtyChild;
use crate::report::{Better, Measurement};
use crate::scenario::{Ctx, Scenario};
use crate::stats::Stats;

use super::{SESSION, Screen};

pub struct Attach;

const COLS: u16 = 200;
const ROWS: u16 = 50;
/// Printed last, without a newline: the bottom row.
const LAST: &str = "END-OF-OUTPUT";

impl Scenario for Attach {
    fn name(&self) -> &'static str {
        "attach"
    }

    fn about(&self) -> &'static str {
        "ms from starting a 200x50 client until it shows a session with 100,000 lines of history"
    }

    fn run(&self, ctx: &Ctx) -> anyhow::Result<Vec<Measurement>> {
        let lines = ctx.scale.attach_lines + usize::from(ROWS) - 1;
        let file = ctx.input_file("history", &inputs::history(lines, b"\n"))?;
        let mut expected: Vec<String> = (lines + 1 - usize::from(ROWS)..lines)
            .map(inputs::history_line)
            .collect();
        expected.push(LAST.to_owned());
        let mut times = [Vec::new(), Vec::new()];
        for _ in 0..ctx.runs {
            for (i, kind) in Kind::BOTH.into_iter().enumerate() {
                let mux = mux::start(kind, &ctx.bins)?;
                let mut gate = Gate::new()?;
                let body = format!("cat {}; printf {LAST}", shell_quote(&file));
                mux.new_session(SESSION, COLS, ROWS, &gate.script(&body))?;
                gate.go()?;
                gate.wait_done(Duration::from_secs(120))?;
                let want = ctx.scale.attach_lines as u64;
                wait_for("the history", Duration::from_secs(60), || {
                    Ok((mux.history_lines(SESSION)? >= want).then_some(()))
                })?;
                times[i].push(time_attach(mux.as_ref(), &expected)?);
            }
        }
        let [wrapd, tmux] = times.map(Stats::of);
        Ok(vec![Measurement {
            scenario: self.name().into(),
            variant: format!("{} lines of history, {COLS}x{ROWS}", ctx.scale.attach_lines),
            unit: "ms".into(),
            better: Better::Lower,
            wrapd,
            tmux,
            floor: None,
            target_ratio: Some(1.0),
            target_floor: None,
            target_value: None,
        }])
    }
}

/// Milliseconds from starting a client until its screen shows `expected`.
fn time_attach(mux: &dyn Mux, expected: &[String]) -> anyhow::Result<f64> {
    let mut screen = Screen::new(COLS, ROWS);
    let start = Instant::now();
    let client = PtyChild::spawn(mux.client(SESSION), COLS, ROWS)?;
    loop {
        let left = Duration::from_secs(20).saturating_sub(start.elapsed());
        if left.is_zero() {
            bail!(
                "{} client did not show the session within 20 s; it shows:\n{}",
                mux.kind().name(),
                screen.text()
            );
        }
        let n = screen.pump(&client, left)?;
        if n > 0
            && screen
                .text()
                .lines()
                .eq(expected.iter().map(String::as_str))
        {
            return Ok(start.elapsed().as_secs_f64() * 1e3);
        }
    }
}
