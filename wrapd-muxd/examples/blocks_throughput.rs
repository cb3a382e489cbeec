//! Measures the terminal model's throughput on a shell session's output with
//! and without shell-integration marks, and the memory blocks take.
//! `cargo run --release -p wrapd-muxd --example blocks_throughput`; `MARKS` picks
//! which marks a prompt prints (default `DA7`: OSC 133 D, A and OSC 7).

use std::time::Instant;

use wrapd_muxd::term::{Term, TermConfig};

fn session(commands: usize, marks: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..commands {
        if marks {
            let m = std::env::var("MARKS").unwrap_or_else(|_| "DA7".into());
            if m.contains('D') {
                out.extend_from_slice(b"\x1b]133;D;0\x07");
            }
            if m.contains('7') {
                out.extend_from_slice(b"\x1b]7;file://host/home/u\x07");
            }
            if m.contains('A') {
                out.extend_from_slice(b"\x1b]133;A\x07");
            }
        }
        out.extend_from_slice(b"$ ");
        if marks {
            out.extend_from_slice(b"\x1b]133;B\x07");
        }
        out.extend_from_slice(format!("ls -l dir{i}\r\n").as_bytes());
        if marks {
            out.extend_from_slice(format!("\x1b]633;E;ls -l dir{i}\x07\x1b]133;C\x07").as_bytes());
        }
        for j in 0..20 {
            out.extend_from_slice(
                format!(
                    "-rw-r--r-- 1 user user {j:>6} Nov 25 10:00 \x1b[34mfile-{i}-{j}\x1b[0m\r\n"
                )
                .as_bytes(),
            );
        }
    }
    out
}

fn main() {
    println!(
        "a block's metadata: {} bytes + its command line and cwd",
        std::mem::size_of::<wrapd_muxd::term::Block>()
    );
    for marks in [false, true] {
        let bytes = session(20_000, marks);
        let mut t = Term::new(120, 40, TermConfig::default());
        let start = Instant::now();
        for chunk in bytes.chunks(64 * 1024) {
            t.feed(chunk);
            let _ = t.take_events();
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "marks={marks}: {:.1} MB in {secs:.3}s = {:.0} MB/s, {} blocks",
            bytes.len() as f64 / 1e6,
            bytes.len() as f64 / 1e6 / secs,
            t.blocks().count()
        );
    }
}
