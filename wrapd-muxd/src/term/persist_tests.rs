//! Saving and restoring the terminal: a terminal saved anywhere in a stream
//! (inside a sequence, inside a character) and restored, then fed the rest,
//! is the terminal that got the whole stream; bad saved bytes give errors.

use proptest::prelude::*;
use wrapd_proto::state as pb;

use super::print_tests::{Op, chunk, op_of};
use super::*;

const CONFIG: TermConfig = TermConfig {
    scrollback_lines: 40,
    scrollback_bytes: 1 << 20,
};

/// Save and restore, as a hand-over does.
fn handed_over(t: &Term) -> Term {
    Term::restore(&t.save()).expect("a saved terminal restores")
}

/// Everything a client, a script or the program can see, and the state
/// itself: both must be equal.
fn assert_same(a: &mut Term, b: &mut Term, context: &str) {
    assert_eq!(a.to_state(), b.to_state(), "state, {context}");
    assert_eq!(a.capture(true, true), b.capture(true, true), "{context}");
    assert_eq!(a.cursor(), b.cursor(), "{context}");
    assert_eq!(a.modes(), b.modes(), "{context}");
    assert_eq!(a.title(), b.title(), "{context}");
    assert_eq!(a.committed_seq(), b.committed_seq(), "{context}");
    let blocks = |t: &Term| t.blocks().cloned().collect::<Vec<_>>();
    assert_eq!(blocks(a), blocks(b), "{context}");
    let (start, end) = (
        a.history_start().0,
        a.screen_start().0 + u64::from(a.rows()),
    );
    for i in start..end {
        assert_eq!(
            a.line(RowIndex(i)),
            b.line(RowIndex(i)),
            "row {i}, {context}"
        );
    }
    // The answers to queries: modes, settings, cursor, colours, title, size.
    let queries = concat!(
        "\x1b[0m\x1b[6n\x1b[?6n\x1b[?1$p\x1b[?6$p\x1b[?7$p\x1b[?45$p\x1b[?69$p",
        "\x1b[?1000$p\x1b[?1006$p\x1b[?2004$p\x1b[?2027$p\x1b[?42$p\x1b[4$p\x1b[20$p",
        "\x1bP$qr\x1b\\\x1bP$qs\x1b\\\x1bP$q\"q\x1b\\\x1bP$q q\x1b\\",
        "\x1b]10;?\x07\x1b]11;?\x07\x1b]4;1;?\x07\x1b]5;0;?\x07\x1b[21t\x1b[18t",
    );
    a.feed(queries.as_bytes());
    b.feed(queries.as_bytes());
    assert_eq!(
        String::from_utf8_lossy(&a.take_replies()),
        String::from_utf8_lossy(&b.take_replies()),
        "replies, {context}"
    );
}

#[test]
fn a_plain_terminal_round_trips() {
    let mut t = Term::new(80, 24, TermConfig::default());
    let mut back = handed_over(&t);
    assert_same(&mut t, &mut back, "blank");
    assert_eq!(t.save(), handed_over(&t).save());
}

#[test]
fn eight_bit_answers_stay_eight_bit_after_a_hand_over() {
    let mut t = Term::new(80, 24, TermConfig::default());
    t.feed(b"\x1b G");
    let mut back = handed_over(&t);
    back.feed(b"\x1b[c");
    let answer = back.take_replies();
    assert_eq!(answer.first(), Some(&0x9b), "{answer:?}: CSI as one byte");
    t.feed(b"\x1b[c");
    assert_eq!(t.take_replies(), answer);
}

#[test]
fn everything_the_model_holds_comes_back() {
    let mut t = Term::new(20, 6, CONFIG);
    t.set_clock(1_000);
    let input = concat!(
        "\x1b]0;my title\x07\x1b[22;0t\x1b]2;second\x07",
        "\x1b]7;file://host/home/ada\x07\x1b]133;A\x07$ \x1b]133;B\x07ls\r\n",
        "\x1b]133;C\x07\x1b[1;31mred\x1b[0m \x1b[38;2;1;2;3;48;5;200mrgb\x1b[0m\r\n",
        "日本\u{1f469}\u{200d}\u{1f4bb}e\u{301} \x1b]8;;http://x.y/\x07link\x1b]8;;\x07\r\n",
        "\x1b]133;D;3\x07\x1b]133;A\x07$ \x1b]133;B\x07",
        "\x1b[?1h\x1b[?2004h\x1b[?1002h\x1b[?1006h\x1b[?1004h\x1b[?45h\x1b[4h\x1b[20h",
        "\x1b[5 q\x1b[?25l\x1b=\x1b(0\x0e\x1b)0\x1b[2;5r\x1b[?69h\x1b[3;12s",
        "\x1b[3g\x1b[1;5H\x1bH\x1b[1\"q\x1b7\x1b]4;3;rgb:12/34/56\x07\x1b]11;#102030\x07",
        "\x1b[?1049h\x1b[2;3Halt\x1b[?6h\x1b7",
    );
    t.feed(input.as_bytes());
    for i in 0..100 {
        t.feed(format!("\x1b[?1049l line {i}\r\n\x1b[?1049h").as_bytes());
    }
    t.commit();
    t.feed(b"\x1b]2;after commit\x07");
    let mut back = handed_over(&t);
    assert_eq!(back.title(), "after commit");
    assert!(back.modes().alternate_screen);
    assert_eq!(back.blocks().len(), 1);
    assert_same(&mut t, &mut back, "a busy terminal");
    assert_eq!(t.save(), handed_over(&t).save(), "saving is deterministic");
}

#[test]
fn scrollback_with_sealed_blocks_keeps_its_row_numbers() {
    let config = TermConfig {
        scrollback_lines: 10_000,
        scrollback_bytes: 64 << 20,
    };
    let mut t = Term::new(80, 24, config);
    for i in 0..12_000 {
        t.feed(format!("\x1b[3{}mline {i} of the scrollback\x1b[0m\r\n", i % 8).as_bytes());
    }
    let mut back = handed_over(&t);
    assert_eq!(back.screen_start().0 - back.history_start().0, 10_000);
    assert_eq!(back.screen_start(), t.screen_start());
    assert_same(&mut t, &mut back, "10,000 rows");
    // Both go on the same way: trimming, and rows pulled back by a resize.
    for t in [&mut t, &mut back] {
        t.feed(b"more\r\n".repeat(50).as_slice());
        t.resize(80, 60);
    }
    assert_same(&mut t, &mut back, "after more output and a resize");
}

/// Feed `input`, cut at `cut`: save and restore there, then feed the rest.
fn fed_with_a_hand_over(cols: u16, rows: u16, input: &[u8], cut: usize) -> Term {
    let mut t = Term::new(cols, rows, CONFIG);
    t.feed(&input[..cut]);
    let mut back = handed_over(&t);
    back.feed(&input[cut..]);
    back
}

#[test]
fn a_hand_over_inside_a_sequence_or_a_character_loses_nothing() {
    let input = concat!(
        "ab\x1b[1;38;2;10;20;30mcolour\x1b]0;a title; with a semicolon\x1b\\",
        "\x1b[3\n1mx\x1bP$qm\x1b\\é日\u{1f469}\u{200d}\u{1f4bb}\x1b]8;;http://x\x07l\x1b]8;;\x07",
        "\x1b[?2004h\x1b]133;A\x07$ \x1b]133;B\x07\x1b(0qq\x1b(B\x1b_apc\x1b\\end",
    )
    .as_bytes();
    // The terminal that got it all, and what it answered.
    let whole = || {
        let mut t = Term::new(12, 4, CONFIG);
        t.feed(input);
        let replies = t.take_replies();
        (t, replies)
    };
    for cut in 0..=input.len() {
        let mut t = Term::new(12, 4, CONFIG);
        t.feed(&input[..cut]);
        let mut got = t.take_replies();
        let mut back = handed_over(&t);
        back.feed(&input[cut..]);
        got.extend(back.take_replies());
        let (mut whole, replies) = whole();
        assert_eq!(got, replies, "replies, cut at {cut}");
        assert_same(&mut whole, &mut back, &format!("cut at {cut}"));
    }
}

#[test]
fn a_control_inside_a_cut_sequence_acts_once() {
    // The line feed inside the CSI was acted on before the save.
    let t = fed_with_a_hand_over(10, 4, b"a\x1b[3\n1mb", 5);
    assert_eq!(t.cursor().row, 1);
    assert_eq!(t.capture(false, false), "a\n b\n\n\n");
}

#[test]
fn a_hand_over_inside_a_long_osc_string() {
    let data = "QUJD".repeat(4_000);
    let input = format!("\x1b]52;c;{data}\x07after");
    let whole = || {
        let mut t = Term::new(10, 3, CONFIG);
        t.feed(input.as_bytes());
        t
    };
    let events = whole().take_events();
    assert!(matches!(&events[..], [TermEvent::Clipboard { data, .. }] if data.len() == 12_000));
    for cut in [3, 9, 5_000, input.len() - 6] {
        let mut back = fed_with_a_hand_over(10, 3, input.as_bytes(), cut);
        assert_eq!(back.take_events(), events, "cut at {cut}");
        assert_same(&mut whole(), &mut back, &format!("cut at {cut}"));
    }
}

#[test]
fn bad_bytes_give_clear_errors() {
    let t = Term::new(10, 4, CONFIG);
    let good = t.to_state();
    let restore = |s: pb::TerminalState| Term::from_state(s).err().expect("refused");

    let mut s = good.clone();
    s.version = 2;
    let err = restore(s);
    assert_eq!(err, PersistError::UnknownVersion { found: 2, known: 1 });
    assert!(err.to_string().contains("version 2 is newer"), "{err}");

    let mut s = good.clone();
    s.version = 0;
    assert_eq!(restore(s), PersistError::MissingField("version".into()));

    let mut s = good.clone();
    s.cursor = None;
    assert_eq!(
        restore(s).to_string(),
        "saved terminal state: `cursor` is missing"
    );

    let mut s = good.clone();
    s.cursor.as_mut().unwrap().col = 10;
    let err = restore(s).to_string();
    assert!(
        err.contains("`cursor.col` is 10, out of range (below 10)"),
        "{err}"
    );

    let mut s = good.clone();
    s.screen.as_mut().unwrap().rows[2].chars[1] = 0xd800;
    let err = restore(s).to_string();
    assert!(err.contains("screen.rows[2].chars[1]"), "{err}");

    let mut s = good.clone();
    s.screen.as_mut().unwrap().rows[0].wide = vec![10];
    assert!(restore(s).to_string().contains("screen.rows[0].wide"));

    let mut s = good.clone();
    s.parser.as_mut().unwrap().open_sequence = b"\x1b[2J".to_vec();
    let err = restore(s).to_string();
    assert!(err.contains("escape sequence not yet ended"), "{err}");

    let mut s = good.clone();
    s.screen_start = 5;
    assert!(restore(s).to_string().contains("screen_start"));

    let err = Term::restore(b"\xff\xff\xff").err().expect("refused");
    assert!(matches!(err, PersistError::Unreadable(_)), "{err}");
    assert_eq!(
        Term::restore(b"").err(),
        Some(PersistError::MissingField("version".into()))
    );
}

/// Pieces of input that reach what a save must carry, beyond printing.
fn state_chunk() -> impl Strategy<Value = Vec<u8>> {
    let sequences = prop::sample::select(vec![
        "\x1b]0;title\x07",
        "\x1b]2;a;b\x1b\\",
        "\x1b[22;0t",
        "\x1b[23;0t",
        "\x1b]133;A\x07",
        "\x1b]133;B\x07",
        "\x1b]133;C\x07",
        "\x1b]133;D;0\x07",
        "\x1b]133;D;1\x07",
        "\x1b]133;A;k=s\x07",
        "\x1b]633;E;ls -l\x07",
        "\x1b]133;C;cwd=/tmp\x07",
        "\x1b]7;file://host/tmp/x\x07",
        "\x1b[?69h",
        "\x1b[?69l",
        "\x1b[2;5s",
        "\x1b[?45h",
        "\x1b[?1h",
        "\x1b[?1000h",
        "\x1b[?1006h",
        "\x1b[?1004h",
        "\x1b[?2004h",
        "\x1b[?2004l",
        "\x1b[?25l",
        "\x1b[5 q",
        "\x1b[20h",
        "\x1b[20l",
        "\x1b=",
        "\x1bH",
        "\x1b[3g",
        "\x1b[g",
        "\x1b[1\"q",
        "\x1b[0\"q",
        "\x1bV",
        "\x1bW",
        "\x1b[?40h",
        "\x1b[?3h",
        "\x1b[?95h",
        "\x1b]4;1;rgb:12/34/56\x07",
        "\x1b]10;#abcdef\x07",
        "\x1b]104\x07",
        "\x1b]5;0;#123\x07",
        "\x1b[!p",
        "\x1bc",
        "\x1b#8",
        "\x1b[?1047h",
        "\x1b[?1047l",
        "\x1b[?1048h",
        "\x1b[?1048l",
        "\x1b[2;2;3;4$z",
        "\x1b[?2J",
        "\x1b)0",
        "\x1b*>",
        "\x1b+<",
        "\x1b.A",
        "\x1bo",
        "\x1b|",
        "\x1bN",
        "\x1b[?42h\x1b(%6",
        "\x1b[?42l",
        "\x1b[2*x",
        "\x1b[3J",
        "\x1bP$qm\x1b\\",
        "\x1b_apc\x1b\\",
        "\x1b[6n",
        "\x1b]10;?\x07",
        "\x1b[?2004$p",
        "\x07",
        "\x1b]52;c;aGVsbG8=\x07",
    ])
    .prop_map(|s| s.as_bytes().to_vec());
    let lines = (1usize..30).prop_map(|n| {
        (0..n)
            .map(|i| format!("\x1b[3{}mline {i}\x1b[0m\r\n", i % 8))
            .collect::<String>()
            .into_bytes()
    });
    prop_oneof![6 => chunk(), 3 => sequences, 1 => lines]
}

fn op() -> impl Strategy<Value = Op> {
    op_of(prop::collection::vec(state_chunk(), 1..4).prop_map(|c| c.concat()))
}

/// Apply `op`, collecting what the owner takes from the terminal.
fn apply(t: &mut Term, op: &Op, taken: &mut (Vec<u8>, Vec<TermEvent>)) {
    match op {
        Op::Feed(bytes) => t.feed(bytes),
        Op::Resize(c, r) => t.resize(*c, *r),
        Op::Commit => drop(t.commit()),
    }
    taken.0.extend(t.take_replies());
    taken.1.extend(t.take_events());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        if std::env::var_os("CI").is_some() { 2000 } else { 400 }
    ))]

    #[test]
    fn a_hand_over_anywhere_changes_nothing(
        size in (1u16..14, 1u16..7),
        ops in prop::collection::vec(op(), 1..30),
        cuts in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 1..3),
    ) {
        let mut whole = Term::new(size.0, size.1, CONFIG);
        let mut cut = Term::new(size.0, size.1, CONFIG);
        let (mut want, mut got) = Default::default();
        let cuts: Vec<(usize, usize)> = cuts.iter().map(|(i, b)| (i.index(ops.len()), b.index(1 << 16))).collect();
        for (i, op) in ops.iter().enumerate() {
            whole.set_clock(i as u64);
            cut.set_clock(i as u64);
            apply(&mut whole, op, &mut want);
            match op {
                Op::Feed(bytes) if cuts.iter().any(|&(at, _)| at == i) => {
                    let mut from = 0;
                    let mut points: Vec<usize> = cuts.iter().filter(|&&(at, _)| at == i).map(|&(_, b)| b % (bytes.len() + 1)).collect();
                    points.sort_unstable();
                    for p in points {
                        apply(&mut cut, &Op::Feed(bytes[from..p].to_vec()), &mut got);
                        cut = handed_over(&cut);
                        from = p;
                    }
                    apply(&mut cut, &Op::Feed(bytes[from..].to_vec()), &mut got);
                }
                _ => apply(&mut cut, op, &mut got),
            }
        }
        prop_assert_eq!(&want.1, &got.1, "events");
        prop_assert_eq!(String::from_utf8_lossy(&want.0), String::from_utf8_lossy(&got.0), "replies");
        assert_same(&mut whole, &mut cut, "after the ops");
    }

    #[test]
    fn garbage_and_damaged_states_never_panic(
        ops in prop::collection::vec(op(), 1..12),
        damage in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        truncate in any::<prop::sample::Index>(),
        garbage in prop::collection::vec(any::<u8>(), 0..200),
        after in chunk(),
    ) {
        let mut t = Term::new(8, 4, CONFIG);
        for op in &ops {
            apply(&mut t, op, &mut Default::default());
        }
        let mut saved = t.save();
        for (at, byte) in &damage {
            let i = at.index(saved.len());
            saved[i] ^= byte;
        }
        let cut = truncate.index(saved.len() + 1);
        for bytes in [&saved[..], &saved[..cut], &garbage[..]] {
            // Whatever is accepted must work as a terminal.
            if let Ok(mut back) = Term::restore(bytes) {
                back.feed(&after);
                back.resize(5, 3);
                back.feed(b"\x1b[?1049l\x1b[2Jx\r\n\x1b[3J");
                let _ = (back.capture(true, true), back.save(), back.take_replies());
                let _ = back.line(back.history_start());
            }
        }
    }
}

/// A saved state changed within what restoring accepts: positions, flags,
/// wide cells, clusters and marks anywhere in range.
#[derive(Debug, Clone)]
struct Tweak {
    cursor: (u32, u32, bool),
    saved: (u32, u32, bool),
    margins: (u32, u32, u32, u32),
    flags: (bool, bool, bool, bool, bool),
    wide: (prop::sample::Index, prop::sample::Index),
    tail: (prop::sample::Index, prop::sample::Index, bool),
    mark: (u64, u32),
}

fn tweak() -> impl Strategy<Value = Tweak> {
    (
        (any::<u32>(), any::<u32>(), any::<bool>()),
        (any::<u32>(), any::<u32>(), any::<bool>()),
        (any::<u32>(), any::<u32>(), any::<u32>(), any::<u32>()),
        any::<(bool, bool, bool, bool, bool)>(),
        any::<(prop::sample::Index, prop::sample::Index)>(),
        (
            any::<prop::sample::Index>(),
            any::<prop::sample::Index>(),
            any::<bool>(),
        ),
        (0u64..100, 0u32..20),
    )
        .prop_map(|(cursor, saved, margins, flags, wide, tail, mark)| Tweak {
            cursor,
            saved,
            margins,
            flags,
            wide,
            tail,
            mark,
        })
}

/// `state` with `t` applied, every value kept in the range restoring accepts.
fn tweaked(mut state: pb::TerminalState, t: &Tweak) -> pb::TerminalState {
    let (cols, rows) = (state.cols, state.rows);
    let c = state.cursor.as_mut().unwrap();
    (c.col, c.row, c.pending_wrap) = (t.cursor.0 % cols, t.cursor.1 % rows, t.cursor.2);
    let c = state.saved[1].cursor.as_mut().unwrap();
    (c.col, c.row, c.pending_wrap) = (t.saved.0 % cols, t.saved.1 % rows, t.saved.2);
    let m = state.margins.as_mut().unwrap();
    m.bottom = t.margins.1 % rows;
    m.top = t.margins.0 % (m.bottom + 1);
    m.right = t.margins.3 % cols;
    m.left = t.margins.2 % (m.right + 1);
    let f = state.modes.as_mut().unwrap();
    (f.origin, f.lr_margins, f.insert, f.autowrap, f.reverse_wrap) = t.flags;
    let screen = state.screen.as_mut().unwrap();
    let n = screen.rows.len();
    let row = &mut screen.rows[t.wide.0.index(n)];
    row.wide = vec![t.wide.1.index(row.chars.len()) as u32];
    let row = &mut screen.rows[t.tail.0.index(n)];
    let col = t.tail.1.index(row.chars.len()) as u32;
    row.tails = vec![pb::Tail {
        col,
        text: if t.tail.2 {
            "\u{301}"
        } else {
            "\u{200d}\u{1f4bb}"
        }
        .into(),
    }];
    let blocks = state.blocks.as_mut().unwrap();
    let mark = pb::Mark {
        row: t.mark.0,
        col: t.mark.1,
    };
    blocks.pending_input = Some(mark);
    for b in &mut blocks.blocks {
        b.output = Some(mark);
    }
    state
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        if std::env::var_os("CI").is_some() { 2000 } else { 300 }
    ))]

    #[test]
    fn whatever_restores_works_as_a_terminal(
        ops in prop::collection::vec(op(), 1..12),
        t in tweak(),
        after in prop::collection::vec(state_chunk(), 1..6),
    ) {
        let mut term = Term::new(9, 4, CONFIG);
        for op in &ops {
            apply(&mut term, op, &mut Default::default());
        }
        let mut back = Term::from_state(tweaked(term.to_state(), &t)).expect("in range");
        for chunk in &after {
            back.feed(chunk);
            back.feed(b"\x1b[2D\x08\x1b]133;C\x07x\x1b]133;D;0\x07");
        }
        back.resize(4, 6);
        back.feed(b"\x1b[?1049l\x1b[Lab\x1b[2P\x1b[3@\x1b[?2J");
        back.resize(12, 2);
        let _ = (back.capture(true, true), back.save(), back.take_replies());
        for b in back.blocks().map(|b| b.id).collect::<Vec<_>>() {
            let _ = back.block_output(b, true);
        }
        let _ = back.search("a", back.screen_start(), true, false);
    }
}
