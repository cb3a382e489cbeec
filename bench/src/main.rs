//! `wrapd-bench`: run the benchmark scenarios against wrapd and tmux and print
//! the table (`cargo run --release -p wrapd-bench -- all`).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use wrapd_bench::inputs::{self, Content};
use wrapd_bench::mux::Bins;
use wrapd_bench::report::{self, Machine};
use wrapd_bench::scenario::{Ctx, Scale, registry};
use wrapd_muxd::term::{Term, TermConfig};

/// Benchmarks of wrapd against tmux, side by side in one run.
#[derive(Parser)]
#[command(about)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
    /// Runs of each measurement (median and min–max over them).
    #[arg(long, default_value_t = 3, global = true)]
    runs: usize,
    /// Tiny inputs: only checks that every scenario runs.
    #[arg(long, global = true)]
    quick: bool,
    /// Where to write the JSON results [default: target/wrapd-bench/<unix time>.json].
    #[arg(long, global = true, value_name = "PATH")]
    json: Option<PathBuf>,
    /// Use the wrapd binaries in DIR as they are (default: build them in release
    /// mode and use target/release).
    #[arg(long, global = true, value_name = "DIR")]
    bin_dir: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run every scenario.
    All,
    /// Run the named scenarios.
    Run { names: Vec<String> },
    /// List the scenarios.
    List,
    /// Feed the terminal model alone MB megabytes of one throughput input
    /// (plain, sgr+truecolor, utf8+cjk) and print its MB/s: a target for
    /// profilers (`valgrind --tool=callgrind wrapd-bench feed plain`).
    Feed {
        content: String,
        #[arg(long, default_value_t = 10)]
        mb: usize,
        /// Also write the input to FILE, lines ending in `\n` as a program
        /// would print them (to profile the daemon with `cat FILE`).
        #[arg(long, value_name = "FILE")]
        write: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wrapd-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the bench crate is in the workspace")
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let scenarios = registry();
    let names: Vec<String> = match &cli.command {
        Cmd::List => {
            for s in &scenarios {
                println!("{:12} {}", s.name(), s.about());
            }
            return Ok(());
        }
        Cmd::Feed { content, mb, write } => return feed(content, *mb, write.as_deref()),
        Cmd::All => scenarios.iter().map(|s| s.name().to_owned()).collect(),
        Cmd::Run { names } => names.clone(),
    };
    for n in &names {
        if !scenarios.iter().any(|s| s.name() == n) {
            bail!("no scenario named {n:?}: `wrapd-bench list` shows them");
        }
    }
    let bin_dir = match cli.bin_dir {
        Some(dir) => dir,
        None => build_release()?,
    };
    let scale = if cli.quick {
        Scale::tiny()
    } else {
        Scale::full()
    };
    let ctx = Ctx::new(Bins::in_dir(&bin_dir)?, cli.runs, scale)?;
    let machine = Machine::describe();
    eprintln!("machine: {}", machine.summary());
    let started = Instant::now();
    let mut results = Vec::new();
    let mut failed = Vec::new();
    for s in scenarios
        .iter()
        .filter(|s| names.iter().any(|n| n == s.name()))
    {
        let t = Instant::now();
        eprintln!("running {} ({} runs): {}", s.name(), ctx.runs, s.about());
        // One scenario failing does not cost the others' results.
        match s.run(&ctx) {
            Ok(rows) => {
                eprintln!("  done in {:.0} s", t.elapsed().as_secs_f64());
                results.extend(rows);
            }
            Err(e) => {
                eprintln!("  FAILED: {e:#}");
                failed.push(s.name());
            }
        }
    }
    println!("{}", report::table(&results));
    eprintln!("total: {:.0} s", started.elapsed().as_secs_f64());
    let json = cli.json.unwrap_or_else(|| {
        workspace()
            .join("target/wrapd-bench")
            .join(format!("{}.json", machine.unix_time))
    });
    report::write_json(&json, &machine, &results)?;
    eprintln!("results: {}", json.display());
    if !failed.is_empty() {
        bail!("scenarios failed (see above): {}", failed.join(", "));
    }
    Ok(())
}

fn feed(name: &str, mb: usize, write: Option<&Path>) -> anyhow::Result<()> {
    let Some(content) = Content::ALL.into_iter().find(|c| c.name() == name) else {
        let names: Vec<_> = Content::ALL.iter().map(|c| c.name()).collect();
        bail!("no input named {name:?}: one of {}", names.join(", "));
    };
    if let Some(path) = write {
        let bytes = inputs::throughput(content, mb * 1_000_000, b"\n");
        std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    let bytes = inputs::throughput(content, mb * 1_000_000, b"\r\n");
    let mut term = Term::new(80, 24, TermConfig::default());
    let t = Instant::now();
    for chunk in bytes.chunks(64 * 1024) {
        term.feed(chunk);
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{name}: {mb} MB in {secs:.2} s, {:.0} MB/s",
        mb as f64 / secs
    );
    Ok(())
}

/// Build the wrapd binaries in release mode; their directory.
fn build_release() -> anyhow::Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("building wrapd-muxd and wrapd-attach (release)...");
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--bins",
            "-p",
            "wrapd-muxd",
            "-p",
            "wrapd-attach",
        ])
        .current_dir(workspace())
        .status()
        .context("running cargo")?;
    if !status.success() {
        bail!("building the wrapd binaries failed");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"));
    Ok(target.join("release"))
}
