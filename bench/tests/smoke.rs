//! Every scenario runs end to end on tiny inputs against both multiplexers.
//! No timings are checked: this proves the harness works, not how fast
//! anything is (that is `cargo run --release -p wrapd-bench -- all`).

use std::path::PathBuf;
use std::process::{Command, Stdio};

use wrapd_bench::mux::Bins;
use wrapd_bench::scenario::{Ctx, Scale, registry};

/// target/<profile>, where `cargo test --workspace` put the wrapd binaries.
fn bin_dir() -> PathBuf {
    match std::env::var_os("WRAPD_BIN_DIR") {
        Some(d) => PathBuf::from(d),
        None => std::env::current_exe()
            .ok()
            .and_then(|p| Some(p.parent()?.parent()?.to_owned()))
            .expect("the test's own path"),
    }
}

fn tmux_installed() -> bool {
    let found = Command::new("tmux")
        .arg("-V")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "tmux is required by the benchmark smoke test (CI is set): install it (`.ci/run` does)"
        );
        eprintln!("\n*** SKIPPING: tmux is not installed ***\n");
    }
    found
}

#[test]
fn every_scenario_runs_on_tiny_inputs() {
    if !tmux_installed() {
        return;
    }
    let bins = Bins::in_dir(&bin_dir())
        .expect("run `cargo build --workspace` (or `cargo test --workspace`) first");
    let ctx = Ctx::new(bins, 1, Scale::tiny()).unwrap();
    for scenario in registry() {
        let results = scenario
            .run(&ctx)
            .unwrap_or_else(|e| panic!("scenario {} failed: {e:#}", scenario.name()));
        assert!(!results.is_empty(), "{} measured nothing", scenario.name());
        for m in &results {
            // (tmux has no figure where it cannot do the thing: `upgrade`.)
            let tmux = Some(&m.tmux).filter(|s| !s.is_none());
            for (who, s) in [("wrapd", Some(&m.wrapd)), ("tmux", tmux)] {
                let Some(s) = s else { continue };
                assert!(
                    s.median.is_finite() && s.min <= s.median && s.median <= s.max,
                    "{} / {}: {who}'s figures make no sense: {s:?}",
                    m.scenario,
                    m.variant
                );
            }
        }
    }
}
