//! Replies to queries, checked byte for byte.

use wrapd_common::color::Rgb;

use super::*;

/// What a terminal of `cols`×`rows` answers after `input`.
fn replies(cols: u16, rows: u16, input: &str) -> String {
    let mut t = Term::new(cols, rows, TermConfig::default());
    t.feed(input.as_bytes());
    String::from_utf8(t.take_replies()).unwrap()
}

#[test]
fn device_attributes_and_version() {
    assert_eq!(
        replies(80, 24, "\x1b[c\x1b[0c"),
        "\x1b[?62;6;22;28c\x1b[?62;6;22;28c"
    );
    assert_eq!(
        replies(80, 24, "\x1b[>c\x1b[>0c"),
        "\x1b[>1;10;0c\x1b[>1;10;0c"
    );
    assert_eq!(replies(80, 24, "\x1b[=c"), "\x1bP!|00000000\x1b\\");
    assert_eq!(
        replies(80, 24, "\x1b[>q"),
        format!("\x1bP>|wrapd {}\x1b\\", env!("CARGO_PKG_VERSION"))
    );
    // Other parameters are other requests: no answer.
    assert_eq!(replies(80, 24, "\x1b[1c\x1b[>1c\x1b[>1q"), "");
}

#[test]
fn status_reports() {
    assert_eq!(replies(80, 24, "\x1b[5n"), "\x1b[0n");
    assert_eq!(replies(80, 24, "\x1b[3;7H\x1b[6n"), "\x1b[3;7R");
    assert_eq!(replies(80, 24, "\x1b[3;7H\x1b[?6n"), "\x1b[?3;7R");
    // Origin mode: from the region's top.
    assert_eq!(
        replies(80, 24, "\x1b[5;20r\x1b[?6h\x1b[2;4H\x1b[6n"),
        "\x1b[2;4R"
    );
    assert_eq!(
        replies(
            80,
            24,
            "\x1b[?15n\x1b[?25n\x1b[?26n\x1b[?55n\x1b[?56n\x1b[?62n\x1b[?63;7n\x1b[?75n\x1b[?85n"
        ),
        "\x1b[?13n\x1b[?21n\x1b[?27;1n\x1b[?53n\x1b[?57;0n\x1b[0000*{\x1bP7!~0000\x1b\\\x1b[?70n\x1b[?83n"
    );
    assert_eq!(replies(80, 24, "\x1b[?5n\x1b[99n\x1b[?99n"), "");
}

#[test]
fn every_mode_reports_its_state() {
    let modes = "1;2;3;4;5;6;7;8;9;12;25;40;45;47;66;67;69;95;1000;1001;1002;1003;1004;1005;1006;\
                 1015;1016;1047;1049;2004;2026;2027;7777";
    let ask = |on: &str| {
        let mut input = on.to_owned();
        for m in modes.split(';') {
            input.push_str(&format!("\x1b[?{m}$p"));
        }
        replies(80, 24, &input)
    };
    let expect = |values: &[(u16, u8)]| {
        values
            .iter()
            .map(|(m, v)| format!("\x1b[?{m};{v}$y"))
            .collect::<String>()
    };
    // Defaults.
    assert_eq!(
        ask(""),
        expect(&[
            (1, 2),
            (2, 3),
            (3, 2),
            (4, 4),
            (5, 4),
            (6, 2),
            (7, 1),
            (8, 3),
            (9, 2),
            (12, 2),
            (25, 1),
            (40, 2),
            (45, 2),
            (47, 2),
            (66, 2),
            (67, 4),
            (69, 2),
            (95, 2),
            (1000, 2),
            (1001, 4),
            (1002, 2),
            (1003, 2),
            (1004, 2),
            (1005, 2),
            (1006, 2),
            (1015, 2),
            (1016, 4),
            (1047, 2),
            (1049, 2),
            (2004, 2),
            (2026, 2),
            (2027, 1),
            (7777, 0),
        ])
    );
    // Each settable mode, set (and 7 and 25 and 2027, reset).
    let on =
        "\x1b[?1;6;9;12;45;66;69;1004;2004;2026h\x1b[?7;25;2027l\x1b[?1049h\x1b[?1002h\x1b[?1006h";
    let got = ask(on);
    for (m, v) in [
        (1, 1),
        (6, 1),
        (7, 2),
        (9, 2),
        (12, 1),
        (25, 2),
        (45, 1),
        (47, 1),
        (66, 1),
        (69, 1),
        (1002, 1),
        (1004, 1),
        (1006, 1),
        (1049, 1),
        (2004, 1),
        (2026, 1),
        (2027, 2),
    ] {
        let want = format!("\x1b[?{m};{v}$y");
        assert!(got.contains(&want), "{want:?} not in {got:?}");
    }
    // ESC = sets the keypad mode that mode 66 reports.
    assert_eq!(replies(80, 24, "\x1b=\x1b[?66$p"), "\x1b[?66;1$y");
}

#[test]
fn ansi_modes_report_their_state() {
    assert_eq!(
        replies(80, 24, "\x1b[2$p\x1b[4$p\x1b[12$p\x1b[20$p\x1b[3$p\x1b[5$p"),
        "\x1b[2;4$y\x1b[4;2$y\x1b[12;3$y\x1b[20;2$y\x1b[3;4$y\x1b[5;0$y"
    );
    assert_eq!(
        replies(80, 24, "\x1b[4;20h\x1b[4$p\x1b[20$p"),
        "\x1b[4;1$y\x1b[20;1$y"
    );
}

#[test]
fn settings_are_reported_as_the_controls_that_set_them() {
    let ask =
        |input: &str, request: &str| replies(80, 24, &format!("{input}\x1bP$q{request}\x1b\\"));
    assert_eq!(ask("", "m"), "\x1bP1$r0m\x1b\\");
    assert_eq!(
        ask("\x1b[1;4:3;31;48;2;1;2;3m", "m"),
        "\x1bP1$r0;1;4:3;31;48;2;1;2;3m\x1b\\"
    );
    assert_eq!(ask("", "r"), "\x1bP1$r1;24r\x1b\\");
    assert_eq!(ask("\x1b[5;20r", "r"), "\x1bP1$r5;20r\x1b\\");
    assert_eq!(ask("", "s"), "\x1bP1$r1;80s\x1b\\");
    assert_eq!(ask("\x1b[?69h\x1b[5;40s", "s"), "\x1bP1$r5;40s\x1b\\");
    assert_eq!(ask("", " q"), "\x1bP1$r0 q\x1b\\");
    assert_eq!(ask("\x1b[3 q", " q"), "\x1bP1$r3 q\x1b\\");
    assert_eq!(ask("\x1b[6 q", " q"), "\x1bP1$r6 q\x1b\\");
    assert_eq!(ask("", "\"q"), "\x1bP1$r0\"q\x1b\\");
    assert_eq!(ask("", "\"p"), "\x1bP1$r62;1\"p\x1b\\");
    assert_eq!(ask("", "t"), "\x1bP1$r24t\x1b\\");
    assert_eq!(ask("", "$|"), "\x1bP1$r80$|\x1b\\");
    assert_eq!(ask("", "*|"), "\x1bP1$r24*|\x1b\\");
    assert_eq!(ask("", "*x"), "\x1bP1$r1*x\x1b\\");
    assert_eq!(ask("\x1b[2*x", "*x"), "\x1bP1$r2*x\x1b\\");
    assert_eq!(ask("\x1b[1\"q", "\"q"), "\x1bP1$r1\"q\x1b\\");
    // Unknown, empty, or too long: invalid, and nothing else happens.
    assert_eq!(ask("", "x"), "\x1bP0$r\x1b\\");
    assert_eq!(ask("", ""), "\x1bP0$r\x1b\\");
    assert_eq!(ask("", &"m".repeat(1000)), "\x1bP0$r\x1b\\");
    // With BEL-free 8-bit ST too, and another DCS is no request.
    assert_eq!(
        replies(80, 24, "\x1bP$qr\x1b\\\x1bP+q544e\x1b\\"),
        "\x1bP1$r1;24r\x1b\\"
    );
}

#[test]
fn window_reports_and_the_title_stack() {
    assert_eq!(
        replies(
            100,
            30,
            "\x1b[18t\x1b[19t\x1b[11t\x1b[13t\x1b[14t\x1b[15t\x1b[16t"
        ),
        "\x1b[8;30;100t\x1b[9;30;100t\x1b[1t\x1b[3;0;0t\x1b[4;0;0t\x1b[5;0;0t\x1b[6;0;0t"
    );
    // The title is never typed back.
    assert_eq!(
        replies(80, 24, "\x1b]2;rm -rf ~\x07\x1b[20t\x1b[21t"),
        "\x1b]L\x1b\\\x1b]l\x1b\\"
    );
    let mut t = Term::new(80, 24, TermConfig::default());
    t.feed(b"\x1b]2;one\x07\x1b[22;0t\x1b]2;two\x07\x1b[22t\x1b]2;three\x07");
    let set_at = t.title_seq();
    t.commit();
    t.feed(b"\x1b[23;0t");
    assert_eq!(t.title(), "two");
    assert!(t.title_seq() > set_at, "a title popped is set now");
    t.feed(b"\x1b[23t");
    assert_eq!(t.title(), "one");
    t.feed(b"\x1b[22t\x1b]2;other\x07\x1b[22;1t\x1b[23t");
    assert_eq!(t.title(), "one", "22;1 saved the icon title, not this one");
    t.feed(b"\x1b]2;x\x07\x1b[22t\x1b]2;y\x07\x1b[23;1t");
    assert_eq!(t.title(), "y", "23;1 restores the icon title");
    t.feed(b"\x1b[23t\x1b[23t");
    assert_eq!(t.title(), "x", "an empty stack changes nothing");
    for i in 0..100 {
        t.feed(format!("\x1b]2;{i}\x07\x1b[22t").as_bytes());
    }
    assert!(t.state.title_stack.len() <= 10);
}

#[test]
fn colours_answer_what_the_program_set() {
    // Defaults: xterm's palette, white on black.
    assert_eq!(
        replies(80, 24, "\x1b]4;1;?\x07\x1b]4;255;?\x1b\\"),
        "\x1b]4;1;rgb:cdcd/0000/0000\x07\x1b]4;255;rgb:eeee/eeee/eeee\x1b\\"
    );
    assert_eq!(
        replies(
            80,
            24,
            "\x1b]10;?\x07\x1b]11;?\x07\x1b]12;?\x07\x1b]17;?\x07\x1b]19;?\x07"
        ),
        "\x1b]10;rgb:ffff/ffff/ffff\x07\x1b]11;rgb:0000/0000/0000\x07\
         \x1b]12;rgb:ffff/ffff/ffff\x07\x1b]17;rgb:ffff/ffff/ffff\x07\
         \x1b]19;rgb:0000/0000/0000\x07"
    );
    // Set, then asked: the program's own colour, at 8 bits a channel as
    // xterm keeps it (checked against xterm in tests/xterm_diff.rs).
    let mut t = Term::new(80, 24, TermConfig::default());
    t.feed(b"\x1b]11;rgb:1234/5678/9abc\x1b\\\x1b]11;?\x1b\\");
    assert_eq!(t.take_replies(), b"\x1b]11;rgb:1212/5656/9a9a\x1b\\");
    // Several at once: OSC 10 goes on to 11, 12; OSC 4 takes pairs.
    t.feed(b"\x1b]10;#ff0000;?;?\x07\x1b]4;1;#00ff00;2;?;1;?\x07\x1b]5;0;#abc;0;?\x07");
    assert_eq!(
        String::from_utf8(t.take_replies()).unwrap(),
        "\x1b]11;rgb:1212/5656/9a9a\x07\x1b]12;rgb:ffff/ffff/ffff\x07\
         \x1b]4;2;rgb:0000/cdcd/0000\x07\x1b]4;1;rgb:0000/ffff/0000\x07\
         \x1b]5;0;rgb:a0a0/b0b0/c0c0\x07"
    );
    t.feed(b"\x1b]10;?\x07");
    assert_eq!(t.take_replies(), b"\x1b]10;rgb:ffff/0000/0000\x07");
    // Resets: one colour, a list, all.
    t.feed(b"\x1b]4;3;#123;4;#456\x07\x1b]104;1;3\x07\x1b]4;1;?;3;?;4;?\x07");
    assert_eq!(
        String::from_utf8(t.take_replies()).unwrap(),
        "\x1b]4;1;rgb:cdcd/0000/0000\x07\x1b]4;3;rgb:cdcd/cdcd/0000\x07\
         \x1b]4;4;rgb:4040/5050/6060\x07"
    );
    t.feed(b"\x1b]104\x07\x1b]4;4;?\x07\x1b]111\x07\x1b]11;?\x07\x1b]105\x07\x1b]5;0;?\x07");
    assert_eq!(
        String::from_utf8(t.take_replies()).unwrap(),
        "\x1b]4;4;rgb:0000/0000/eeee\x07\x1b]11;rgb:0000/0000/0000\x07\
         \x1b]5;0;rgb:ffff/ffff/ffff\x07"
    );
    // A full reset forgets them all.
    t.feed(b"\x1bc\x1b]10;?\x07");
    assert_eq!(t.take_replies(), b"\x1b]10;rgb:ffff/ffff/ffff\x07");
}

#[test]
fn bad_colour_requests_change_nothing_and_answer_nothing() {
    let mut t = Term::new(80, 24, TermConfig::default());
    t.feed(b"\x1b]4;300;#fff\x07\x1b]4;x;?\x07\x1b]4;1\x07\x1b]4;1;red\x07\x1b]5;9;?\x07");
    t.feed(b"\x1b]10;nonsense\x07\x1b]19;?;?\x07\x1b]104;999\x07\x1b]4;1;?\x07");
    assert_eq!(
        String::from_utf8(t.take_replies()).unwrap(),
        "\x1b]19;rgb:0000/0000/0000\x07\x1b]4;1;rgb:cdcd/0000/0000\x07"
    );
}

#[test]
fn colours_answer_the_viewers_terminal_where_the_program_set_none() {
    let mut t = Term::new(80, 24, TermConfig::default());
    t.set_terminal_look(TerminalLook {
        foreground: Some(Rgb(0x1111, 0x2222, 0x3333)),
        background: Some(Rgb(0xfafa, 0xfbfb, 0xfcfc)),
        cursor: None,
        palette: vec![(1, Rgb(0xaaaa, 0, 0))],
        cell_pixels: (0, 0),
    });
    t.feed(b"\x1b]10;?\x07\x1b]11;?\x07\x1b]12;?\x07\x1b]19;?\x07\x1b]4;1;?;2;?\x07");
    assert_eq!(
        String::from_utf8(t.take_replies()).unwrap(),
        "\x1b]10;rgb:1111/2222/3333\x07\x1b]11;rgb:fafa/fbfb/fcfc\x07\
         \x1b]12;rgb:1111/2222/3333\x07\x1b]19;rgb:fafa/fbfb/fcfc\x07\
         \x1b]4;1;rgb:aaaa/0000/0000\x07\x1b]4;2;rgb:0000/cdcd/0000\x07"
    );
    // The program's own colour wins; reset, the viewer's is back.
    t.feed(b"\x1b]11;#000\x07\x1b]11;?\x07\x1b]111\x07\x1b]11;?\x07");
    assert_eq!(
        String::from_utf8(t.take_replies()).unwrap(),
        "\x1b]11;rgb:0000/0000/0000\x07\x1b]11;rgb:fafa/fbfb/fcfc\x07"
    );
    // A full reset forgets the program's colours, not the viewer's.
    t.feed(b"\x1b]10;#fff\x07\x1bc\x1b]10;?\x07");
    assert_eq!(t.take_replies(), b"\x1b]10;rgb:1111/2222/3333\x07");
}

#[test]
fn pixel_sizes_come_from_the_viewers_terminal() {
    let mut t = Term::new(100, 30, TermConfig::default());
    t.set_terminal_look(TerminalLook {
        cell_pixels: (9, 18),
        ..TerminalLook::default()
    });
    t.feed(b"\x1b[14t\x1b[15t\x1b[16t");
    assert_eq!(
        String::from_utf8(t.take_replies()).unwrap(),
        "\x1b[4;540;900t\x1b[5;540;900t\x1b[6;18;9t"
    );
}

/// DECRQCRA's answer for `rect` (`Pt;Pl;Pb;Pr`) after `input`, on a 10×5 screen.
fn checksum(input: &str, rect: &str) -> String {
    replies(10, 5, &format!("{input}\x1b[7;1;{rect}*y"))
}

#[test]
fn rectangle_checksums() {
    // Values checked against xterm 379 (tests/xterm_diff.rs). Blank cells
    // with nothing after them count nothing.
    assert_eq!(checksum("", "1;1;2;2"), "\x1bP7!~0000\x1b\\");
    // 'A' (0x41) + 'B' (0x42); a blank before a character counts.
    assert_eq!(checksum("AB", "1;1;2;2"), "\x1bP7!~FF7D\x1b\\");
    assert_eq!(checksum(" x", "1;1;1;5"), "\x1bP7!~FF68\x1b\\");
    // Bold and underline add their weights (so a blank with them counts);
    // colours do not count.
    assert_eq!(checksum("\x1b[1;4;31mA", "1;1;1;1"), "\x1bP7!~FF2F\x1b\\");
    assert_eq!(checksum("\x1b[4m  ", "1;1;1;5"), "\x1bP7!~FFA0\x1b\\");
    // Characters count their low 8 bits; a wide character's second column
    // is 0xff; marks count nothing; a concealed character is a blank.
    assert_eq!(checksum("日", "1;1;1;2"), "\x1bP7!~FE1C\x1b\\");
    assert_eq!(checksum("e\u{301}x", "1;1;1;5"), "\x1bP7!~FF23\x1b\\");
    assert_eq!(
        checksum("a\x1b[8mb\x1b[0mc", "1;1;1;5"),
        format!("\x1bP7!~{:04X}\x1b\\", 0x10000 - 0x61 - 0x20 - 0x63)
    );
    // Defaults: the whole screen (the four blanks before `Z` count); off
    // the screen: cut to it.
    assert_eq!(
        replies(10, 5, "\x1b[5;5HZ\x1b[1*y"),
        format!("\x1bP1!~{:04X}\x1b\\", 0x10000 - 0x5a - 4 * 0x20)
    );
    assert_eq!(checksum("", "4;9;99;99"), checksum("", "4;9;5;10"));
    // Empty (top below bottom): nothing summed.
    assert_eq!(checksum("X", "3;1;2;10"), "\x1bP7!~0000\x1b\\");
    // Origin mode: rows from the region's top, not past its bottom.
    assert_eq!(
        checksum("\x1b[3;4H\x1b[2;3r\x1b[?6hX", "1;1;1;1"),
        format!("\x1bP7!~{:04X}\x1b\\", 0x10000 - 0x58)
    );
    assert_eq!(
        checksum("\x1b[2;1HX\x1b[3;1HX\x1b[4;1HY\x1b[2;3r\x1b[?6h", "1;1;9;1"),
        "\x1bP7!~FF50\x1b\\"
    );
}

#[test]
fn answers_go_with_8_bit_controls_after_s8c1t() {
    // As xterm sends them (checked in tests/xterm_diff.rs): raw C1 bytes.
    let mut t = Term::new(80, 24, TermConfig::default());
    t.feed(b"\x1b G\x1b[6n\x1bP$qm\x1b\\\x1b]10;?\x1b\\");
    assert_eq!(
        t.take_replies(),
        b"\x9b1;1R\x901$r0m\x9c\x9d10;rgb:ffff/ffff/ffff\x9c"
    );
    // S7C1T and RIS go back to 7 bits.
    t.feed(b"\x1b F\x1b[6n\x1b G\x1bc\x1b[6n");
    assert_eq!(t.take_replies(), b"\x1b[1;1R\x1b[1;1R");
}

#[test]
fn c1_controls_are_none_in_utf8() {
    // Written as UTF-8 (U+0084 IND, U+0085 NEL, U+009B CSI): dropped; a raw
    // C1 byte: an invalid byte, shown as U+FFFD (as xterm in UTF-8 mode).
    let mut t = Term::new(10, 3, TermConfig::default());
    t.feed("a\u{84}b\u{85}c\u{9b}2Jd".as_bytes());
    t.feed(b"\r\n\x9b1mx\x85");
    assert_eq!(t.capture(false, false), "abc2Jd\n\u{fffd}1mx\u{fffd}\n\n");
}

#[test]
fn conformance_level_says_which_controls() {
    let mut t = Term::new(80, 24, TermConfig::default());
    t.feed(b"\x1bP$q\"p\x1b\\\x1b G\x1bP$q\"p\x1b\\");
    assert_eq!(t.take_replies(), b"\x1bP1$r62;1\"p\x1b\\\x901$r62;0\"p\x9c");
}
