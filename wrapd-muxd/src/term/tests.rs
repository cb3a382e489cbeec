//! The terminal model, fed bytes, screens asserted.

use super::*;

fn term(cols: u16, rows: u16) -> Term {
    Term::new(cols, rows, TermConfig::default())
}

fn fed(cols: u16, rows: u16, bytes: &str) -> Term {
    let mut t = term(cols, rows);
    t.feed(bytes.as_bytes());
    t
}

/// The screen as text, one string per row, trailing blanks trimmed.
fn screen(t: &Term) -> Vec<String> {
    t.capture(false, false).lines().map(str::to_owned).collect()
}

/// Assert the screen's rows, reporting the caller's line.
macro_rules! assert_screen {
    ($t:expr, [$($row:expr),* $(,)?]) => {{
        let want: Vec<&str> = vec![$($row),*];
        let got = screen(&$t);
        let got: Vec<&str> = got.iter().map(String::as_str).collect();
        assert_eq!(got, want, "screen at {}:{}", file!(), line!());
    }};
}

fn cell_style(t: &Term, row: u16, col: usize) -> Style {
    let line = t
        .line(RowIndex(t.screen_start().0 + u64::from(row)))
        .unwrap();
    let mut x = 0;
    for s in &line.spans {
        let w = if s.wide { 2 } else { 1 };
        for _ in s.text.chars().filter(|c| grid::char_width(*c) > 0) {
            if x == col || (w == 2 && x + 1 == col) {
                return s.style;
            }
            x += w;
        }
    }
    Style::default()
}

#[test]
fn printing_wrapping_and_newlines() {
    let t = fed(5, 3, "hello world\r\nab");
    assert_screen!(t, [" worl", "d", "ab"]);
    assert_eq!(t.capture(true, false), "hello\n worl\nd\nab\n");
    let t = fed(5, 3, "hello");
    assert_eq!(
        (t.cursor().col, t.cursor().row),
        (4, 0),
        "pending wrap keeps the cursor"
    );
    let t = fed(5, 3, "hello\r\nx");
    assert_screen!(t, ["hello", "x", ""]);
    assert!(!t.line(RowIndex(0)).unwrap().wrapped);
    let t = fed(5, 3, "helloxy");
    assert!(t.line(RowIndex(0)).unwrap().wrapped);
}

#[test]
fn cursor_movement_and_erasing() {
    let t = fed(10, 3, "abcdefghij\x1b[1;3H\x1b[K");
    assert_screen!(t, ["ab", "", ""]);
    let t = fed(10, 3, "abcdefghij\x1b[1;3H\x1b[1K");
    assert_screen!(t, ["   defghij", "", ""]);
    let t = fed(10, 3, "abc\r\ndef\r\nghi\x1b[2;2H\x1b[J");
    assert_screen!(t, ["abc", "d", ""]);
    let t = fed(10, 3, "abc\r\ndef\r\nghi\x1b[2;2H\x1b[1J");
    assert_screen!(t, ["", "  f", "ghi"]);
    let t = fed(10, 3, "abcdef\x1b[1;2H\x1b[2P");
    assert_screen!(t, ["adef", "", ""]);
    let t = fed(10, 3, "abcdef\x1b[1;2H\x1b[2@");
    assert_screen!(t, ["a  bcdef", "", ""]);
    let t = fed(10, 3, "abcdef\x1b[1;2H\x1b[2X");
    assert_screen!(t, ["a  def", "", ""]);
    let t = fed(10, 3, "\x1b[5;5Hx\x1b[A\x1b[2Dy\x1b[10Cz");
    assert_screen!(t, ["", "   y     z", "    x"]);
}

#[test]
fn scroll_regions_and_history() {
    let mut t = fed(5, 3, "1\r\n2\r\n3\r\n4\r\n5");
    assert_screen!(t, ["3", "4", "5"]);
    assert_eq!(t.screen_start(), RowIndex(2));
    assert_eq!(t.history_start(), RowIndex(0));
    assert_eq!(t.capture(true, false), "1\n2\n3\n4\n5\n");
    // A region below the top feeds history too (as in tmux).
    t.feed(b"\x1b[2;3r\x1b[3;1H\r\n6\r\n7");
    assert_screen!(t, ["3", "6", "7"]);
    assert_eq!(t.screen_start(), RowIndex(4));
    assert_eq!(t.capture(true, false), "1\n2\n4\n5\n3\n6\n7\n");
    // Reverse index at the top of a region scrolls it down.
    t.feed(b"\x1b[2;1H\x1bMx");
    assert_screen!(t, ["3", "x", "6"]);
    // IL / DL stay inside the region.
    let t = fed(5, 4, "a\r\nb\r\nc\r\nd\x1b[2;3r\x1b[2;1H\x1b[L");
    assert_screen!(t, ["a", "", "b", "d"]);
    let t = fed(5, 4, "a\r\nb\r\nc\r\nd\x1b[2;3r\x1b[2;1H\x1b[M");
    assert_screen!(t, ["a", "c", "", "d"]);
    let t = fed(5, 3, "a\r\nb\r\nc\x1b[S");
    assert_screen!(t, ["b", "c", ""]);
    let t = fed(5, 3, "a\r\nb\r\nc\x1b[T");
    assert_screen!(t, ["", "a", "b"]);
}

#[test]
fn clearing_the_screen_saves_it_to_history() {
    let mut t = fed(5, 3, "a\r\nb\x1b[2J");
    assert_screen!(t, ["", "", ""]);
    assert_eq!(t.capture(true, false), "a\nb\n\n\n\n");
    // `clear` also erases history (ED 3); a clear of a blank screen saves nothing.
    t.feed(b"\x1b[H\x1b[2J\x1b[3J\x1b[2J");
    assert_eq!(t.capture(true, false), "\n\n\n");
    // ED 0 from the home position is a clear too; the alternate screen saves nothing.
    let t = fed(5, 3, "x\x1b[H\x1b[J\x1b[?1049hy\x1b[2J");
    assert_eq!(t.capture(true, false), "x\n\n\n\n");
}

#[test]
fn history_limits_and_stable_indices() {
    let mut t = Term::new(
        10,
        2,
        TermConfig {
            scrollback_lines: 5,
            scrollback_bytes: usize::MAX,
        },
    );
    for i in 0..20 {
        t.feed(format!("line {i}\r\n").as_bytes());
    }
    assert_eq!(t.screen_start(), RowIndex(19));
    assert_eq!(t.history_start(), RowIndex(14));
    assert_eq!(t.line(RowIndex(14)).unwrap().spans[0].text, "line 14");
    assert!(t.line(RowIndex(13)).is_none());
    t.feed(b"\x1b[3J");
    assert_eq!(t.history_start(), RowIndex(19));
    assert_eq!(t.capture(true, false), "line 19\n\n");
}

#[test]
fn sgr_colours_and_attributes() {
    let t = fed(
        20,
        1,
        "\x1b[1;3;4;31;42ma\x1b[0mb\x1b[38;5;200;48;2;1;2;3mc\x1b[38:2::10:20:30;4:3md\x1b[95me",
    );
    let a = cell_style(&t, 0, 0);
    assert_eq!(a.fg, Color::Indexed(1));
    assert_eq!(a.bg, Color::Indexed(2));
    assert!(
        a.attrs
            .contains(Attrs::BOLD | Attrs::ITALIC | Attrs::UNDERLINE)
    );
    assert_eq!(cell_style(&t, 0, 1), Style::default());
    let c = cell_style(&t, 0, 2);
    assert_eq!((c.fg, c.bg), (Color::Indexed(200), Color::Rgb(1, 2, 3)));
    let d = cell_style(&t, 0, 3);
    assert_eq!(d.fg, Color::Rgb(10, 20, 30));
    assert!(d.attrs.contains(Attrs::CURLY_UNDERLINE) && !d.attrs.contains(Attrs::UNDERLINE));
    assert_eq!(cell_style(&t, 0, 4).fg, Color::Indexed(13));
    // Erasing keeps the background colour.
    let t = fed(4, 1, "\x1b[44m\x1b[K");
    assert_eq!(
        t.line(RowIndex(0)).unwrap().spans[0].style.bg,
        Color::Indexed(4)
    );
    assert_eq!(t.capture(false, true), "\x1b[0;44m    \x1b[0m\n");
}

#[test]
fn wide_and_combining_characters() {
    let t = fed(6, 2, "a日本e\u{301}");
    assert_screen!(t, ["a日本e\u{301}", ""]);
    let line = t.line(RowIndex(0)).unwrap();
    assert_eq!(line.spans.len(), 3);
    assert!(line.spans[1].wide && line.spans[1].text == "日本");
    assert_eq!(line.spans[2].text, "e\u{301}");
    // A wide char at the last column wraps.
    let t = fed(3, 2, "ab日");
    assert_screen!(t, ["ab", "日"]);
    // Overwriting half of a wide char blanks the other half.
    let t = fed(4, 1, "日本\x1b[1;2Hx");
    assert_screen!(t, [" x本"]);
    let t = fed(4, 1, "🙂!");
    assert_screen!(t, ["🙂!"]);
}

#[test]
fn alternate_screen_keeps_the_primary() {
    let mut t = fed(10, 3, "shell$ vim");
    t.feed(b"\x1b[?1049h\x1b[H\x1b[2Jeditor");
    assert!(t.modes().alternate_screen);
    assert_screen!(t, ["editor", "", ""]);
    t.feed(b"\r\n\r\n\r\n\r\n");
    assert_eq!(
        t.screen_start(),
        RowIndex(0),
        "the alternate screen has no history"
    );
    t.feed(b"\x1b[?1049l");
    assert_screen!(t, ["shell$ vim", "", ""]);
    assert_eq!((t.cursor().col, t.cursor().row), (9, 0));
}

#[test]
fn tabs() {
    let t = fed(20, 1, "a\tb\tc");
    assert_screen!(t, ["a       b       c"]);
    let t = fed(20, 1, "\x1b[3g\x1b[1;4H\x1bH\rx\ty");
    assert_screen!(t, ["x  y"]);
    let t = fed(20, 1, "\x1b[1;12H\x1b[Zx");
    assert_screen!(t, ["        x"]);
}

#[test]
fn modes_titles_and_replies() {
    let mut t = fed(
        10,
        3,
        "\x1b[?1h\x1b[?2004h\x1b[?1002h\x1b[?1006h\x1b[?1004h\x1b[?25l\x1b[5 q",
    );
    let m = t.modes();
    assert!(m.application_cursor && m.bracketed_paste && m.focus_events);
    assert_eq!(
        (m.mouse_tracking, m.mouse_encoding),
        (MouseTracking::Button, MouseEncoding::Sgr)
    );
    let c = t.cursor();
    assert!(!c.visible);
    assert_eq!((c.shape, c.blinking), (CursorShape::Bar, true));
    t.feed(b"\x1b]2;my title\x07\x1b]7;file://host/tmp/a%20b\x1b\\");
    assert_eq!(t.title(), "my title");
    assert_eq!(t.cwd(), Some("/tmp/a b"));
    t.feed(b"\x1b[2;3H\x1b[6n\x1b[c\x1b[>c\x1b[5n\x1b[?2004$p\x1b[?9999$p");
    let replies = String::from_utf8(t.take_replies()).unwrap();
    assert_eq!(
        replies,
        "\x1b[2;3R\x1b[?62;6;9;15;22;28c\x1b[>1;10;0c\x1b[0n\x1b[?2004;1$y\x1b[?9999;0$y"
    );
    assert!(t.take_replies().is_empty());
    t.feed(b"\x07\x1b]52;c;aGk=\x07");
    assert_eq!(
        t.take_events(),
        vec![
            TermEvent::Bell,
            TermEvent::Clipboard {
                selection: "c".into(),
                data: b"hi".to_vec()
            }
        ]
    );
}

#[test]
fn hyperlinks() {
    let t = fed(
        20,
        1,
        "\x1b]8;;https://example.com\x1b\\link\x1b]8;;\x1b\\ plain",
    );
    let line = t.line(RowIndex(0)).unwrap();
    assert_eq!(line.spans[0].text, "link");
    assert_eq!(line.spans[0].link.as_deref(), Some("https://example.com"));
    assert_eq!(line.spans[1].link, None);
}

#[test]
fn line_drawing_charset() {
    let t = fed(10, 1, "\x1b(0lqk\x1b(Bx\x0e\x0fq");
    assert_screen!(t, ["┌─┐xq"]);
    let t = fed(10, 1, "\x1b)0a\x0eqx\x0fq");
    assert_screen!(t, ["a─│q"]);
}

#[test]
fn sequence_numbers_say_what_changed() {
    let mut t = fed(10, 3, "a\r\nb\r\nc");
    let s1 = t.commit().unwrap();
    assert_eq!(t.commit(), None, "nothing changed since");
    t.feed(b"\x1b[2;1Hx");
    let s2 = t.commit().unwrap();
    assert!(s2 > s1);
    assert_eq!(t.changed_since(s1, RowIndex(0)), vec![RowIndex(1)]);
    // Scrolling: the new bottom row changed; rows that moved into history keep
    // their index and content.
    t.feed(b"\x1b[3;1H\r\nnew");
    let s3 = t.commit().unwrap();
    assert_eq!(t.screen_start(), RowIndex(1));
    assert_eq!(t.changed_since(s2, RowIndex(0)), vec![RowIndex(3)]);
    // Switching screens changes every screen row.
    t.feed(b"\x1b[?1049h");
    t.commit();
    assert_eq!(
        t.changed_since(s3, RowIndex(0)),
        vec![RowIndex(1), RowIndex(2), RowIndex(3)]
    );
    // A cursor move alone is still a change (clients need the cursor).
    t.feed(b"\x1b[2;2H");
    assert!(t.commit().is_some());
    t.touch();
    assert!(t.commit().is_some());
}

#[test]
fn region_scroll_restamps_moved_rows() {
    let mut t = fed(5, 4, "a\r\nb\r\nc\r\nd");
    let s = t.commit().unwrap();
    t.feed(b"\x1b[2;4r\x1b[4;1H\n");
    t.commit();
    assert_screen!(t, ["a", "c", "d", ""]);
    // "b" went to history (index 0); "a" above the region has a new index;
    // "c" and "d" moved up with the screen and kept theirs.
    assert_eq!(
        t.changed_since(s, RowIndex(0)),
        vec![RowIndex(0), RowIndex(1), RowIndex(4)]
    );
    assert_eq!(t.capture(true, false), "b\na\nc\nd\n\n");
}

/// The columns a row shows (a wide character's span counts two per char).
fn shown_width(t: &Term, index: RowIndex) -> usize {
    let line = t.line(index).unwrap();
    line.spans
        .iter()
        .map(|s| s.text.chars().count() * if s.wide { 2 } else { 1 })
        .sum()
}

#[test]
fn a_wide_character_cut_by_narrowing_never_comes_back_a_column_too_wide() {
    // Written to while narrow (found by term_fuzz): the hidden right half
    // goes, and the left half with it.
    let mut t = fed(9, 3, "\r\n\r\n Aa  A0🙂");
    t.resize(8, 3);
    t.feed(b"\rline 2");
    t.resize(9, 3);
    // Every attribute on: trailing blanks then count as shown.
    t.feed(b"\x1b[0;0$t");
    assert_eq!(shown_width(&t, RowIndex(t.screen_start().0 + 2)), 9);
    assert_screen!(t, ["", "", "line 20"]);
}

#[test]
fn resize_keeps_content() {
    let mut t = fed(10, 4, "one\r\ntwo\r\nthree");
    t.resize(10, 2);
    assert_screen!(t, ["two", "three"]);
    assert_eq!(t.screen_start(), RowIndex(1));
    t.resize(10, 4);
    assert_screen!(t, ["one", "two", "three", ""]);
    assert_eq!(t.screen_start(), RowIndex(0));
    // Narrow and back: untouched rows keep their cells.
    t.resize(3, 4);
    assert_screen!(t, ["one", "two", "thr", ""]);
    t.resize(10, 4);
    assert_screen!(t, ["one", "two", "three", ""]);
    // 0x0 is clamped.
    t.resize(0, 0);
    assert_eq!((t.cols(), t.rows()), (1, 1));
    // The shrink drops blank rows below the cursor first.
    let mut t = fed(10, 5, "a\r\nb");
    t.resize(10, 3);
    assert_screen!(t, ["a", "b", ""]);
    assert_eq!(t.screen_start(), RowIndex(0));
}

#[test]
fn repeat_and_resets() {
    let t = fed(10, 2, "x\x1b[3b");
    assert_screen!(t, ["xxxx", ""]);
    // A huge count repeats at most a screenful.
    let t = fed(4, 2, "x\x1b[65535b");
    assert_screen!(t, ["xxxx", "x"]);
    let mut t = fed(10, 2, "\x1b[?1h\x1b[31mab\x1bc");
    assert_screen!(t, ["", ""]);
    assert!(!t.modes().application_cursor);
    t.feed(b"c");
    assert_eq!(cell_style(&t, 0, 0), Style::default());
    let t = fed(3, 2, "\x1b#8");
    assert_screen!(t, ["EEE", "EEE"]);
}

#[test]
fn search_finds_text_in_history_and_screen() {
    let t = fed(10, 2, "alpha\r\nbeta\r\ngamma\r\nBeta2");
    let m = t.search("beta", RowIndex(100), true, false).unwrap();
    assert_eq!((m.row, m.col, m.len), (RowIndex(3), 0, 4));
    let m = t.search("beta", m.row, true, false).unwrap();
    assert_eq!(m.row, RowIndex(1));
    assert!(t.search("beta", RowIndex(1), true, true).is_none());
    let m = t.search("amm", RowIndex(0), false, true).unwrap();
    assert_eq!((m.row, m.col), (RowIndex(2), 1));
    let t = fed(10, 1, "日本語");
    let m = t.search("語", RowIndex(5), true, false).unwrap();
    assert_eq!((m.col, m.len), (4, 2));
}

#[test]
fn huge_parameters_and_strings_are_harmless() {
    let mut t = term(10, 3);
    t.feed(b"\x1b[99999;99999H\x1b[99999@\x1b[99999L\x1b[99999M\x1b[99999S\x1b[99999T\x1b[99999X");
    t.feed(b"\x1b[99999;1r\x1b[0;0r\x1b[99999I\x1b[99999Z");
    let mut osc = b"\x1b]2;".to_vec();
    osc.extend(std::iter::repeat_n(b'x', 1 << 20));
    osc.push(7);
    t.feed(&osc);
    assert!(t.title().len() <= 1024);
    let c = t.cursor();
    assert!(c.col < 10 && c.row < 3);
}

#[test]
fn title_and_cwd_remember_the_change_that_set_them() {
    let mut t = term(20, 5);
    assert_eq!((t.title_seq(), t.cwd_seq()), (0, 0));
    t.feed(b"\x1b]0;first\x07");
    let set = t.commit().unwrap();
    assert_eq!(t.title_seq(), set);
    // Set again to the same: still from then.
    t.feed(b"x\x1b]0;first\x07\x1b]7;file:///srv\x07");
    let cwd_set = t.commit().unwrap();
    assert_eq!((t.title_seq(), t.cwd_seq()), (set, cwd_set));
    t.feed(b"\x1b]0;second\x07\x1b]7;file:///srv\x07");
    let now = t.commit().unwrap();
    assert_eq!((t.title_seq(), t.cwd_seq()), (now, cwd_set));
}

#[test]
fn the_primary_screen_beneath_ends_at_its_cursor_or_past_its_content() {
    let mut t = term(20, 5);
    assert_eq!(t.primary_end(), None);
    t.feed(b"one\r\ntwo\r\n\x1b[?1049h");
    assert_eq!(t.primary_end(), Some(RowIndex(2)));
    // Written further down than the cursor: past the last written row.
    t.feed(b"\x1b[?1049l\x1b[5;1Hlast\x1b[1;1H\x1b[?1049h");
    assert_eq!(t.primary_end(), Some(RowIndex(5)));
    t.feed(b"\x1b[?1049l");
    assert_eq!(t.primary_end(), None);
}

/// What xterm does at the edges, found by the differential tests against
/// xterm (tests/xterm_diff.rs), kept here where xterm is not installed.
#[test]
fn edges_as_xterm_has_them() {
    // REP repeats only right after the character: any control in between
    // (a sequence, another REP, BEL) cancels it.
    let t = fed(10, 4, "a\x1b[2b\x1b[2b\r\nb\x1b[m\x1b[2b\r\nc\x07\x1b[2b");
    assert_screen!(t, ["aaa", "b", "c", ""]);
    // A wrap pending at the last column survives tabs and autowrap being
    // turned off and on; CBT moves back but the next character still goes
    // on the next row.
    let t = fed(5, 3, "abcde\tX");
    assert_screen!(t, ["abcde", "X", ""]);
    let t = fed(5, 3, "\x1b[?7labcde\x1b[?7hX");
    assert_screen!(t, ["abcde", "X", ""]);
    let t = fed(10, 3, "\x1b[1;10Hx\x1b[ZY");
    assert_screen!(t, ["         x", "Y", ""]);
    // CBT stops at the left margin only in origin mode.
    let t = fed(10, 2, "\x1b[?69h\x1b[3;8s\x1b[1;6H\x1b[ZA");
    assert_screen!(t, ["A", ""]);
    // Without autowrap a wide character that does not fit is dropped.
    let t = fed(5, 2, "\x1b[?7l\x1b[1;5Hx日\x1b[2;4H日");
    assert_screen!(t, ["    x", "   日"]);
    // A rectangle that starts past the screen's edge is nothing; one that
    // ends past it is cut.
    let t = fed(4, 2, "\x1b[65;1;1;1;9$x\x1b[66;1;5;2;9$x\x1b[67;3;1;3;4$x");
    assert_screen!(t, ["AAAA", ""]);
}

#[test]
fn soft_wraps_end_as_in_xterm() {
    let wrapped = |input: &str| {
        let t = fed(5, 3, &format!("abcdefg\x1b[1;2H{input}"));
        t.line(RowIndex(0)).unwrap().wrapped
    };
    // Erasing to the right (EL 0, ED 0, ECH, DECSEL), deleting characters
    // or columns: the row no longer runs on.
    for op in ["\x1b[K", "\x1b[J", "\x1b[X", "\x1b[P", "\x1b[?K", "\x1b['~"] {
        assert!(!wrapped(op), "{op:?} ends the soft wrap");
    }
    // Erasing to the left or the whole line, inserting: it still does.
    for op in ["\x1b[1K", "\x1b[2K", "\x1b[@", "\x1b['}", "x"] {
        assert!(wrapped(op), "{op:?} keeps the soft wrap");
    }
}
