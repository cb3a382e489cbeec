//! Random cases, biased to where terminals go wrong: margins, rectangles,
//! wrapping, wide characters, scrolling. Deterministic (a fixed generator
//! and fixed seeds), so a case that differs can be run again by its name.

use super::cases::Case;

/// xorshift64*: small, fixed, good enough to pick operations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// 0..n
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A row or column parameter, biased to the edges (1, the last, one past).
    fn coordinate(&mut self, last: u64) -> u64 {
        match self.below(6) {
            0 => 1,
            1 => last,
            2 => last + 1,
            _ => 1 + self.below(last),
        }
    }
}

const TEXTS: &[&str] = &[
    "abc",
    "Hello, world",
    "0123456789012345678901234567890123456789",
    "日本語",
    "x日y",
    "e\u{301}",
    "wide 漢字 and narrow",
    "\t",
    "\x08",
    "\r\n",
    "\n",
];

/// One random operation, as bytes.
fn operation(rng: &mut Rng, out: &mut String) {
    let (cols, rows) = (80, 24);
    let row = |rng: &mut Rng| rng.coordinate(rows);
    let col = |rng: &mut Rng| rng.coordinate(cols);
    match rng.below(30) {
        0..=7 => out.push_str(TEXTS[rng.below(TEXTS.len() as u64) as usize]),
        8 | 9 => out.push_str(&format!("\x1b[{};{}H", row(rng), col(rng))),
        10 => out.push_str(&format!("\x1b[{};{}r", row(rng), row(rng))),
        11 => out.push_str(&format!("\x1b[{};{}s", col(rng), col(rng))),
        12 => {
            // Not reverse wraparound (45): xterm's changed in 2023; the
            // corpus has it.
            let mode = [4, 6, 7, 69][rng.below(4) as usize];
            let private = if mode == 4 { "" } else { "?" };
            let set = if rng.below(2) == 0 { 'h' } else { 'l' };
            out.push_str(&format!("\x1b[{private}{mode}{set}"));
        }
        13 => {
            let op = ['@', 'P', 'X', 'L', 'M', 'S', 'T', 'b'][rng.below(8) as usize];
            // Not `CSI 0 T`: xterm takes it for mouse tracking (the corpus
            // has it).
            let n = rng.below(5).max(u64::from(op == 'T'));
            out.push_str(&format!("\x1b[{n}{op}"));
        }
        14 => {
            let op = ["'}", "'~"][rng.below(2) as usize];
            out.push_str(&format!("\x1b[{}{op}", rng.below(4)));
        }
        15 => out.push_str(&format!("\x1b[{}J", rng.below(3))),
        16 => out.push_str(&format!("\x1b[{}K", rng.below(3))),
        17 => {
            let (t, l, b, r) = (row(rng), col(rng), row(rng), col(rng));
            match rng.below(4) {
                0 => out.push_str(&format!("\x1b[{};{t};{l};{b};{r}$x", 35 + rng.below(60))),
                1 => out.push_str(&format!("\x1b[{t};{l};{b};{r}$z")),
                2 => out.push_str(&format!(
                    "\x1b[{t};{l};{b};{r};1;{};{};1$v",
                    row(rng),
                    col(rng)
                )),
                _ => out.push_str(&format!(
                    "\x1b[{t};{l};{b};{r};{}$r",
                    [1, 4, 5, 7][rng.below(4) as usize]
                )),
            }
        }
        18 => out.push_str(["\x1bD", "\x1bM", "\x1bE", "\x1b7", "\x1b8"][rng.below(5) as usize]),
        19 => out.push_str(&format!(
            "\x1b[{}m",
            [0, 1, 4, 7, 31, 42][rng.below(6) as usize]
        )),
        20 => {
            let op = ['A', 'B', 'C', 'D', 'G', 'd', 'I', 'Z'][rng.below(8) as usize];
            out.push_str(&format!("\x1b[{}{op}", rng.below(90)));
        }
        21 => out.push_str("\x1bH"),
        22 => out.push_str(&format!("\x1b[{}g", [0, 3][rng.below(2) as usize])),
        _ => {
            // A run long enough to wrap.
            let n = 1 + rng.below(100) as usize;
            out.push_str(&"abcdefghij".repeat(10)[..n]);
        }
    }
}

/// `count` random cases of `length` operations each.
pub fn random_cases(count: u64, length: usize) -> Vec<Case> {
    (1..=count)
        .map(|seed| {
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
            let mut input = String::from("\x1b#8");
            // XTERM_OPS=n keeps the first n operations (to find the one that
            // makes a case differ).
            let length = std::env::var("XTERM_OPS")
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(length);
            for _ in 0..length {
                operation(&mut rng, &mut input);
            }
            let name: &'static str = Box::leak(format!("random_{seed}").into_boxed_str());
            super::cases::case(name, input)
        })
        .collect()
}
