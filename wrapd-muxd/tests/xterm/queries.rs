//! The reports programs ask for, asked of xterm and of the model: where
//! they should agree, byte for byte; where wrapd differs on purpose, the
//! reason (and both must answer, so no program waits).

pub enum Expect {
    Agree,
    Differs(&'static str),
}

pub struct Query {
    /// What runs first, on a terminal just reset (RIS).
    pub setup: &'static str,
    pub ask: &'static str,
    pub expect: Expect,
}

const fn agree(setup: &'static str, ask: &'static str) -> Query {
    Query {
        setup,
        ask,
        expect: Expect::Agree,
    }
}

const fn differs(setup: &'static str, ask: &'static str, why: &'static str) -> Query {
    Query {
        setup,
        ask,
        expect: Expect::Differs(why),
    }
}

/// DECRQCRA: xterm counts the blanks that were written (spaces, erased
/// cells before the row's end), not those never written; wrapd does not
/// know which is which and counts the blanks with something after them.
const BLANKS_WRITTEN: &str = "DECRQCRA: xterm counts blanks by whether they were written";

/// XTWINOPS 20/21: xterm reports the title only when window operations are
/// allowed (as here), else not at all, and the program waits; wrapd reports
/// it empty (a title typed back into a shell is a known attack).
const TITLE: &str = "titles are reported empty";

pub const QUERIES: &[Query] = &[
    // ----- identity -----
    differs(
        "",
        "\x1b[c",
        "DA1: wrapd claims the level and extensions it implements",
    ),
    differs("", "\x1b[>c", "DA2: xterm answers its own patch level"),
    agree("", "\x1b[=c"),
    differs("", "\x1b[>q", "XTVERSION: the name and version are wrapd's"),
    // ----- status reports -----
    agree("", "\x1b[5n"),
    agree("\x1b[5;10H", "\x1b[6n"),
    differs(
        "\x1b[5;10H",
        "\x1b[?6n",
        "DECXCPR: the VT220's answer (wrapd's level, and xterm's as a VT220); xterm adds the page \
         as a VT420",
    ),
    agree("\x1b[3;20r\x1b[?6h\x1b[2;7H", "\x1b[6n"),
    agree("", "\x1b[?15n"),
    differs(
        "",
        "\x1b[?25n",
        "UDK: wrapd has no user-defined keys, so they are locked",
    ),
    differs(
        "",
        "\x1b[?26n",
        "keyboard: the VT220's answer (wrapd's level), xterm's is the VT420's",
    ),
    agree("", "\x1b[?55n"),
    agree("", "\x1b[?56n"),
    agree("", "\x1b[?62n"),
    agree("", "\x1b[?63;1n"),
    agree("", "\x1b[?75n"),
    agree("", "\x1b[?85n"),
    // ----- modes (DECRQM) -----
    differs(
        "",
        "\x1b[2$p",
        "KAM: wrapd never locks the keyboard (permanently reset)",
    ),
    differs(
        "",
        "\x1b[3$p",
        "CRM: wrapd always acts on controls (permanently reset)",
    ),
    agree("", "\x1b[4$p"),
    agree("\x1b[4h", "\x1b[4$p"),
    differs(
        "",
        "\x1b[12$p",
        "SRM: wrapd never echoes locally (permanently set)",
    ),
    agree("", "\x1b[20$p"),
    agree("", "\x1b[99$p"),
    agree("", "\x1b[?1$p"),
    differs(
        "",
        "\x1b[?2$p",
        "DECANM: wrapd has no VT52 mode (permanently set)",
    ),
    agree("", "\x1b[?3$p"),
    differs(
        "",
        "\x1b[?4$p",
        "smooth scrolling: not done (permanently reset)",
    ),
    differs(
        "",
        "\x1b[?5$p",
        "reverse video (DECSCNM): not done (permanently reset)",
    ),
    agree("", "\x1b[?6$p"),
    agree("", "\x1b[?7$p"),
    differs(
        "",
        "\x1b[?8$p",
        "DECARM: keys repeat as the client's terminal repeats them (permanently set)",
    ),
    agree("", "\x1b[?9$p"),
    agree("", "\x1b[?12$p"),
    agree("", "\x1b[?25$p"),
    agree("", "\x1b[?40$p"),
    agree("", "\x1b[?45$p"),
    agree("", "\x1b[?47$p"),
    agree("", "\x1b[?66$p"),
    differs(
        "",
        "\x1b[?67$p",
        "DECBKM: the client sends what its terminal's backspace sends (permanently reset)",
    ),
    agree("", "\x1b[?69$p"),
    agree("", "\x1b[?42$p"),
    agree("\x1b[?69h", "\x1b[?69$p"),
    differs(
        "",
        "\x1b[?95$p",
        "DECNCSM: xterm knows it only as a VT510; wrapd has it",
    ),
    agree("", "\x1b[?1000$p"),
    agree("\x1b[?1002h", "\x1b[?1002$p"),
    agree("", "\x1b[?1003$p"),
    agree("", "\x1b[?1004$p"),
    agree("", "\x1b[?1005$p"),
    agree("\x1b[?1006h", "\x1b[?1006$p"),
    agree("", "\x1b[?1015$p"),
    differs(
        "",
        "\x1b[?1016$p",
        "SGR-pixel mouse: not done (permanently reset)",
    ),
    agree("", "\x1b[?1047$p"),
    differs(
        "",
        "\x1b[?1048$p",
        "1048 saves or restores the cursor: an action, no state",
    ),
    agree("\x1b[?1049h", "\x1b[?1049$p"),
    agree("", "\x1b[?2004$p"),
    differs(
        "",
        "\x1b[?2026$p",
        "synchronized output: xterm 379 does not know it",
    ),
    differs(
        "",
        "\x1b[?2027$p",
        "grapheme clusters: xterm does not know mode 2027",
    ),
    agree("", "\x1b[?9999$p"),
    // ----- settings (DECRQSS) -----
    agree("\x1b[1;4;31;42m", "\x1bP$qm\x1b\\"),
    differs(
        "\x1b[38;5;200;48;2;1;2;3m",
        "\x1bP$qm\x1b\\",
        "SGR colours with semicolons (38;5;n), which every terminal reads; xterm's colons \
         (38:5:n) are the standard's",
    ),
    agree("\x1b[5;10r", "\x1bP$qr\x1b\\"),
    agree("\x1b[?69h\x1b[10;30s", "\x1bP$qs\x1b\\"),
    agree("\x1b[4 q", "\x1bP$q q\x1b\\"),
    agree("\x1b[1\"q", "\x1bP$q\"q\x1b\\"),
    differs(
        "",
        "\x1bP$q\"p\x1b\\",
        "DECSCL: wrapd's level is 62 (see DA1), xterm's 64",
    ),
    differs(
        "\x1b G",
        "\x1bP$q\"p\x1b\\",
        "DECSCL after S8C1T: 62;0 (8-bit controls), xterm 64;0",
    ),
    agree("", "\x1bP$qt\x1b\\"),
    agree("", "\x1bP$q$|\x1b\\"),
    agree("", "\x1bP$q*|\x1b\\"),
    differs(
        "\x1b[2*x",
        "\x1bP$q*x\x1b\\",
        "DECSACE: wrapd reports it (as DEC's VT420 does); xterm does not",
    ),
    agree("", "\x1bP$qzz\x1b\\"),
    // ----- window (XTWINOPS) -----
    agree("", "\x1b[11t"),
    agree("", "\x1b[13t"),
    agree("", "\x1b[14t"),
    differs(
        "",
        "\x1b[15t",
        "screen size in pixels: the text area's (the client's screen is not the program's business)",
    ),
    agree("", "\x1b[16t"),
    agree("", "\x1b[18t"),
    differs(
        "",
        "\x1b[19t",
        "screen size in characters: the session's, not the client's whole screen",
    ),
    differs("", "\x1b[20t", TITLE),
    differs("", "\x1b[21t", TITLE),
    // ----- checksum of a rectangle (DECRQCRA) -----
    agree(
        "Hello, \x1b[1mbold\x1b[0m \x1b[4;7munder\x1b[0m é日",
        "\x1b[7;1;1;1;2;30*y",
    ),
    agree("\x1b#8", "\x1b[1;1;5;5;8;10*y"),
    differs(
        "",
        "\x1b[2;1;1;1;24;80*y",
        "DECRQCRA of a blank screen: xterm 379 counts one blank just after a reset (0xFFE0); wrapd none",
    ),
    differs("ab   ", "\x1b[3;1;1;1;1;10*y", BLANKS_WRITTEN),
    agree(" x", "\x1b[4;1;1;1;1;10*y"),
    differs("a\x1b[3Cb", "\x1b[5;1;1;1;1;10*y", BLANKS_WRITTEN),
    agree("\x1b[4m  \x1b[0mz", "\x1b[6;1;1;1;1;10*y"),
    agree("\x1b[4m  \x1b[0m", "\x1b[6;1;1;1;1;10*y"),
    agree("日", "\x1b[8;1;1;1;1;10*y"),
    agree("e\u{301}x", "\x1b[9;1;1;1;1;10*y"),
    agree("a\x1b[8mb\x1b[0m\x1b[1\"qc", "\x1b[10;1;1;1;1;10*y"),
    agree("abc\x1b[1;2H\x1b[X", "\x1b[11;1;1;1;1;10*y"),
    // ----- colours -----
    agree("", "\x1b]10;?\x1b\\"),
    agree("", "\x1b]11;?\x07"),
    agree("", "\x1b]12;?\x1b\\"),
    agree("", "\x1b]17;?\x1b\\"),
    agree("", "\x1b]19;?\x1b\\"),
    agree("", "\x1b]4;1;?\x1b\\"),
    agree("", "\x1b]4;196;?;255;?\x1b\\"),
    agree("", "\x1b]5;0;?\x1b\\"),
    agree("\x1b]11;rgb:1234/5678/9abc\x1b\\", "\x1b]11;?\x1b\\"),
    agree("\x1b]10;#ff8000\x1b\\", "\x1b]10;?\x1b\\"),
    agree("\x1b]4;1;rgb:01/02/03\x1b\\", "\x1b]4;1;?\x1b\\"),
    agree(
        "\x1b]4;1;rgb:01/02/03\x1b\\\x1b]104;1\x1b\\",
        "\x1b]4;1;?\x1b\\",
    ),
    agree("\x1b]11;red\x1b\\\x1b]111\x1b\\", "\x1b]11;?\x1b\\"),
];
