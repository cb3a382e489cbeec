//! The bytes the benchmarks feed a terminal: generated, deterministic, and the
//! same for every multiplexer and for the terminal-model micro-benchmark
//! (`wrapd-muxd/benches/term.rs` includes this file, so it depends on nothing
//! but `std`).
//!
//! Lines end with `newline`: `b"\n"` when a PTY's output processing (ONLCR)
//! adds the carriage return, `b"\r\n"` when the bytes go straight into a
//! terminal model.

/// What a throughput input is dense with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// ASCII words.
    Plain,
    /// Words in SGR colours: 16, 256 and truecolor, foreground and background, bold.
    Sgr,
    /// Latin with accents, Cyrillic, CJK and Hangul (two columns wide),
    /// emoji and combining marks.
    Utf8,
}

impl Content {
    pub const ALL: [Content; 3] = [Content::Plain, Content::Sgr, Content::Utf8];

    pub fn name(self) -> &'static str {
        match self {
            Content::Plain => "plain",
            Content::Sgr => "sgr+truecolor",
            Content::Utf8 => "utf8+cjk",
        }
    }
}

/// How a scrollback line of the memory benchmark is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineColors {
    Plain,
    /// A 256-colour foreground per word.
    Indexed,
    /// A truecolor foreground per word, a truecolor background every other word.
    Truecolor,
}

impl LineColors {
    pub const ALL: [LineColors; 3] = [
        LineColors::Plain,
        LineColors::Indexed,
        LineColors::Truecolor,
    ];

    pub fn name(self) -> &'static str {
        match self {
            LineColors::Plain => "plain",
            LineColors::Indexed => "256-colour",
            LineColors::Truecolor => "truecolor",
        }
    }
}

/// A small deterministic generator (64-bit LCG): the same bytes every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }

    fn below(&mut self, n: u32) -> u32 {
        self.next() % n
    }
}

const ASCII_WORDS: &[&str] = &[
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "lazy",
    "dog",
    "compile",
    "error",
    "warning",
    "src/main.rs",
    "42",
    "0x7f3a",
    "fn",
    "let",
    "mut",
    "return",
    "Ok(())",
    "build",
    "test",
    "passed",
    "failed",
    "--release",
    "target",
    "debug",
    "info",
    "[INFO]",
    "12:34:56",
    "/usr/lib",
    "value",
    "=",
    "{",
    "}",
    "println!",
    "cargo",
    "thread",
    "main",
    "index",
];

/// UTF-8 words and their widths in columns.
const UTF8_WORDS: &[(&str, usize)] = &[
    ("héllo", 5),
    ("naïve", 5),
    ("Привет", 6),
    ("мир", 3),
    ("日本語", 6),
    ("中文字符", 8),
    ("한국어", 6),
    ("テスト", 6),
    ("🙂", 2),
    ("🚀ok", 4),
    ("e\u{301}te\u{301}", 4),
    ("ascii", 5),
    ("Ωμέγα", 5),
    ("→", 1),
];

/// About `bytes` bytes of `content`, in lines of at most 79 columns.
pub fn throughput(content: Content, bytes: usize, newline: &[u8]) -> Vec<u8> {
    let mut rng = Lcg(0x5eed ^ content as u64);
    let mut out = Vec::with_capacity(bytes + 256);
    while out.len() < bytes {
        let width = 20 + rng.below(60) as usize;
        let mut col = 0;
        while col < width {
            let (word, w) = match content {
                Content::Utf8 => UTF8_WORDS[rng.below(UTF8_WORDS.len() as u32) as usize],
                _ => {
                    let w = ASCII_WORDS[rng.below(ASCII_WORDS.len() as u32) as usize];
                    (w, w.len())
                }
            };
            if col + w + 1 > 79 {
                break;
            }
            if content == Content::Sgr {
                push_sgr(&mut out, &mut rng);
            }
            out.extend_from_slice(word.as_bytes());
            out.push(b' ');
            col += w + 1;
        }
        if content == Content::Sgr {
            out.extend_from_slice(b"\x1b[0m");
        }
        out.extend_from_slice(newline);
    }
    out
}

fn push_sgr(out: &mut Vec<u8>, rng: &mut Lcg) {
    let s = match rng.below(6) {
        0 => format!("\x1b[{}m", 31 + rng.below(7)),
        1 => format!("\x1b[1;{}m", 91 + rng.below(7)),
        2 => format!("\x1b[38;5;{}m", rng.below(256)),
        3 => format!(
            "\x1b[38;2;{};{};{}m",
            rng.below(256),
            rng.below(256),
            rng.below(256)
        ),
        4 => format!(
            "\x1b[48;2;{};{};{};38;5;{}m",
            rng.below(256),
            rng.below(256),
            rng.below(256),
            rng.below(256)
        ),
        _ => "\x1b[0m".to_owned(),
    };
    out.extend_from_slice(s.as_bytes());
}

/// `lines` distinct lines of exactly 80 columns of ASCII text, coloured per word.
pub fn scrollback(colors: LineColors, lines: usize, newline: &[u8]) -> Vec<u8> {
    let mut rng = Lcg(0x11e5 ^ colors as u64);
    let mut out = Vec::with_capacity(lines * 100);
    for n in 0..lines {
        // A line number first, so no two lines are alike.
        let mut text = format!("{n:07} ");
        let mut words = vec![text.clone()];
        while text.len() < 80 {
            let w = ASCII_WORDS[rng.below(ASCII_WORDS.len() as u32) as usize];
            let word = format!("{w} ");
            text.push_str(&word);
            words.push(word);
        }
        let mut col = 0;
        for (i, word) in words.iter().enumerate() {
            let take = word.len().min(80 - col);
            if take == 0 {
                break;
            }
            match colors {
                LineColors::Plain => {}
                LineColors::Indexed => {
                    out.extend_from_slice(format!("\x1b[38;5;{}m", rng.below(256)).as_bytes())
                }
                LineColors::Truecolor => {
                    let (r, g, b) = (rng.below(256), rng.below(256), rng.below(256));
                    out.extend_from_slice(format!("\x1b[38;2;{r};{g};{b}m").as_bytes());
                    if i % 2 == 1 {
                        out.extend_from_slice(format!("\x1b[48;2;{};{};{}m", b, r, g).as_bytes());
                    } else {
                        out.extend_from_slice(b"\x1b[49m");
                    }
                }
            }
            out.extend_from_slice(&word.as_bytes()[..take]);
            col += take;
        }
        if colors != LineColors::Plain {
            out.extend_from_slice(b"\x1b[0m");
        }
        out.extend_from_slice(newline);
    }
    out
}

/// `lines` numbered lines for the attach benchmark (`line 0000001 ...`), each
/// shorter than `cols`; see [`history_line`].
pub fn history(lines: usize, newline: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(lines * 64);
    for n in 0..lines {
        out.extend_from_slice(history_line(n).as_bytes());
        out.extend_from_slice(newline);
    }
    out
}

/// Line `n` of [`history`].
pub fn history_line(n: usize) -> String {
    format!("line {n:07} of the history, with some words after it to fill the row")
}
