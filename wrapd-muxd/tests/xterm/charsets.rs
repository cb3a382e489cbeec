//! The corpus's character sets: every designation xterm knows (G0–G3, 94-
//! and 96-character sets, the national ones under DECNRCM and without it),
//! every locking and single shift, GR in UTF-8, and what DECSC/DECRC,
//! DECSTR and RIS do to them.
//!
//! A case that sets DECNRCM resets it before the screen is read back: xterm
//! leaves UTF-8 while it is set (it reads bytes as 8-bit characters then),
//! so its printout would not be UTF-8.

use super::cases::{Case, case};

/// Every printable ASCII character, the codes a set can replace.
const PRINTABLE: &str = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";

/// The same but `-`, which Latin-1's upper half makes a soft hyphen (xterm
/// and wrapd give U+00AD different widths: see xterm_diff.rs).
const NO_HYPHEN: &str = " !\"#$%&'()*+,./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";

/// The national sets, each by every final xterm takes for it.
const NATIONAL: &[(&str, &str)] = &[
    ("nrcs_dutch", "4"),
    ("nrcs_finnish", "5"),
    ("nrcs_finnish_c", "C"),
    ("nrcs_french", "R"),
    ("nrcs_french_f", "f"),
    ("nrcs_french_canadian", "Q"),
    ("nrcs_french_canadian_9", "9"),
    ("nrcs_german", "K"),
    ("nrcs_italian", "Y"),
    ("nrcs_norwegian_danish", "E"),
    ("nrcs_norwegian_danish_6", "6"),
    ("nrcs_norwegian_danish_backquote", "`"),
    ("nrcs_spanish", "Z"),
    ("nrcs_swedish", "7"),
    ("nrcs_swedish_h", "H"),
    ("nrcs_swiss", "="),
    ("nrcs_portuguese", "%6"),
    ("nrcs_british", "A"),
];

/// Designations xterm takes at a VT420's level but shows as ASCII: DEC's
/// alternate character ROM (standard and graphics), DEC Turkish, and the
/// Turkish, "SCS" and Hebrew national sets (a VT510's).
const SHOWN_AS_ASCII: &[&str] = &["1", "2", "%0", "%2", "%3", "%="];

/// Sets that need no DECNRCM, by their finals.
const OTHER_SETS: &[(&str, &str)] = &[
    ("charset_dec_supplemental", "<"),
    ("charset_dec_supplemental_graphic", "%5"),
    ("charset_dec_technical", ">"),
    ("charset_british_without_decnrcm", "A"),
];

pub fn cases() -> Vec<Case> {
    let mut cases = vec![
        case(
            "dec_special_graphics",
            "\x1b(0lqqk\r\nx  x\r\nmqqj\x1b(B ab\x1b)0\x0elqk\x0fab\x1b(0`~_afgy{|}\x1b(B",
        ),
        case(
            "charset_g0_to_g3_into_gl",
            "\x1b)0\x1b*0\x1b+0q\x0eq\x0fq\x1bnq\x1boq\x0fq\x0eq\x1bnq\x0fq",
        ),
        case("charset_single_shift_g2", "\x1b*0a\x1bNqb\x1b+0\x1bOqc"),
        case(
            "charset_single_shift_then_more",
            "\x1b*0\x1bN\x1bNqq\x1b+0\x1bO\x1bNqq\x1bO\x1b[?42$pq",
        ),
        case(
            "charset_single_shift_before_utf8",
            "\x1b*0\x1bN日q\x1bNé\x1bNe\u{301}q",
        ),
        case(
            "charset_single_shift_over_controls",
            "\x1b*0\x1bN\rq\x1bN\x1b[5Cq\x1bN\x1b[1mq\x1b[m\x1bN\x1b7q\x1b8q",
        ),
        case(
            "charset_single_shift_over_save_restore",
            "\x1b*0\x1bN\x1b7\x1b*B\x1b8qq\r\n\x1b*0\x1b7\x1bN\x1b8qq",
        ),
        case("charset_gr_default_in_utf8", "é×ñ\u{a0}÷ÿ\x1b)0\x1b+<é×ñ÷ÿ"),
        case(
            "charset_gr_in_utf8",
            "\x1b)0\x1b~é×ñ\x1b*>\x1b}é×ñ\x1b+<\x1b|é×ñ÷ÿ\x1b}é",
        ),
        case("charset_single_shift_gr", "\x1b*0\x1b)B\x1b~\x1bNñq"),
        case(
            "charset_96_sets",
            format!("\x1b-A\x0e{NO_HYPHEN}\x0f\r\n\x1b.A\x1bn{NO_HYPHEN}\x0f\r\n\x1b/A\x1bOa"),
        ),
        // Each after DEC graphics in G0 (or G1): does the set change?
        case(
            "charset_unknown_designations",
            [
                "%9", "W", "1", "2", "\"?", "\"4", "&4", "&5", "%0", "%2", "%3", "%=", "\">",
            ]
            .iter()
            .map(|f| format!("\x1b(0\x1b({f}q"))
            .chain(
                ["B", "F", "H", "L", "M", "Z"]
                    .iter()
                    .map(|f| format!("\x1b)0\x0e\x1b-{f}q\x0f")),
            )
            .collect::<String>(),
        ),
        case(
            "charset_national_ignored_without_decnrcm",
            "\x1b(K[\\]{|}~@\x1b(%6[\\]\x1b(B",
        )
        .asking(&["\x1b[?42$p"]),
        case(
            "charset_national_kept_after_decnrcm_off",
            "\x1b[?42h\x1b(K\x1b)4\x1b[?42l[\\]{|}~@\x0e[|\x0f",
        )
        .asking(&["\x1b[?42$p"]),
        case(
            "charset_save_restore",
            "\x1b)0\x0e\x1b*<\x1b+0\x1b7\x1b)B\x0f\x1b*B\x1b+B\x1b[3;1Hq\x1bN(\x1bOq\x1b8q\x1bN(\x1bOq\x1b[?1048h\x1b(0\x1b[?1048lq",
        ),
        case(
            "charset_save_restore_alternate_screen",
            "\x1b)0\x0e\x1b[?1049hq\x0f\x1b(0\x1b[?1049lq\x0fq",
        ),
        // These leave DECNRCM set: each gets an xterm of its own, and prints
        // ASCII only (see xterm_diff.rs).
        case(
            "charset_soft_reset",
            "\x1b[?42h\x1b(K\x1b)0\x0e\x1b*0\x1b+0\x1bN\x1b[!pq[\x1b7\x1b8q\x1b[?42$p\x1b(K[",
        ),
        case(
            "charset_full_reset",
            "\x1b[?42h\x1b(K\x1b)0\x0e\x1b*0\x1b+0\x1bN\x1bcq[\x1b[?42$p\x1b(K[",
        ),
        case("decnrcm_reported", "\x1b[?42h\x1b[?42$p"),
        // DECSCL soft-resets (xterm's level is put back to its own, a VT420's).
        case(
            "charset_decscl_soft_resets",
            "\x1b)0\x0e\x1b[4h\x1b[62;1\"pqq\x1b)0\x0e\x1b[64;1\"pqq",
        ),
        case("decscl_8bit_answers", "\x1b[62\"p\x1b[64;2\"p").asking(&["\x1b[6n"]),
        case("decscl_7bit_answers", "\x1b G\x1b[64;1\"p").asking(&["\x1b[6n"]),
        case(
            "charset_rect_fill",
            "\x1b(0\x1b[113;1;1;2;5$x\x1b(B\x1bN\x1b[113;3;1;3;5$x",
        ),
        case(
            "charset_repeat",
            "\x1b(0q\x1b[3b\x1b(B\r\n\x1b*0\x1bNq\x1b[3b",
        ),
        // 8-bit single shifts: UTF-8 encoded (dropped in UTF-8), and raw.
        // (G1, ASCII, in GR: see charset_gr_in_utf8.)
        case(
            "charset_c1_encoded_single_shifts",
            "\x1b~\x1b*0\x1b+0a\u{8e}qb\u{8f}qc",
        ),
        case(
            "charset_c1_raw_single_shifts",
            b"\x1b~\x1b*0\x1b+0a\x8eqb\x8fqc".as_slice(),
        ),
        case("soft_hyphen_width", "a\u{ad}b\u{ad}\r\n\x1b(Aa-b-\x1b(B"),
        case(
            "charset_others_show_ascii",
            SHOWN_AS_ASCII
                .iter()
                .map(|f| format!("\x1b(0\x1b({f}{NO_HYPHEN}\r\n"))
                .collect::<String>(),
        ),
        case(
            "charset_others_show_ascii_under_decnrcm",
            SHOWN_AS_ASCII
                .iter()
                .map(|f| format!("\x1b[?42h\x1b(0\x1b({f}{NO_HYPHEN}\x1b(B\x1b[?42l\r\n"))
                .collect::<String>(),
        ),
    ];
    for (name, last) in NATIONAL {
        let input = format!(
            "\x1b[?42h\x1b({last}{PRINTABLE}\r\n\x1b){last}\x0e#@[\\]^_`{{|}}~\x0f\x1b(B\x1b[?42l"
        );
        cases.push(case(name, input));
    }
    for (name, last) in OTHER_SETS {
        let input = format!("\x1b({last}{NO_HYPHEN}\r\n\x1b*{last}\x1bn{NO_HYPHEN}\x0f\x1b(B");
        cases.push(case(name, input));
    }
    cases
}
