//! What a scenario is, what it gets to run with, and the registry of them all.
//!
//! A scenario measures wrapd and tmux side by side (interleaved run by run, so
//! the machine's noise falls on both) and returns one [`Measurement`] per
//! variant. Adding one: a type implementing [`Scenario`] in `scenarios/`, and a
//! line in [`registry`].

use std::path::PathBuf;

use anyhow::Context;

use crate::mux::Bins;
use crate::report::Measurement;

/// How big the inputs are: [`Scale::full`] for the real thing, [`Scale::tiny`]
/// for a smoke test that only proves each scenario runs.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    /// Bytes each throughput input has.
    pub throughput_bytes: usize,
    /// Keystrokes timed per run.
    pub keystrokes: usize,
    /// Scrollback lines printed to measure memory.
    pub memory_lines: usize,
    /// History lines before the attach.
    pub attach_lines: usize,
    /// Commands typed into a shell, each its own block.
    pub block_commands: usize,
    /// Bytes the shared session prints with each number of viewers.
    pub fanout_bytes: usize,
    /// The numbers of viewers (the first is the base the others compare with).
    pub fanout_viewers: &'static [usize],
    /// Reading viewers beside the stalled one (one of `fanout_viewers`).
    pub fanout_stalled_with: usize,
    /// Sessions the daemon hands over in `upgrade`, and the history lines
    /// each has.
    pub upgrade_sessions: usize,
    pub upgrade_lines: usize,
}

impl Scale {
    pub fn full() -> Scale {
        Scale {
            throughput_bytes: 50_000_000,
            keystrokes: 100,
            memory_lines: 20_000,
            attach_lines: 100_000,
            block_commands: 10_000,
            fanout_bytes: 10_000_000,
            fanout_viewers: &[1, 10, 100],
            fanout_stalled_with: 10,
            upgrade_sessions: 10,
            upgrade_lines: 100_000,
        }
    }

    pub fn tiny() -> Scale {
        Scale {
            throughput_bytes: 200_000,
            keystrokes: 5,
            memory_lines: 500,
            attach_lines: 1_000,
            block_commands: 20,
            fanout_bytes: 200_000,
            // One count (no comparison rows), but several viewers joining at once.
            fanout_viewers: &[2],
            fanout_stalled_with: 2,
            upgrade_sessions: 2,
            upgrade_lines: 1_000,
        }
    }
}

/// What every scenario runs with.
pub struct Ctx {
    pub bins: Bins,
    /// Runs of each measurement (each on a fresh server).
    pub runs: usize,
    pub scale: Scale,
    /// Input files live here for the run.
    data: tempfile::TempDir,
}

impl Ctx {
    pub fn new(bins: Bins, runs: usize, scale: Scale) -> anyhow::Result<Ctx> {
        let data = tempfile::Builder::new()
            .prefix("wrapd-bench-data")
            .tempdir()
            .context("creating a temporary directory")?;
        Ok(Ctx {
            bins,
            runs: runs.max(1),
            scale,
            data,
        })
    }

    /// Write an input file; its path.
    pub fn input_file(&self, name: &str, bytes: &[u8]) -> anyhow::Result<PathBuf> {
        let path = self.data.path().join(name);
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }
}

/// One benchmark scenario.
pub trait Scenario {
    /// Its name on the command line and in the results.
    fn name(&self) -> &'static str;
    /// One line on what it measures.
    fn about(&self) -> &'static str;
    fn run(&self, ctx: &Ctx) -> anyhow::Result<Vec<Measurement>>;
}

/// Every scenario, in the order `all` runs them.
pub fn registry() -> Vec<Box<dyn Scenario>> {
    use crate::scenarios::*;
    vec![
        Box::new(throughput::Throughput),
        Box::new(latency::Latency),
        Box::new(load::Load),
        Box::new(memory::Memory),
        Box::new(attach::Attach),
        Box::new(blocks::Blocks),
        Box::new(fanout::Fanout),
        Box::new(upgrade::Upgrade),
    ]
}
