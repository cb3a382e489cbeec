//! The run path (`run.rs`) against the reference path
//! (every character through `print_any`): the same input must give the same
//! terminal, cell by cell, with the same sequence numbers.

use proptest::prelude::*;

use super::*;

/// A terminal that prints character by character.
fn reference(cols: u16, rows: u16, config: TermConfig) -> Term {
    let mut t = Term::new(cols, rows, config);
    t.state.char_by_char = true;
    t
}

/// Everything a client or a script can see of a terminal.
#[derive(Debug, PartialEq)]
struct Seen {
    size: (u16, u16),
    cursor: Cursor,
    pending_wrap: bool,
    modes: Modes,
    rows: (RowIndex, RowIndex),
    lines: Vec<Option<Line>>,
    capture: String,
    changed: Vec<RowIndex>,
    last_char: Option<char>,
}

fn seen(t: &Term) -> Seen {
    let end = t.screen_start().0 + u64::from(t.rows());
    Seen {
        size: (t.cols(), t.rows()),
        cursor: t.cursor(),
        pending_wrap: t.state.cursor.pending_wrap,
        modes: t.modes(),
        rows: (t.history_start(), t.screen_start()),
        lines: (t.history_start().0..end)
            .map(|i| t.line(RowIndex(i)))
            .collect(),
        capture: t.capture(true, true),
        changed: t.changed_since(0, t.history_start()),
        last_char: t.state.last_char,
    }
}

/// Feed both paths, compare them, return the run path's terminal.
fn both(cols: u16, rows: u16, input: &str) -> Term {
    let mut fast = Term::new(cols, rows, TermConfig::default());
    let mut slow = reference(cols, rows, TermConfig::default());
    fast.feed(input.as_bytes());
    slow.feed(input.as_bytes());
    assert_eq!(seen(&fast), seen(&slow), "input {input:?}");
    fast
}

fn screen(t: &Term) -> Vec<String> {
    t.capture(false, false).lines().map(str::to_owned).collect()
}

#[test]
fn a_run_wraps_at_the_last_column() {
    let t = both(5, 3, "abcde");
    assert_eq!(screen(&t), ["abcde", "", ""]);
    assert!(t.state.cursor.pending_wrap);
    let t = both(5, 3, "abcdefghijklmnopq");
    assert_eq!(screen(&t), ["fghij", "klmno", "pq"]);
    assert!(t.line(RowIndex(0)).unwrap().wrapped);
    assert_eq!(t.capture(true, false), "abcde\nfghij\nklmno\npq\n");
    let t = both(5, 3, "abcde\r\nx");
    assert!(!t.line(RowIndex(0)).unwrap().wrapped);
    both(1, 2, "abc\r\nd");
}

#[test]
fn a_run_over_wide_characters_blanks_their_other_half() {
    // Written over the right half of 日 (columns 0-1) and the left half of 本.
    let t = both(6, 2, "日本語\x1b[1;2Hab");
    assert_eq!(screen(&t), [" ab 語", ""]);
    // A wide character at the edge wraps; a run after it continues there.
    let t = both(5, 2, "abcd日xy");
    assert_eq!(screen(&t), ["abcd", "日xy"]);
    both(5, 2, "abc日\x1b[1;5Hz日");
}

#[test]
fn combining_marks_after_a_run_and_under_it() {
    let t = both(10, 2, "cafe\u{301} ok");
    assert_eq!(screen(&t), ["cafe\u{301} ok", ""]);
    // A run over the accented cell drops its mark.
    let t = both(10, 2, "cafe\u{301}\rxxxxx");
    assert_eq!(screen(&t), ["xxxxx", ""]);
    both(5, 2, "abcde\u{301}f");
}

#[test]
fn insert_mode_autowrap_off_and_dec_graphics() {
    let t = both(8, 2, "abcdef\r\x1b[4hXY\x1b[4l");
    assert_eq!(screen(&t), ["XYabcdef", ""]);
    let t = both(5, 2, "\x1b[?7labcdefgh");
    assert_eq!(screen(&t), ["abcdh", ""]);
    let t = both(5, 2, "\x1b(0qqq\x1b(Bqq");
    assert_eq!(screen(&t), ["───qq", ""]);
    both(5, 2, "\x0eqq\x0fqq");
}

#[test]
fn regions_origin_mode_and_rep() {
    let t = both(4, 4, "top\r\n\x1b[2;3r\x1b[?6h\x1b[2;1Habcdefghijklm");
    assert_eq!(screen(&t), ["top", "ijkl", "m", ""]);
    let t = both(6, 2, "ab\x1b[7b");
    assert_eq!(screen(&t), ["abbbbb", "bbb"]);
    both(6, 2, "\x1b7abcdef\x1b8gh\x1b[3b");
}

/// Input that reaches the corners of printing: runs longer than a row, wide
/// and combining characters, the modes and sequences that change printing.
pub(super) fn chunk() -> impl Strategy<Value = Vec<u8>> {
    let ascii = "[ -~]{0,30}".prop_map(String::into_bytes);
    let long = "[a-z]{20,120}".prop_map(String::into_bytes);
    let utf8 = "[日本🙂é×ÿПр한\u{a0}\u{301}\u{200b}a-c ]{0,8}".prop_map(String::into_bytes);
    // Pieces of grapheme clusters: ZWJ, variation selectors, skin tones,
    // regional indicators, keycaps, conjoining jamo.
    let clusters =
        "[👩💻🏳🌈❤☔1\u{200d}\u{fe0f}\u{fe0e}\u{20e3}\u{1f3fd}\u{1f1e6}\u{1f1e7}\u{1100}\u{1161}\u{11a8}x]{0,8}"
            .prop_map(String::into_bytes);
    let control = prop::sample::select(vec![
        "\r",
        "\n",
        "\r\n",
        "\t",
        "\x08",
        "\x0e",
        "\x0f",
        "\x7f",
        "\x1b7",
        "\x1b8",
        "\x1bM",
        "\x1bD",
        "\x1b(0",
        "\x1b(B",
        "\x1b[4h",
        "\x1b[4l",
        "\x1b[?7l",
        "\x1b[?7h",
        "\x1b[?6h",
        "\x1b[?6l",
        "\x1b[?1049h",
        "\x1b[?1049l",
        "\x1b[31m",
        "\x1b[0m",
        "\x1b[48;2;1;2;3m",
        "\x1b]8;;http://x\x07",
        "\x1b]8;;\x07",
        "\x1b[r",
        "\x1b[K",
        "\x1b[2J",
        "\x1b[?2027l",
        "\x1b[?2027h",
        // Character sets: the run path only with ASCII in GL, no single shift.
        "\x1b*0",
        "\x1b+A",
        "\x1bn",
        "\x1bo",
        "\x1bN",
        "\x1bO",
        "\x1b~",
        "\x1b[?42h\x1b(K",
        // GR: Latin-1 in G1, invoked into GR, and back (G2, ASCII).
        "\x1b-A",
        "\x1b}",
        // Left and right margins.
        "\x1b[?69h\x1b[2;5s",
        "\x1b[?69l",
    ])
    .prop_map(|s| s.as_bytes().to_vec());
    let numbered = prop::sample::select(b"HfGdbr@PXLMST".to_vec());
    let csi = (0u16..14, 0u16..14, numbered)
        .prop_map(|(a, b, f)| format!("\x1b[{a};{b}{}", f as char).into_bytes());
    let raw = prop::collection::vec(any::<u8>(), 0..8);
    prop_oneof![
        6 => ascii, 3 => long, 3 => utf8, 3 => clusters, 5 => control, 4 => csi, 1 => raw,
    ]
}

#[derive(Debug, Clone)]
pub(super) enum Op {
    Feed(Vec<u8>),
    Resize(u16, u16),
    Commit,
}

/// Feeds of `input`, resizes and commits.
pub(super) fn op_of(input: impl Strategy<Value = Vec<u8>>) -> impl Strategy<Value = Op> {
    prop_oneof![
        14 => input.prop_map(Op::Feed),
        1 => (1u16..14, 1u16..7).prop_map(|(c, r)| Op::Resize(c, r)),
        2 => Just(Op::Commit),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    op_of(chunk())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        if std::env::var_os("CI").is_some() { 3000 } else { 600 }
    ))]

    #[test]
    fn runs_print_exactly_what_characters_print(
        size in (1u16..14, 1u16..7),
        ops in prop::collection::vec(op(), 1..40),
        split in any::<prop::sample::Index>(),
    ) {
        let config = TermConfig { scrollback_lines: 30, scrollback_bytes: 1 << 20 };
        let mut fast = Term::new(size.0, size.1, config);
        let mut slow = reference(size.0, size.1, config);
        for op in &ops {
            match op {
                Op::Feed(bytes) => {
                    // The run path is fed in two pieces, cut anywhere.
                    let cut = split.index(bytes.len() + 1);
                    fast.feed(&bytes[..cut]);
                    fast.feed(&bytes[cut..]);
                    slow.feed(bytes);
                }
                Op::Resize(c, r) => {
                    fast.resize(*c, *r);
                    slow.resize(*c, *r);
                }
                Op::Commit => prop_assert_eq!(fast.commit(), slow.commit()),
            }
            prop_assert_eq!(seen(&fast), seen(&slow), "after {:?}", op);
        }
    }
}

#[test]
fn a_character_cut_between_feeds_loses_nothing_after_it() {
    // vte 0.15 alone drops the `a` when `é` is cut after its first byte.
    let input = "éé a\u{301}日🙂x".as_bytes();
    for cut in 0..=input.len() {
        for cut2 in cut..=input.len() {
            let mut t = Term::new(20, 2, TermConfig::default());
            t.feed(&input[..cut]);
            t.feed(&input[cut..cut2]);
            t.feed(&input[cut2..]);
            assert_eq!(
                screen(&t),
                ["éé a\u{301}日🙂x", ""],
                "cut at {cut} and {cut2}"
            );
        }
    }
}

#[test]
fn a_c1_control_cut_between_feeds_acts_as_when_whole() {
    // U+0084 (IND in 8-bit form) written as UTF-8, cut after its first byte.
    let input = [0u8, 0xc2, 0x84];
    let config = TermConfig {
        scrollback_lines: 30,
        scrollback_bytes: 1 << 20,
    };
    for cut in 0..=input.len() {
        let mut fast = Term::new(1, 1, config);
        let mut slow = reference(1, 1, config);
        fast.feed(&input[..cut]);
        fast.feed(&input[cut..]);
        slow.feed(&input);
        assert_eq!(seen(&fast), seen(&slow), "cut at {cut}");
    }
}

#[test]
fn a_character_left_unfinished_by_a_c1_control_shows_as_invalid() {
    // A lead byte, then U+0080 written as UTF-8: the lead byte is invalid
    // (U+FFFD, as xterm shows it) and the C1 control is nothing, whole or cut.
    let input = [0xc2u8, 0xc2, 0x80];
    for cut in 0..=input.len() {
        let mut t = Term::new(4, 1, TermConfig::default());
        t.feed(&input[..cut]);
        t.feed(&input[cut..]);
        assert_eq!(screen(&t), vec!["\u{fffd}".to_owned()], "cut at {cut}");
    }
}
