//! Left/right margins, DECIC/DECDC, reverse wraparound, cursor limits: the
//! screen after each, as xterm leaves it.

use super::*;

fn fed(cols: u16, rows: u16, bytes: &str) -> Term {
    let mut t = Term::new(cols, rows, TermConfig::default());
    t.feed(bytes.as_bytes());
    t
}

/// The screen's rows as text, without the blank rows at its bottom.
fn screen(t: &Term) -> Vec<String> {
    let mut rows: Vec<String> = t.capture(false, false).lines().map(str::to_owned).collect();
    while rows.last().is_some_and(String::is_empty) {
        rows.pop();
    }
    rows
}

fn cursor(t: &Term) -> (u16, u16) {
    (t.cursor().col, t.cursor().row)
}

/// A 10×4 screen of `0123456789` rows with margins at columns 3..=6 (1-based).
const FILLED: &str = "0123456789\r\nabcdefghij\r\nABCDEFGHIJ\r\nklmnopqrst\x1b[?69h\x1b[3;6s";

#[test]
fn text_wraps_at_the_right_margin_to_the_left_margin() {
    let t = fed(10, 3, "\x1b[?69h\x1b[3;6s\x1b[1;3Habcdefghij");
    assert_eq!(screen(&t), ["  abcd", "  efgh", "  ij"]);
    assert_eq!(cursor(&t), (4, 2));
    // From left of the left margin too (DECSLRM homed the cursor).
    let t = fed(10, 3, "\x1b[?69h\x1b[3;6sabcdefghij");
    assert_eq!(screen(&t), ["abcdef", "  ghij"]);
    // Without the mode, DECSLRM is no margin: `CSI s` saves the cursor.
    let t = fed(10, 3, "\x1b[2;3H\x1b[3;6s\x1b[Hx\x1b[u!");
    assert_eq!(screen(&t), ["x", "  !"]);
    // Right of the right margin, text goes to the screen's edge.
    let t = fed(10, 2, "\x1b[?69h\x1b[3;6s\x1b[1;8Habcd");
    assert_eq!(screen(&t), ["       abc", "  d"]);
}

#[test]
fn scrolling_moves_only_the_cells_between_the_margins() {
    let t = fed(10, 4, &format!("{FILLED}\x1b[4;4H\n"));
    assert_eq!(
        screen(&t),
        ["01cdef6789", "abCDEFghij", "ABmnopGHIJ", "kl    qrst"]
    );
    let t = fed(10, 4, &format!("{FILLED}\x1b[1;4H\x1bM"));
    assert_eq!(
        screen(&t),
        ["01    6789", "ab2345ghij", "ABcdefGHIJ", "klCDEFqrst"]
    );
    let t = fed(10, 4, &format!("{FILLED}\x1b[2S"));
    assert_eq!(
        screen(&t),
        ["01CDEF6789", "abmnopghij", "AB    GHIJ", "kl    qrst"]
    );
    // At the bottom but outside the margins: LF does not scroll.
    let t = fed(10, 4, &format!("{FILLED}\x1b[4;9H\n"));
    assert_eq!(screen(&t)[0], "0123456789");
    assert_eq!(cursor(&t), (8, 3));
    // Nothing scrolled between margins goes into history.
    assert_eq!(t.history_start(), t.screen_start());
}

#[test]
fn lines_and_characters_are_inserted_and_deleted_between_the_margins() {
    let t = fed(10, 4, &format!("{FILLED}\x1b[2;4H\x1b[L"));
    assert_eq!(
        screen(&t),
        ["0123456789", "ab    ghij", "ABcdefGHIJ", "klCDEFqrst"]
    );
    assert_eq!(cursor(&t), (2, 1), "IL goes to the left margin");
    let t = fed(10, 4, &format!("{FILLED}\x1b[2;4H\x1b[M"));
    assert_eq!(
        screen(&t),
        ["0123456789", "abCDEFghij", "ABmnopGHIJ", "kl    qrst"]
    );
    // Outside the margins: nothing.
    let t = fed(10, 4, &format!("{FILLED}\x1b[2;9H\x1b[L\x1b[M\x1b[@\x1b[P"));
    assert_eq!(screen(&t)[1], "abcdefghij");
    let t = fed(10, 4, &format!("{FILLED}\x1b[1;4H\x1b[2@"));
    assert_eq!(screen(&t)[0], "012  36789");
    let t = fed(10, 4, &format!("{FILLED}\x1b[1;4H\x1b[2P"));
    assert_eq!(screen(&t)[0], "0125  6789");
    // Insert mode pushes up to the right margin only.
    let t = fed(10, 4, &format!("{FILLED}\x1b[1;3H\x1b[4hXY"));
    assert_eq!(screen(&t)[0], "01XY236789");
}

#[test]
fn columns_are_inserted_and_deleted_in_the_region() {
    let t = fed(10, 4, &format!("{FILLED}\x1b[2;3r\x1b[2;4H\x1b['}}"));
    assert_eq!(
        screen(&t),
        ["0123456789", "abc deghij", "ABC DEGHIJ", "klmnopqrst"]
    );
    let t = fed(10, 4, &format!("{FILLED}\x1b[2;3r\x1b[2;4H\x1b[2'~"));
    assert_eq!(
        screen(&t),
        ["0123456789", "abcf  ghij", "ABCF  GHIJ", "klmnopqrst"]
    );
    // The cursor outside the region or the margins: nothing.
    let t = fed(
        10,
        4,
        &format!("{FILLED}\x1b[2;3r\x1b[1;4H\x1b['}}\x1b[2;9H\x1b['~"),
    );
    assert_eq!(
        screen(&t),
        ["0123456789", "abcdefghij", "ABCDEFGHIJ", "klmnopqrst"]
    );
    // Without left/right margins: the whole width.
    let t = fed(6, 2, "abcdef\r\nghijkl\x1b[1;2H\x1b[2'}");
    assert_eq!(screen(&t), ["a  bcd", "g  hij"]);
}

#[test]
fn cursor_movement_stops_at_the_margins() {
    let on = "\x1b[?69h\x1b[3;6s";
    let t = fed(10, 3, &format!("{on}\x1b[1;4H\x1b[20C"));
    assert_eq!(cursor(&t), (5, 0));
    let t = fed(10, 3, &format!("{on}\x1b[1;4H\x1b[20D"));
    assert_eq!(cursor(&t), (2, 0));
    let t = fed(10, 3, &format!("{on}\x1b[1;4H\r"));
    assert_eq!(cursor(&t), (2, 0));
    // From left of the left margin, CR goes to column 0.
    let t = fed(10, 3, &format!("{on}\x1b[1;2H\r"));
    assert_eq!(cursor(&t), (0, 0));
    let t = fed(10, 3, &format!("{on}\x1b[1;4H\t\t"));
    assert_eq!(cursor(&t), (5, 0));
    // Origin mode: columns from the left margin, not past the right one.
    let mut t = fed(10, 3, &format!("{on}\x1b[?6h\x1b[1;2Hx\x1b[1;99Hy\x1b[6n"));
    assert_eq!(screen(&t), ["   x y"]);
    assert_eq!(t.take_replies(), b"\x1b[1;4R");
    // DECSLRM homes the cursor; a bad one is ignored; mode 69 off forgets them.
    let t = fed(10, 3, "\x1b[2;5H\x1b[?69h\x1b[3;6s");
    assert_eq!(cursor(&t), (0, 0));
    let t = fed(10, 3, "\x1b[?69h\x1b[6;3s\x1b[2;5H\x1b[5sabcdefghijk");
    assert_eq!(screen(&t), ["abcdefghij", "    k"]);
    let t = fed(10, 3, "\x1b[?69h\x1b[3;6s\x1b[?69labcdefghijk");
    assert_eq!(screen(&t), ["abcdefghij", "k"]);
}

#[test]
fn reverse_wraparound() {
    // Off: backspace stops at the left edge; a pending wrap is a column.
    let t = fed(5, 3, "abcde\x08X");
    assert_eq!(screen(&t), ["abcXe"]);
    let t = fed(5, 3, "ab\r\ncd\x1b[2;1H\x08X");
    assert_eq!(screen(&t), ["ab", "Xd"]);
    // On: a pending wrap is undone first, then back over the wrapped row.
    let t = fed(5, 3, "\x1b[?45habcde\x08X");
    assert_eq!(screen(&t), ["abcdX"]);
    let t = fed(5, 3, "\x1b[?45habcdefg\x08\x08\x08X");
    assert_eq!(screen(&t), ["abcdX", "fg"]);
    let t = fed(5, 3, "\x1b[?45habcdefg\x1b[4DX");
    assert_eq!(screen(&t), ["abcXe", "fg"]);
    // Not onto a row that did not wrap, nor above the top.
    let t = fed(5, 3, "\x1b[?45hab\r\ncd\x1b[2;1H\x08X");
    assert_eq!(screen(&t), ["ab", "Xd"]);
    let t = fed(5, 3, "\x1b[?45h\x08\x08X");
    assert_eq!(screen(&t), ["X"]);
    // Autowrap off: no reverse wrap either.
    let t = fed(5, 3, "\x1b[?45habcdefg\x1b[?7l\r\x08X");
    assert_eq!(screen(&t), ["abcde", "Xg"]);
    // Within margins: back to the right margin of the row above.
    let t = fed(
        10,
        3,
        "\x1b[?45h\x1b[?69h\x1b[3;6s\x1b[1;3Habcdefg\x1b[3D\x08X",
    );
    assert_eq!(screen(&t), ["  abcX", "  efg"]);
}

#[test]
fn resets_and_resizes_forget_the_margins() {
    for reset in ["\x1b[!p", "\x1bc"] {
        let mut t = fed(
            10,
            3,
            &format!("\x1b[?69h\x1b[?45h\x1b[3;6s{reset}\x1b[?69$p\x1b[?45$pabcdefghijk"),
        );
        assert_eq!(screen(&t), ["abcdefghij", "k"], "{reset:?}");
        assert_eq!(t.take_replies(), b"\x1b[?69;2$y\x1b[?45;2$y", "{reset:?}");
    }
    let mut t = fed(10, 3, "\x1b[?69h\x1b[3;6s");
    t.resize(8, 3);
    t.feed(b"\x1b[?69h\x1b[Habcdefghi");
    assert_eq!(screen(&t), ["abcdefgh", "i"]);
}

#[test]
fn wide_characters_at_the_margins() {
    // A wide character that does not fit before the right margin wraps.
    let t = fed(10, 3, "\x1b[?69h\x1b[3;5s\x1b[1;3Hab日");
    assert_eq!(screen(&t), ["  ab", "  日"]);
    // Scrolling a rectangle that cuts a wide character blanks it.
    let t = fed(10, 3, "日本語\r\nabcdef\x1b[?69h\x1b[2;5s\x1b[1;3H\x1bM");
    assert_eq!(screen(&t), ["", "a 本 f", " bcde"]);
}

#[test]
fn column_mode_clears_as_xterm_does_when_allowed() {
    // Not allowed (mode 40 off): nothing happens, the mode stays reset.
    let mut t = fed(10, 3, "abc\x1b[?3h\x1b[?3$p");
    assert_eq!(screen(&t), ["abc"]);
    assert_eq!(t.take_replies(), b"\x1b[?3;2$y");
    // Allowed: margins reset, cursor home, screen cleared; the width stays.
    let mut t = fed(10, 3, "abc\x1b[2;3r\x1b[?40h\x1b[?3h\x1b[?3$pX\x1b[6n");
    assert_eq!(screen(&t), ["X"]);
    assert_eq!(t.take_replies(), b"\x1b[?3;1$y\x1b[1;2R");
    assert_eq!(t.cols(), 10);
    // DECNCSM (95): the screen is kept.
    let t = fed(10, 3, "abc\x1b[?40;95h\x1b[?3hX");
    assert_eq!(screen(&t), ["Xbc"]);
}
