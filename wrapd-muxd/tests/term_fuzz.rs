//! Property tests of the terminal model: no input panics it, grows it without
//! bound, or leaves it inconsistent.

use proptest::prelude::*;
use wrapd_muxd::term::{Line, RowIndex, Term, TermConfig};

/// Bytes that look like terminal output: text, controls, and escape
/// sequences with arbitrary (often huge) parameters.
fn chunk() -> impl Strategy<Value = Vec<u8>> {
    let text = "[ -~]{0,40}".prop_map(String::into_bytes);
    let utf8 = "[日本語🙂é×ñ\u{a0}\u{ff}\u{301}a-z ]{0,20}".prop_map(String::into_bytes);
    // Pieces of grapheme clusters (joined, widened and narrowed at any column).
    let clusters =
        "[👩💻🏳🌈❤☔1\u{200d}\u{fe0f}\u{fe0e}\u{20e3}\u{1f3fd}\u{1f1e6}\u{1f1e7}\u{1100}\u{1161}\u{11a8}x]{0,20}"
            .prop_map(String::into_bytes);
    let control = prop::sample::select(vec![
        b'\r', b'\n', b'\t', 8u8, 7, 0x0e, 0x0f, 0x1b, 0x84, 0x85, 0x8d, 0x8e, 0x8f,
    ])
    .prop_map(|b| vec![b]);
    let params = prop::collection::vec(prop_oneof![0u32..10, 0u32..70000], 0..5)
        .prop_map(|ps| ps.iter().map(u32::to_string).collect::<Vec<_>>().join(";"));
    // A private marker before the parameters, an intermediate after them.
    let csi = (
        prop::sample::select(vec!["", "?", ">", "=", "!", " ", "$"]),
        params,
        prop::sample::select(vec!["", "", "", "$", " ", "\"", "*", "'"]),
        prop::sample::select(b"@ABCDEFGHIJKLMPSTXZ`abcdefghlmnpqrstuvxyz{}~".to_vec()),
    )
        .prop_map(|(pre, ps, mid, f)| format!("\x1b[{pre}{ps}{mid}{}", f as char).into_bytes());
    let private_modes = (
        prop::sample::select(vec![
            1u16, 4, 6, 7, 25, 42, 45, 47, 69, 69, 1000, 1002, 1003, 1006, 1047, 1048, 1049, 2004,
            2027,
        ]),
        any::<bool>(),
    )
        .prop_map(|(m, on)| format!("\x1b[?{m}{}", if on { 'h' } else { 'l' }).into_bytes());
    let esc = prop::sample::select(vec![
        "\x1b7",
        "\x1b8",
        "\x1bD",
        "\x1bE",
        "\x1bM",
        "\x1bc",
        "\x1b#8",
        "\x1b(0",
        "\x1b(B",
        "\x1bV",
        "\x1bW",
        "\x1b=",
        "\x1b>",
        "\x1bP$qm\x1b\\",
        "\x1bP$q\"p\x1b\\",
        "\x1bP$q",
        "\x1bP+q544e\x1b\\",
        "\x1b]4;1;?;2;#123\x07",
        "\x1b]104\x07",
        "\x1b]10;?;rgb:1/2/3;?\x1b\\",
        "\x1b]111\x07",
    ])
    .prop_map(|s| s.as_bytes().to_vec());
    // Character sets: any designation (94 or 96 characters, with or
    // without an intermediate) into G0-G3, and every shift.
    let charsets = prop_oneof![
        (
            prop::sample::select(b"()*+-./".to_vec()),
            prop::sample::select(vec!["", "", "%", "\"", "&"]),
            0x30u8..0x7f,
        )
            .prop_map(
                |(slot, mid, f)| format!("\x1b{}{mid}{}", slot as char, f as char).into_bytes()
            ),
        prop::sample::select(vec![
            "\x1bn", "\x1bo", "\x1b~", "\x1b}", "\x1b|", "\x1bN", "\x1bO"
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
    ];
    let osc =
        ("[0-9]{1,2}", "[ -~]{0,30}").prop_map(|(n, s)| format!("\x1b]{n};{s}\x07").into_bytes());
    let raw = prop::collection::vec(any::<u8>(), 0..30);
    let region = (1u16..4, 2u16..8).prop_map(|(t, b)| format!("\x1b[{t};{b}r").into_bytes());
    // Left/right margins (with mode 69 on), often narrow.
    let margins =
        (0u16..6, 2u16..30).prop_map(|(l, r)| format!("\x1b[?69h\x1b[{l};{r}s").into_bytes());
    let numbered_lines = (0u32..1000, 1usize..8).prop_map(|(n, k)| {
        (0..k)
            .map(|i| format!("line {}\r\n", n + i as u32))
            .collect::<String>()
            .into_bytes()
    });
    prop_oneof![
        4 => text, 2 => utf8, 2 => clusters, 3 => control, 4 => csi, 2 => private_modes, 2 => esc, 1 => osc, 2 => raw,
        2 => region, 2 => margins, 4 => numbered_lines, 2 => charsets,
    ]
}

/// Columns a row's cells take, as a client counts them (see `Span`).
fn line_width(line: &Line) -> usize {
    line.spans
        .iter()
        .map(|s| {
            let cells = if s.cluster {
                1
            } else {
                s.text
                    .chars()
                    .filter(|c| unicode_width::UnicodeWidthChar::width(*c) != Some(0))
                    .count()
            };
            cells * (1 + usize::from(s.wide))
        })
        .sum()
}

#[derive(Debug, Clone)]
enum Op {
    Feed(Vec<u8>),
    Resize(u16, u16),
    Commit,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        12 => chunk().prop_map(Op::Feed),
        1 => (0u16..120, 0u16..50).prop_map(|(c, r)| Op::Resize(c, r)),
        2 => Just(Op::Commit),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if std::env::var_os("CI").is_some() { 2000 } else { 500 }))]

    #[test]
    fn any_input_keeps_the_model_sound(ops in prop::collection::vec(op(), 1..80)) {
        let config = TermConfig { scrollback_lines: 50, scrollback_bytes: 16 * 1024 };
        let mut t = Term::new(20, 6, config);
        let mut last_seq = 0;
        let mut mirror = std::collections::BTreeMap::new();
        for op in ops {
            match op {
                Op::Feed(bytes) => t.feed(&bytes),
                Op::Resize(c, r) => t.resize(c, r),
                Op::Commit => {
                    if let Some(seq) = t.commit() {
                        prop_assert!(seq > last_seq);
                        // A client following `changed_since` sees what `line` shows.
                        for i in t.changed_since(last_seq, t.history_start()) {
                            mirror.insert(i.0, t.line(i));
                        }
                        last_seq = seq;
                        let end = t.screen_start().0 + u64::from(t.rows());
                        for i in t.screen_start().0..end {
                            let want = t.line(RowIndex(i));
                            if let Some(got) = mirror.get(&i) {
                                prop_assert_eq!(got, &want, "row {} differs from what changed_since told", i);
                            }
                        }
                    }
                }
            }
            let c = t.cursor();
            prop_assert!(c.col < t.cols() && c.row < t.rows(), "cursor {:?} outside {}x{}", c, t.cols(), t.rows());
            for y in 0..u64::from(t.rows()) {
                let line = t.line(RowIndex(t.screen_start().0 + y)).unwrap_or_default();
                let width = line_width(&line);
                prop_assert!(width <= usize::from(t.cols()), "row {} is {} columns in {}: {:?}", y, width, t.cols(), line);
            }
            let history = t.screen_start().0 - t.history_start().0;
            prop_assert!(history <= 50, "history {} rows over the cap", history);
            prop_assert!(t.history_bytes() <= 16 * 1024 + 4096, "history {} bytes over the cap", t.history_bytes());
            prop_assert!(t.title().len() <= 4096);
            let _ = t.take_replies();
            let _ = t.take_events();
        }
        // Every kept row can be read and captured.
        for i in t.history_start().0..t.screen_start().0 + u64::from(t.rows()) {
            prop_assert!(t.line(RowIndex(i)).is_some(), "row {} missing", i);
        }
        let _ = t.capture(true, true);
    }
}
