//! Rectangular-area operations and character protection.

use super::*;

fn fed(cols: u16, rows: u16, bytes: &str) -> Term {
    let mut t = Term::new(cols, rows, TermConfig::default());
    t.feed(bytes.as_bytes());
    t
}

fn screen(t: &Term) -> Vec<String> {
    t.capture(false, false).lines().map(str::to_owned).collect()
}

/// A 6×4 screen full of letters.
const FULL: &str = "abcdef\r\nghijkl\r\nmnopqr\r\nstuvwx";

#[test]
fn fill_erase_and_copy_a_rectangle() {
    let t = fed(6, 4, &format!("{FULL}\x1b[42;2;2;3;4$x"));
    assert_eq!(screen(&t), ["abcdef", "g***kl", "m***qr", "stuvwx"]);
    let t = fed(6, 4, &format!("{FULL}\x1b[2;2;3;4$z"));
    assert_eq!(screen(&t), ["abcdef", "g   kl", "m   qr", "stuvwx"]);
    // To the top-left corner; overlapping source and destination.
    let t = fed(6, 4, &format!("{FULL}\x1b[3;3;4;4;1;1;1;1$v"));
    assert_eq!(screen(&t), ["opcdef", "uvijkl", "mnopqr", "stuvwx"]);
    let t = fed(6, 4, &format!("{FULL}\x1b[1;1;2;3;1;2;2;1$v"));
    assert_eq!(screen(&t), ["abcdef", "gabckl", "mghiqr", "stuvwx"]);
    // Off the screen: cut to it; a fill character that is no graphic: nothing.
    let t = fed(
        6,
        4,
        &format!("{FULL}\x1b[3;5;9;9;1;4;5;1$v\x1b[7;1;1;9;9$x"),
    );
    assert_eq!(screen(&t), ["abcdef", "ghijkl", "mnopqr", "stuvqr"]);
    // The fill takes the pen's colours and attributes.
    let t = fed(6, 4, "\x1b[1;31m\x1b[88;1;1;1;1$x");
    let line = t.line(t.screen_start()).unwrap();
    assert_eq!(line.spans[0].text, "X");
    assert!(line.spans[0].style.attrs.contains(Attrs::BOLD));
}

#[test]
fn attributes_change_in_a_rectangle_or_a_run() {
    let bold_at = |t: &Term, row: u16, col: usize| {
        let line = t
            .line(RowIndex(t.screen_start().0 + u64::from(row)))
            .unwrap();
        let mut x = 0;
        for s in &line.spans {
            for _ in s.text.chars() {
                if x == col {
                    return s.style.attrs.contains(Attrs::BOLD);
                }
                x += 1;
            }
        }
        false
    };
    // DECSACE 2: exactly the rectangle.
    let t = fed(6, 4, &format!("{FULL}\x1b[2*x\x1b[2;2;3;3;1$r"));
    let got: Vec<bool> = (0..6).map(|x| bold_at(&t, 2, x)).collect();
    assert_eq!(got, [false, true, true, false, false, false]);
    assert!(!bold_at(&t, 1, 4));
    // The default: from the first cell to the last as text.
    let t = fed(6, 4, &format!("{FULL}\x1b[2;2;3;3;1$r"));
    assert!(bold_at(&t, 1, 5) && bold_at(&t, 2, 0) && !bold_at(&t, 2, 3) && !bold_at(&t, 1, 0));
    // 0 and 22 clear; DECRARA toggles.
    let t = fed(
        6,
        4,
        &format!("\x1b[1m{FULL}\x1b[2*x\x1b[1;1;1;2;22$r\x1b[2;1;2;1;0$r\x1b[3;1;3;1;1$t"),
    );
    assert!(!bold_at(&t, 0, 0) && !bold_at(&t, 0, 1) && bold_at(&t, 0, 2));
    assert!(!bold_at(&t, 1, 0) && !bold_at(&t, 2, 0) && bold_at(&t, 3, 0));
}

#[test]
fn protected_characters_survive_selective_erase() {
    // DECSCA: selective erase keeps them, normal erase does not.
    let t = fed(6, 2, "ab\x1b[1\"qcd\x1b[0\"qef\x1b[?2K");
    assert_eq!(screen(&t), ["  cd", ""]);
    let t = fed(6, 2, "ab\x1b[1\"qcd\x1b[0\"qef\x1b[2K");
    assert_eq!(screen(&t), ["", ""]);
    let t = fed(6, 2, "ab\x1b[1\"qcd\x1b[0\"qef\r\nxy\x1b[?2J");
    assert_eq!(screen(&t), ["  cd", ""]);
    let t = fed(6, 2, "ab\x1b[1\"qcd\x1b[0\"qef\x1b[1;1;2;6${");
    assert_eq!(screen(&t), ["  cd", ""]);
    // SGR 0 keeps protection; DECRQSS reports it.
    let mut t = fed(6, 2, "\x1b[1\"q\x1b[0mab\x1bP$q\"q\x1b\\\x1b[?2K");
    assert_eq!(screen(&t), ["ab", ""]);
    assert_eq!(t.take_replies(), b"\x1bP1$r1\"q\x1b\\");
    // SPA/EPA: every erase keeps them.
    let t = fed(6, 2, "ab\x1bVcd\x1bWef\x1b[2K");
    assert_eq!(screen(&t), ["  cd", ""]);
    let t = fed(6, 2, "ab\x1bVcd\x1bWef\r\x1b[6X\x1b[J");
    assert_eq!(screen(&t), ["  cd", ""]);
    // Soft reset: protection off.
    let t = fed(6, 2, "\x1b[1\"q\x1b[!pab\x1b[?2K");
    assert_eq!(screen(&t), ["", ""]);
}
