//! The corpus: byte streams that exercise one feature each, at its edges.
//! Each runs on an 80×24 terminal just reset (RIS); then the screens are
//! compared, the cursor (CPR), and the answers to the case's queries.
//!
//! Conventions in the streams: `\x1b#8` (DECALN) fills the screen with `E`
//! first where what moved or was erased must show.

pub struct Case {
    pub name: &'static str,
    pub input: Vec<u8>,
    /// Asked after the screen is read back; each answer is compared.
    pub queries: &'static [&'static str],
}

pub fn case(name: &'static str, input: impl AsRef<[u8]>) -> Case {
    Case {
        name,
        input: input.as_ref().to_vec(),
        queries: &[],
    }
}

impl Case {
    pub fn asking(mut self, queries: &'static [&'static str]) -> Case {
        self.queries = queries;
        self
    }
}

/// Left/right margins 10..30 and top/bottom 5..15 over a screen of `E`.
const MARGINS: &str = "\x1b#8\x1b[?69h\x1b[10;30s\x1b[5;15r";

/// Modes whose state the reset cases ask for (DECRQM).
const MODES: &[&str] = &[
    "\x1b[4$p",
    "\x1b[20$p",
    "\x1b[?1$p",
    "\x1b[?6$p",
    "\x1b[?7$p",
    "\x1b[?25$p",
    "\x1b[?45$p",
    "\x1b[?66$p",
    "\x1b[?69$p",
    "\x1b[?1049$p",
    "\x1bP$qm\x1b\\",
    "\x1bP$qr\x1b\\",
    "\x1bP$qs\x1b\\",
    "\x1bP$q\"q\x1b\\",
];

pub fn cases() -> Vec<Case> {
    let long = "The quick brown fox jumps over the lazy dog; the dog sleeps on, \
                and the fox jumps again, higher, until the margins give out.";
    let full_row = "x".repeat(80);
    let mut cases = vec![
        // ----- printing and wrapping -----
        case(
            "print_wrap_last_column",
            "abc\x1b[1;78Hwxyz\x1b[3;80HQ\x1b[5;79H\x1b[?7lABCD\x1b[?7h\x1b[7;80H\x1b[?7lZ\x1b[?7hY",
        ),
        case("wrap_pending_then_cr_lf", format!("\x1b[2;1H{full_row}\r\nnext")),
        case("scroll_whole_screen", (1..=30).map(|i| format!("line {i}\r\n")).collect::<String>()),
        case("linefeed_newline_mode", "\x1b[20hab\ncd\x1b[20l\nef\x0bgh\x0cij"),
        case("insert_mode_pushes_off_the_edge", "\x1b[3;75H12345\x1b[4h\x1b[3;70Habc\x1b[4l\x1b[5;79Hxy"),
        case("repeat_character", "ab\x1b[3bc\x1b[2b\r\n日\x1b[2b\r\n\x1b[5b\x1b[10;78Hq\x1b[5b"),
        case("repeat_after_other_controls", "a\x1b[2b\x1b[2b\r\nb\x1b[m\x1b[2b\r\nc\x1b[C\x1b[2b\r\nd\x07\x1b[2b\r\ne\x1b[5;5H\x1b[2b"),
        case(
            "cursor_moves_clamp",
            "\x1b[5;5HA\x1b[10AB\x1b[30BC\x1b[100CD\x1b[200DE\x1b[3;3H\x1b[2EF\x1b[2FG\x1b[15dH\x1b[40`I\x1b[7GJ\x1b[4;9fK\x1b[0;0HL\x1b[99;99HM",
        ),
        case("controls_inside_sequences", "\x1b[2\x08;5HX\x1b[3;1\rHY\x1b[5;5Ha\x1b[3\x18b\x1b[4\x1ac\x1b[6;1Hd\x1b[\x07e"),
        case(
            "save_restore_cursor",
            "\x1b[5;10H\x1b[1;31m\x1b(0\x1b7\x1b[0m\x1b(B\x1b[HA\x1b8qB\x1b[3;20r\x1b[?6h\x1b[2;2H\x1b7\x1b[?6l\x1b[r\x1b[HC\x1b8D\x1b[s\x1b[20;1HE\x1b[uF",
        ),
        case("alternate_screen_1049", "primary text\x1b[?1049h\x1b[5;5Halt text\x1b[?1049lback"),
        case("alternate_screen_47", "p\x1b[?47hALT\x1b[?47lq\x1b[?1047hB\x1b[?1047lr"),
        case("screen_alignment_resets_region", "\x1b[5;10r\x1b[?6h\x1b#8\x1b[HX\x1b[30;1HY"),
        // ----- erasing -----
        case(
            "erase_in_line_and_display",
            "\x1b#8\x1b[3;10H\x1b[K\x1b[4;10H\x1b[1K\x1b[5;10H\x1b[2K\x1b[6;10H\x1b[5X\x1b[7;78H\x1b[9X\x1b[12;40H\x1b[1J\x1b[20;40H\x1b[J",
        ),
        case(
            "erase_with_background_colour",
            "\x1b#8\x1b[44m\x1b[3;10H\x1b[K\x1b[6;10H\x1b[5X\x1b[22;40H\x1b[J\x1b[0mplain",
        ),
        case("erase_display_3_and_scrollback", "one\r\ntwo\x1b[3Jthree\x1b[2Jfour"),
        // ----- left/right margins -----
        case("margins_print_and_wrap", format!("{MARGINS}\x1b[5;12H{long}")),
        case("margins_print_outside", format!("{MARGINS}\x1b[8;70Houtside the margins here")),
        case("margins_print_left_of_them", format!("{MARGINS}\x1b[8;3Habcdefghijklmnopqrstuvwxyz0123456789")),
        case(
            "margins_scroll_up_down",
            format!("{MARGINS}\x1b[15;12H\nA\n\nB\x1b[2SC\x1b[3TD\x1b[5;12H\x1bMR\x1bME\x1b[15;12H\x1bDF\x1bEG"),
        ),
        case(
            "margins_insert_delete_lines",
            format!("{MARGINS}\x1b[7;12H\x1b[2L\x1b[12;20H\x1b[3M\x1b[8;5H\x1b[L\x1b[9;40H\x1b[M\x1b[20;12H\x1b[L"),
        ),
        case(
            "margins_insert_delete_chars",
            format!("{MARGINS}\x1b[3;15H\x1b[3@\x1b[4;12H\x1b[5P\x1b[5;28H\x1b[6X\x1b[6;35H\x1b[4@\x1b[7;35H\x1b[2P\x1b[8;5H\x1b[3@\x1b[9;5H\x1b[3P"),
        ),
        case("margins_insert_mode", format!("{MARGINS}\x1b[4h\x1b[6;12Hinserted text here\x1b[7;25Hmore\x1b[4l")),
        case(
            "margins_erase",
            format!("{MARGINS}\x1b[3;20H\x1b[K\x1b[4;20H\x1b[1K\x1b[6;20H\x1b[2K\x1b[16;20H\x1b[J\x1b[2;20H\x1b[1J"),
        ),
        case(
            "margins_origin_mode",
            format!("{MARGINS}\x1b[?6h\x1b[HA\x1b[3;5HB\x1b[99;99HC\x1b[2;30HD"),
        )
        .asking(&["\x1bP$qr\x1b\\", "\x1bP$qs\x1b\\"]),
        case("margins_origin_mode_off_again", format!("{MARGINS}\x1b[?6h\x1b[3;3HX\x1b[?6lY\x1b[HZ")),
        case(
            "margins_cursor_limits",
            format!(
                "{MARGINS}\x1b[8;12H\x1b[40C1\x1b[50D2\x1b[30A3\x1b[30B4\x1b[9;40H\x1b[20D5\x1b[10;5H\x1b[30C6\x1b[11;20H\r7\x1b[12;5H\r8\x1b[3;20H\x1b[5B9"
            ),
        ),
        case(
            "margins_tabs",
            "\x1b[?69h\x1b[10;30s\x1b[3;12H\tA\t\tB\x1b[5I C\x1b[4;28H\x1b[2ZD\x1b[5;35H\x1b[9ZE\x1b[6;2H\x1b[3IF",
        ),
        case("margins_reset_by_mode_off", format!("{MARGINS}\x1b[?69l\x1b[10;75H{long}")),
        case("margins_ignored_without_mode", "\x1b[10;30s\x1b[3;28Habcdefghij\x1b[uX"),
        case(
            "margins_invalid",
            "\x1b[?69h\x1b[30;10s\x1b[3;70Habc\x1b[20;20s\x1b[4;70Hdef\x1b[5;100s\x1b[5;70Hghijklmnopqrst",
        )
        .asking(&["\x1bP$qs\x1b\\"]),
        case(
            "wide_at_the_right_margin",
            "\x1b[?69h\x1b[10;30s\x1b[3;29H日本語\x1b[4;30H漢\x1b[5;28Hab字",
        ),
        // ----- DECIC / DECDC -----
        case(
            "insert_delete_columns",
            format!("{MARGINS}\x1b[8;12H\x1b[2'}}\x1b[8;25H\x1b[3'~\x1b[8;50H\x1b['}}\x1b[20;12H\x1b['~"),
        ),
        case("insert_delete_columns_no_margins", "\x1b#8\x1b[3;10H\x1b[5'}\x1b[3;70H\x1b[20'~\x1b[1;1H\x1b['}"),
        // ----- rectangles -----
        case(
            "rect_fill_and_erase",
            "\x1b#8\x1b[42;3;5;8;20$x\x1b[4;7;6;12$z\x1b[1;31m\x1b[120;10;30;12;40$x\x1b[0m\x1b[20;70;30;99$z\x1b[0;1;1;1;1$x",
        ),
        case(
            "rect_beyond_the_screen",
            "\x1b#8\x1b[77;18;81;18;81$x\x1b[66;2;75;3;100$x\x1b[67;22;5;30;6$x\x1b[68;25;1;25;5$x\x1b[69;0;0;1;2$x",
        ),
        case(
            "rect_copy",
            "line one text\r\nsecond line!\r\nthird\x1b[1;1;3;10;1;10;30;1$v\x1b[1;5;2;12;1;2;3;1$v\x1b[10;30;12;45;1;23;75;1$v",
        ),
        case(
            "rect_change_attributes",
            "\x1b#8\x1b[2;5;6;30;1;4$r\x1b[3;10;4;20;7$t\x1b[2*x\x1b[8;70;9;10;1;5$r\x1b[*x\x1b[12;70;13;10;7$r\x1b[16;1;16;10;1;0;4$r",
        ),
        case(
            "rect_with_origin_mode",
            format!("{MARGINS}\x1b[?6h\x1b[35;1;1;3;5$x\x1b[2;2;20;40$z\x1b[?6l"),
        ),
        case(
            "selective_erase_rectangle",
            "\x1b[1\"qPROT\x1b[0\"q free \x1b[1\"qP2\x1b[0\"q end\r\n\x1b[1\"qmore\x1b[0\"q tail\x1b[1;1;2;80${\x1b[3;1Hkeep\x1b[1;1;3;80$z",
        ),
        case(
            "selective_erase_line_and_display",
            "\x1b[1\"qAAA\x1b[0\"qbbb\x1b[1\"qCCC\x1b[0\"qddd\r\n\x1b[1\"qEEE\x1b[0\"qfff\r\nggg\x1b[1\"qHHH\x1b[2\"q\r\niii\x1b[1;5H\x1b[?K\x1b[2;1H\x1b[?2K\x1b[3;2H\x1b[?1J\x1b[4;1H\x1b[?J\x1b[1;1H\x1b[J",
        ),
        case(
            "guarded_area_protects_from_erase",
            "ab\x1bVPROT\x1bWcd\r\n\x1bVxy\x1bWz\x1b[1;1H\x1b[K\x1b[2;1H\x1b[2K\x1b[1;3H\x1b[3X\x1b[3;1H\x1bVq\x1bWr\x1b[3;1H\x1b[?K",
        )
        .asking(&["\x1bP$q\"q\x1b\\"]),
        // ----- wrapping backwards -----
        case("backspace_after_wrap_pending", format!("\x1b[2;1H{full_row}\x08B\x1b[4;1H{full_row}\x08\x08C")),
        case(
            "reverse_wrap",
            format!("\x1b[?45h\x1b[3;1H{full_row}yz\x08\x08\x08\x08Q\x1b[6;1H\x08R\x1b[?45l"),
        ),
        case("reverse_wrap_from_home", "\x1b[?45hA\x1b[H\x08\x08B\x1b[?45l"),
        case(
            "reverse_wrap_not_wrapped_line",
            "\x1b[?45h\x1b[3;1Hshort\x1b[4;1H\x08\x08X\x1b[?45l",
        ),
        case("backspace_at_left_margin", "\x1b[?69h\x1b[10;30s\x1b[3;10H\x08A\x1b[4;5H\x08B\x1b[5;1H\x08C"),
        // ----- tab stops -----
        case(
            "tabs_at_the_edges",
            "\x1b[1;75H\tA\tB\x1b[2;1H\x1b[3g\x1b[2;10H\x1bH\x1b[2;80H\x1bH\x1b[3;1H\tC\tD\x1b[4;80H\x1b[2ZE\x1b[5;5H\x1b[9ZF\x1b[6;1H\x1b[99IG",
        ),
        case("tabs_clear_one", "\x1b[1;9H\x1b[g\x1b[1;1H\tA\x1b[1;17H\x1b[0g\x1b[2;1H\t\tB"),
        case("tab_with_wrap_pending", format!("{full_row}\tX")),
        case("back_tab_with_wrap_pending", format!("{full_row}\x1b[ZX\r\n{full_row}\x1b[2DY")),
        case("tabs_back_from_the_start", "\x1b[3;1H\x1b[ZA\x1b[4;9H\x1b[ZB\x1b[5;8H\x1b[ZC"),
        // ----- resets -----
        case(
            "soft_reset",
            "\x1b[4h\x1b[?6h\x1b[5;10r\x1b[?7l\x1b[1;4m\x1b(0\x1b[1\"q\x1b[?69h\x1b[3;40s\x1b[?45h\x1b[?1h\x1b=\x1b[?25l\x1b7\x1b[!p\x1b[2;70Hqqqq wrap after a soft reset...\x1b8Z",
        )
        .asking(MODES),
        case(
            "full_reset",
            "\x1b[4h\x1b[?6h\x1b[5;10r\x1b[?7l\x1b[1;4m\x1b(0\x1b[?69h\x1b[3;40s\x1b[?1049h\x1b[3g\x1bc\x1b[2;70Hqqqq wrap after a full reset\tX",
        )
        .asking(MODES),
        // ----- wide and combining characters -----
        case("wide_at_last_column", "\x1b[1;80H日本\x1b[3;79H語x\x1b[5;1H漢字テスト"),
        case(
            "wide_at_the_edge_without_autowrap",
            "\x1b[?7l\x1b[1;79H日\x1b[2;80H日\x1b[3;80Hx日\x1b[4;76Habcdefgh日本語\x1b[5;70Hx日yx日yx日y",
        ),
        case(
            "wide_in_insert_mode_at_the_edge",
            "\x1b[4h\x1b[1;1Habcdef\x1b[1;78H日y\x1b[2;70Hx日yx日yx日y\x1b[?7l\x1b[3;70Hx日yx日yx日y\x1b[4;77H\x1b[1m\x1b7x日yx日y",
        ),
        case(
            "wide_overwritten_by_halves",
            "\x1b[1;1H日本語\x1b[1;2Ha\x1b[2;1H日本語\x1b[2;3Hb\x1b[3;1H日本語\x1b[3;2H\x1b[P\x1b[4;1H日本語\x1b[4;2H\x1b[@\x1b[5;1H日本語\x1b[5;4H\x1b[X\x1b[6;1H日本語\x1b[6;3H\x1b[K",
        ),
        case(
            "combining_marks",
            "e\u{301}a\u{308}\u{323} 日\u{301}x\r\n\u{301}start\x1b[3;80He\u{301}\x1b[5;80Hx\x1b[?7l\u{302}\x1b[?7h\x1b[7;1Hq\x1b[C\u{300}",
        ),
        case(
            "clusters_with_mode_2027_off",
            "\x1b[?2027l👩\u{200d}💻|🏳\u{fe0f}\u{200d}🌈|❤\u{fe0f}|🇫🇷|🇫|x\u{fe0e}|👍🏽|",
        ),
        case("emoji_and_symbol_widths", "\x1b[?2027l😀|✅|⚡|☺|⌚|©|™|↔|★|🀄|"),
        case("east_asian_ambiguous", "αβγ|①②|─│|“”|°±|Ω"),
        // ----- scrolling regions -----
        case(
            "region_linefeed_and_reverse_index",
            "\x1b#8\x1b[5;10r\x1b[10;1H\nA\nB\x1b[5;1H\x1bMC\x1bMD\x1b[2;1H\x1bME\x1b[20;1H\n\n\n\n\n\nF",
        ),
        case("scroll_down_zero", "first\x1b[0T\x1b[5;1Hfifth"),
        case("region_scroll_up_down", "\x1b#8\x1b[5;10r\x1b[20;1H\x1b[2S\x1b[3T\x1b[1;1H\x1b[L\x1b[12;1H\x1b[M"),
        case("region_invalid_and_reset", "\x1b[5;5r\x1b[10;3r\x1b[3;5HX\x1b[0;0rY\x1b[30;40rZ").asking(&["\x1bP$qr\x1b\\"]),
        case("region_next_line_and_index", "\x1b#8\x1b[5;10r\x1b[10;5H\x1bEa\x1bDb\x1b[24;5H\x1bEc\x1bDd"),
        // ----- DECCOLM -----
        case("column_mode_not_allowed", "text\x1b[?3hmore").asking(&["\x1b[?3$p", "\x1b[?40$p"]),
        case(
            "column_mode_allowed_clears",
            "\x1b[?40htext\x1b[5;10r\x1b[?69h\x1b[5;9s\x1b[?3hafter\x1b[?3lback",
        )
        .asking(&["\x1b[?3$p", "\x1bP$qr\x1b\\", "\x1bP$qs\x1b\\", "\x1b[18t"]),
        case("column_mode_keeps_screen", "\x1b[?40h\x1b[?95htext here\x1b[?3h\x1b[?3lY").asking(&["\x1b[18t"]),
        // ----- attributes -----
        case(
            "sgr_attributes_and_colours",
            "\x1b[1mB\x1b[2mD\x1b[0;3mI\x1b[0;4mU\x1b[5mK\x1b[0;7mR\x1b[0;8mH\x1b[0;9mS\x1b[0;21mW\x1b[0m\r\n\x1b[31ma\x1b[91mb\x1b[38;5;196mc\x1b[38;2;10;20;30md\x1b[38:2::1:2:3me\x1b[42mf\x1b[102mg\x1b[48;5;20mh\x1b[48;2;1;2;3mi\x1b[39;49mj\x1b[1;22mk\x1b[4;24ml\x1b[7;27mm\x1b[0m\r\n\x1b[1;2;3;4;5;7;9mall\x1b[22;23;24;25;27;29mnone\x1b[0m",
        ),
    ];
    // 8-bit controls: UTF-8 encoded (U+0080..U+009F), raw (xterm takes a raw
    // C1 byte for a control when printable ASCII follows it), and the
    // answers after S8C1T.
    cases.extend([
        case(
            "c1_encoded_controls",
            "ab\u{84}c\u{85}d\u{8d}e\u{88}\r\n\r\n\tX",
        ),
        case("c1_encoded_csi", "\u{9b}5;5HX\u{9b}1mB\u{9b}0mC"),
        case(
            "c1_encoded_strings",
            "\u{9d}0;title\u{9c}after\u{90}$qm\u{9c}",
        ),
        case("c1_raw_csi", b"\x9b5;5HX\x9b1mB\x9b0m".as_slice()),
        case("c1_raw_alone", b"a\x9b\x07b\x85".as_slice()),
        case("c1_answers_8bit", "\x1b G").asking(&["\x1b[6n", "\x1bP$qm\x1b\\", "\x1b]10;?\x1b\\"]),
        case("c1_answers_7bit_again", "\x1b G\x1b F").asking(&["\x1b[6n"]),
    ]);
    // Character sets (xterm/charsets.rs).
    cases.extend(super::charsets::cases());
    // Which operations on a soft-wrapped row (the first, 81 characters
    // long) leave it wrapped.
    for (name, op) in WRAP_FLAG_OPERATIONS {
        let input = format!("{full_row}y\x1b[1;10H{op}");
        cases.push(case(name, input));
    }
    cases
}

const WRAP_FLAG_OPERATIONS: &[(&str, &str)] = &[
    ("wrap_flag_after_erase_right", "\x1b[K"),
    ("wrap_flag_after_erase_left", "\x1b[1K"),
    ("wrap_flag_after_erase_line", "\x1b[2K"),
    ("wrap_flag_after_erase_below", "\x1b[J"),
    ("wrap_flag_after_erase_above", "\x1b[1J"),
    ("wrap_flag_after_erase_chars", "\x1b[3X"),
    ("wrap_flag_after_erase_last_char", "\x1b[1;80H\x1b[X"),
    ("wrap_flag_after_delete_chars", "\x1b[3P"),
    ("wrap_flag_after_insert_chars", "\x1b[3@"),
    ("wrap_flag_after_selective_erase", "\x1b[?K"),
    ("wrap_flag_after_rect_erase", "\x1b[1;1;1;5$z"),
    ("wrap_flag_after_rect_fill", "\x1b[65;1;1;1;5$x"),
    ("wrap_flag_after_insert_columns", "\x1b['}"),
    ("wrap_flag_after_delete_columns", "\x1b['~"),
    ("wrap_flag_after_alignment", "\x1b#8"),
    ("wrap_flag_after_printing_over", "\x1b[1;1Hoverwrite"),
    ("wrap_flag_after_insert_line", "\x1b[L"),
    ("wrap_flag_after_scroll_down", "\x1b[T"),
    (
        "wrap_flag_after_save_restore",
        "\x1b[2;80Hz\x1b7\x1b[5;5H\x1b8W",
    ),
];
