//! Grapheme clusters in the model: cells holding whole clusters, their
//! widths, mode 2027, and clusters kept through history and resizes.

use super::*;

fn fed(cols: u16, rows: u16, bytes: &str) -> Term {
    let mut t = Term::new(cols, rows, TermConfig::default());
    t.feed(bytes.as_bytes());
    t
}

/// A screen row's cells: (text, width), right halves left out, trailing
/// default blanks too.
fn cells(t: &Term, row: u16) -> Vec<(String, u8)> {
    let line = t
        .line(RowIndex(t.screen_start().0 + u64::from(row)))
        .unwrap();
    line_cells(&line)
}

fn line_cells(line: &Line) -> Vec<(String, u8)> {
    let w = |s: &Span| 1 + u8::from(s.wide);
    let mut out = Vec::new();
    for s in &line.spans {
        if s.cluster {
            out.push((s.text.clone(), w(s)));
            continue;
        }
        for c in s.text.chars() {
            match out.last_mut() {
                Some((text, _)) if grid::char_width(c) == 0 => text.push(c),
                _ => out.push((c.to_string(), w(s))),
            }
        }
    }
    out
}

fn owned(cells: &[(&str, u8)]) -> Vec<(String, u8)> {
    cells.iter().map(|(t, w)| (t.to_string(), *w)).collect()
}

fn col(t: &Term) -> u16 {
    t.cursor().col
}

#[test]
fn emoji_sequences_take_one_cell_two_columns_wide() {
    let t = fed(20, 2, "👩\u{200d}💻x🏳\u{fe0f}\u{200d}🌈y👍🏽z");
    assert_eq!(
        cells(&t, 0),
        owned(&[
            ("👩\u{200d}💻", 2),
            ("x", 1),
            ("🏳\u{fe0f}\u{200d}🌈", 2),
            ("y", 1),
            ("👍🏽", 2),
            ("z", 1),
        ])
    );
    assert_eq!(col(&t), 9);
    let line = t.line(RowIndex(0)).unwrap();
    assert!(line.spans[0].cluster && line.spans[0].wide);
    assert!(!line.spans[1].cluster);
}

#[test]
fn variation_selectors_make_emoji_wide_or_narrow() {
    // VS16: a text-style emoji becomes wide, the cursor moves one further.
    let t = fed(10, 1, "❤\u{fe0f}x1\u{fe0f}\u{20e3}y");
    assert_eq!(
        cells(&t, 0),
        owned(&[
            ("❤\u{fe0f}", 2),
            ("x", 1),
            ("1\u{fe0f}\u{20e3}", 2),
            ("y", 1)
        ])
    );
    assert_eq!(col(&t), 6);
    // VS15: an emoji-style one becomes narrow, the cursor comes back one.
    let t = fed(10, 1, "☔\u{fe0e}x");
    assert_eq!(cells(&t, 0), owned(&[("☔\u{fe0e}", 1), ("x", 1)]));
    assert_eq!(col(&t), 2);
    // VS16 after a letter changes nothing.
    let t = fed(10, 1, "a\u{fe0f}b");
    assert_eq!(cells(&t, 0), owned(&[("a\u{fe0f}", 1), ("b", 1)]));
}

#[test]
fn regional_indicators_pair_into_flags_and_stand_alone_wide() {
    let t = fed(10, 1, "🇦🇧🇨x");
    assert_eq!(cells(&t, 0), owned(&[("🇦🇧", 2), ("🇨", 2), ("x", 1)]));
    assert_eq!(col(&t), 5);
}

#[test]
fn combining_marks_and_hangul_jamo() {
    let t = fed(10, 1, "e\u{301}\u{302}x\u{1100}\u{1161}\u{11a8}y");
    assert_eq!(
        cells(&t, 0),
        owned(&[
            ("e\u{301}\u{302}", 1),
            ("x", 1),
            ("\u{1100}\u{1161}\u{11a8}", 2),
            ("y", 1)
        ])
    );
    // Jamo spelling a syllable are not cut into cells for clients.
    assert!(
        t.line(RowIndex(0))
            .unwrap()
            .spans
            .iter()
            .all(|s| !s.cluster)
    );
}

#[test]
fn a_cluster_cut_between_feeds_is_one_cell() {
    let mut t = fed(10, 1, "👩\u{200d}");
    t.feed("💻".as_bytes());
    t.feed(b"\xf0\x9f");
    t.feed(b"\x87\xa6");
    t.feed("🇧x".as_bytes());
    assert_eq!(
        cells(&t, 0),
        owned(&[("👩\u{200d}💻", 2), ("🇦🇧", 2), ("x", 1)])
    );
}

#[test]
fn a_cluster_in_the_last_column() {
    // A ZWJ sequence ending at the edge continues while the wrap is pending.
    let t = fed(5, 2, "abc👩\u{200d}💻x");
    assert_eq!(
        cells(&t, 0),
        owned(&[("a", 1), ("b", 1), ("c", 1), ("👩\u{200d}💻", 2)])
    );
    assert_eq!(cells(&t, 1), owned(&[("x", 1)]));
    // An emoji made wide in the last column moves to the next row.
    let t = fed(5, 2, "abcd❤\u{fe0f}x");
    assert_eq!(
        cells(&t, 0),
        owned(&[("a", 1), ("b", 1), ("c", 1), ("d", 1)])
    );
    assert!(t.line(RowIndex(0)).unwrap().wrapped);
    assert_eq!(cells(&t, 1), owned(&[("❤\u{fe0f}", 2), ("x", 1)]));
    assert_eq!((col(&t), t.cursor().row), (3, 1));
    // Made narrow in the last two columns: the wrap is no longer pending.
    let t = fed(5, 2, "abc☔\u{fe0e}x");
    assert_eq!(
        cells(&t, 0),
        owned(&[("a", 1), ("b", 1), ("c", 1), ("☔\u{fe0e}", 1), ("x", 1)])
    );
    // Widening over a wide character blanks both of its halves.
    let t = fed(6, 1, "ab日本\x1b[1;2H❤\u{fe0f}");
    assert_eq!(
        cells(&t, 0),
        owned(&[("a", 1), ("❤\u{fe0f}", 2), (" ", 1), ("本", 2)])
    );
}

#[test]
fn writing_over_a_cluster_drops_all_of_it() {
    let t = fed(6, 1, "👩\u{200d}💻🇦🇧\x1b[1;2Hx\x1b[1;3Hy");
    assert_eq!(cells(&t, 0), owned(&[(" ", 1), ("x", 1), ("y", 1)]));
    assert!(t.state.grid[0].combining.is_empty());
}

#[test]
fn mode_2027_off_gives_a_cell_per_character() {
    let mut t = fed(20, 1, "\x1b[?2027$p\x1b[?2027l\x1b[?2027$p");
    assert_eq!(t.take_replies(), b"\x1b[?2027;1$y\x1b[?2027;2$y");
    t.feed("👩\u{200d}💻🇦🇧❤\u{fe0f}e\u{301}".as_bytes());
    assert_eq!(
        cells(&t, 0),
        owned(&[
            ("👩\u{200d}", 2),
            ("💻", 2),
            ("🇦", 1),
            ("🇧", 1),
            ("❤\u{fe0f}", 1),
            ("e\u{301}", 1)
        ])
    );
    assert_eq!(col(&t), 8);
    t.feed("\x1b[?2027h\r\n🇦🇧".as_bytes());
    t.feed(b"\x1b[?2027$p\x1bc\x1b[?2027$p");
    assert_eq!(t.take_replies(), b"\x1b[?2027;1$y\x1b[?2027;1$y");
}

#[test]
fn clusters_survive_history_and_resizes() {
    let text = "👩\u{200d}💻🇦🇧🇨❤\u{fe0f}☔\u{fe0e}1\u{fe0f}\u{20e3}e\u{301}\u{1100}\u{1161}日x";
    let mut t = fed(30, 2, text);
    t.feed(b"\x1b[31m\xe2\x9d\xa4\xef\xb8\x8f\x1b[m");
    let before = t.line(RowIndex(0)).unwrap();
    let capture = t.capture(false, true);
    t.feed(b"\r\n\r\n\r\n");
    assert_eq!(t.screen_start(), RowIndex(2));
    assert_eq!(t.line(RowIndex(0)).unwrap(), before, "from history");
    // Taller: the row comes back from history onto the screen.
    t.resize(30, 5);
    assert_eq!(t.screen_start(), RowIndex(0));
    assert_eq!(t.line(RowIndex(0)).unwrap(), before, "back on the screen");
    assert_eq!(
        t.capture(false, true).lines().next(),
        capture.lines().next()
    );
    assert_eq!(
        t.capture(false, false).lines().next().unwrap(),
        text.to_owned() + "❤\u{fe0f}"
    );
}

#[test]
fn search_spans_whole_clusters() {
    let t = fed(20, 1, "a👩\u{200d}💻b🇦🇧c");
    let m = t.search("💻b", RowIndex(5), true, false).unwrap();
    assert_eq!((m.col, m.len), (1, 3));
    let m = t.search("🇦🇧c", RowIndex(5), true, false).unwrap();
    assert_eq!((m.col, m.len), (4, 3));
}

#[test]
fn a_flood_of_marks_stays_bounded() {
    let mut input = "e".to_owned();
    input.extend(std::iter::repeat_n('\u{301}', 10_000));
    input.push_str("\u{200d}👩x");
    let t = fed(10, 1, &input);
    assert!(t.state.grid[0].combining[0].1.len() <= grid::MAX_CLUSTER_TAIL);
    assert_eq!(cells(&t, 0).last().unwrap(), &("x".to_owned(), 1));
}
