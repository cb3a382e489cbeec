//! Micro-benchmark of the terminal model alone: MB/s of parse + grid update
//! (and history push) on the same generated inputs as the throughput
//! scenario of `wrapd-bench`, so regressions show without starting processes.
//!
//! `cargo bench -p wrapd-muxd --bench term`

use divan::Bencher;
use divan::counter::BytesCount;
use wrapd_muxd::term::{Term, TermConfig};

// The inputs are shared with the benchmark suite; the file depends only on std.
#[path = "../../bench/src/inputs.rs"]
#[allow(dead_code)]
mod inputs;

use inputs::{Content, LineColors};

/// Bytes fed per iteration.
const INPUT_BYTES: usize = 4_000_000;

fn main() {
    divan::main();
}

fn feed(bencher: Bencher, bytes: Vec<u8>) {
    // One terminal across iterations: its history fills up and then trims,
    // as in a long-running session.
    let mut term = Term::new(80, 24, TermConfig::default());
    bencher
        .counter(BytesCount::new(bytes.len()))
        .bench_local(|| term.feed(divan::black_box(&bytes)));
}

#[divan::bench(args = ["plain", "sgr+truecolor", "utf8+cjk"], sample_count = 20)]
fn throughput(bencher: Bencher, name: &str) {
    let content = Content::ALL
        .into_iter()
        .find(|c| c.name() == name)
        .expect("a content");
    feed(bencher, inputs::throughput(content, INPUT_BYTES, b"\r\n"));
}

#[divan::bench(args = ["plain", "256-colour", "truecolor"], sample_count = 20)]
fn scrollback_lines(bencher: Bencher, name: &str) {
    let colors = LineColors::ALL
        .into_iter()
        .find(|c| c.name() == name)
        .expect("a colouring");
    feed(bencher, inputs::scrollback(colors, 40_000, b"\r\n"));
}
