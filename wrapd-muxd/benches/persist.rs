//! Saving and restoring a session's terminal (what `wrapd-muxd upgrade`
//! hands over): a terminal with 10,000 rows of scrollback, saved and
//! restored, MB/s of the saved bytes.
//!
//! `cargo bench -p wrapd-muxd --bench persist`

use divan::Bencher;
use divan::counter::BytesCount;
use wrapd_muxd::term::{Term, TermConfig};

// The inputs are shared with the benchmark suite; the file depends only on std.
#[path = "../../bench/src/inputs.rs"]
#[allow(dead_code)]
mod inputs;

use inputs::LineColors;

/// Rows of scrollback the terminal keeps (and is fed more than).
const HISTORY_ROWS: usize = 10_000;

fn main() {
    for colors in LineColors::ALL {
        let t = terminal(colors.name());
        let saved = t.save();
        eprintln!(
            "{}: {} history rows, {} bytes of history, {} bytes saved",
            colors.name(),
            t.screen_start().0 - t.history_start().0,
            t.history_bytes(),
            saved.len()
        );
    }
    divan::main();
}

/// An 80×24 terminal whose history holds `HISTORY_ROWS` rows of `colors`.
fn terminal(colors: &str) -> Term {
    let colors = LineColors::ALL
        .into_iter()
        .find(|c| c.name() == colors)
        .expect("a colouring");
    let config = TermConfig {
        scrollback_lines: HISTORY_ROWS,
        ..TermConfig::default()
    };
    let mut t = Term::new(80, 24, config);
    t.feed(&inputs::scrollback(colors, HISTORY_ROWS + 100, b"\r\n"));
    t
}

#[divan::bench(args = ["plain", "256-colour", "truecolor"], sample_count = 20)]
fn save(bencher: Bencher, colors: &str) {
    let t = terminal(colors);
    let size = t.save().len();
    bencher
        .counter(BytesCount::new(size))
        .bench_local(|| divan::black_box(&t).save());
}

#[divan::bench(args = ["plain", "256-colour", "truecolor"], sample_count = 20)]
fn restore(bencher: Bencher, colors: &str) {
    let saved = terminal(colors).save();
    bencher
        .counter(BytesCount::new(saved.len()))
        .bench_local(|| Term::restore(divan::black_box(&saved)).expect("restores"));
}
