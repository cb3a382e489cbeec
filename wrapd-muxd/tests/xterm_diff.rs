//! Differential tests against xterm itself, the reference every terminal
//! program is tested against: Debian's `xterm` under `Xvfb` (see
//! xterm/oracle.rs). Each case of the corpus (xterm/cases.rs) goes into a
//! freshly reset xterm and into the model; the screens (text, attributes,
//! colours, soft wraps), the cursor and the answers to the case's queries
//! must agree, except for the differences listed below with their reasons.
//!
//! Needs `xterm`, `Xvfb` and X's fonts (Debian: `xterm xvfb xfonts-base`;
//! `.ci/run` installs them): skipped loudly without them, a failure when
//! `CI=true`. One xterm runs the whole corpus, another the queries.
//!
//! To look into a difference: `XTERM_CASE=name` runs that case alone and
//! prints its bytes; `XTERM_OPS=n` cuts the random cases to their first `n`
//! operations (halve it until the difference goes).

mod term_cells;
mod xterm;

use wrapd_muxd::term::{Term, TermConfig, TerminalLook};
use xterm::oracle::{self, Xterm};
use xterm::queries::{Expect, QUERIES};

const COLS: u16 = 80;
const ROWS: u16 = 24;

/// Random cases run after the corpus (see xterm/random.rs).
const RANDOM_CASES: u64 = 60;

/// A case where wrapd differs from xterm, and why. It must still differ: a
/// case that comes to agree is taken off the list.
struct Known {
    case: &'static str,
    why: &'static str,
    /// Only with an xterm older than this patch level (xterm changed).
    before_patch: Option<u32>,
}

const fn known(case: &'static str, why: &'static str) -> Known {
    Known {
        case,
        why,
        before_patch: None,
    }
}

/// xterm 379 (Debian 12's) still wraps back over any row; from 2023 on
/// xterm's mode 45 wraps back only over soft-wrapped rows, as wrapd's does,
/// and the old way is mode 1045.
const REVERSE_WRAP: &str = "reverse wraparound (mode 45) from the left margin: xterm 379 goes on \
    at the end of the row above whether or not it wrapped, and from the top row to the bottom \
    one; xterm since 2023 (and wrapd) only onto a soft-wrapped row above, within the region";

const KNOWN_DIFFERENCES: &[Known] = &[
    Known {
        case: "reverse_wrap",
        why: REVERSE_WRAP,
        before_patch: Some(380),
    },
    Known {
        case: "reverse_wrap_from_home",
        why: REVERSE_WRAP,
        before_patch: Some(380),
    },
    Known {
        case: "reverse_wrap_not_wrapped_line",
        why: REVERSE_WRAP,
        before_patch: Some(380),
    },
    known(
        "charset_single_shift_before_utf8",
        "SS2/SS3 before a character that is not ASCII: xterm applies the shift to the first byte \
         of its UTF-8 and shows the other bytes as 8-bit characters; wrapd uses the shift up on \
         the character, which it shows as it is",
    ),
    known(
        "charset_gr_in_utf8",
        "another set than ASCII in GR (LS1R, LS2R, LS3R, or G2 designated while in GR): xterm \
         then takes the bytes of every UTF-8 character one by one as 8-bit characters of GR; \
         wrapd keeps UTF-8 whole and shows U+00A0..U+00FF through GR's set",
    ),
    known(
        "charset_repeat",
        "REP after a character that GL's set changed (`q` in DEC graphics): xterm repeats the \
         code that came (`q`), wrapd the character shown (`─`), the graphic character before \
         REP (as xterm does after a single shift)",
    ),
    known(
        "soft_hyphen_width",
        "U+00AD (soft hyphen, also `-` in Latin-1's upper half): xterm gives it a column, wrapd \
         (unicode-width) none",
    ),
    known(
        "clusters_with_mode_2027_off",
        "wrapd keeps a zero-width joiner (U+200D) in the cell before it, so that copying gives \
         the sequence back; xterm drops it",
    ),
    known(
        "column_mode_keeps_screen",
        "DECNCSM (mode 95): xterm honours it only as a VT510 (decTerminalID 510 and up), wrapd \
         always",
    ),
    known(
        "scroll_down_zero",
        "`CSI 0 T`: xterm reads an explicit 0 as its mouse highlight tracking and does not \
         scroll; wrapd's parser (vte) cannot tell `CSI 0 T` from `CSI T` and scrolls one row",
    ),
];

#[test]
fn screens_agree_with_xterm() {
    if !oracle::available() {
        return;
    }
    let mut xterm = Xterm::start(COLS, ROWS, &[]);
    let mut differing = Vec::new();
    let mut report = String::new();
    let corpus = xterm::cases::cases().into_iter();
    // XTERM_CASE=name runs that case alone.
    let only = std::env::var("XTERM_CASE").ok();
    for case in corpus.chain(xterm::random::random_cases(RANDOM_CASES, 40)) {
        match only.as_deref() {
            Some(name) if name != case.name => continue,
            Some(_) => eprintln!("{}: {:?}", case.name, String::from_utf8_lossy(&case.input)),
            None => {}
        }
        let input = [b"\x1bc".as_slice(), &case.input].concat();
        let mut ours = Term::new(COLS, ROWS, TermConfig::default());
        let mut diffs = Vec::new();
        let mut own;
        let xterm = if leaves_decnrcm_set(&input) {
            own = Xterm::start(COLS, ROWS, &[]);
            &mut own
        } else {
            &mut xterm
        };

        let theirs = xterm.exchange(&input);
        ours.feed(&input);
        compare_answers("the input's", &ours.take_replies(), &theirs, &mut diffs);

        let page = xterm.screen();
        ours.feed(oracle::PRINT_SCREEN);
        diffs.extend(xterm::screen_differences(&ours, &page));

        for query in ["\x1b[6n"].iter().chain(case.queries) {
            let theirs = xterm.exchange(query.as_bytes());
            ours.feed(query.as_bytes());
            compare_answers(query, &ours.take_replies(), &theirs, &mut diffs);
        }
        if !diffs.is_empty() {
            differing.push(case.name);
            report += &format!("\n{}:\n  {}\n", case.name, diffs.join("\n  "));
            if let Some(k) = KNOWN_DIFFERENCES.iter().find(|k| k.case == case.name) {
                report += &format!("  (known: {})\n", k.why);
            }
        }
    }
    eprintln!("cases that differ from xterm:{report}");
    let patch = oracle::patch();
    let known: Vec<&str> = KNOWN_DIFFERENCES
        .iter()
        .filter(|k| k.before_patch.is_none_or(|p| patch < p))
        .filter(|k| only.as_deref().is_none_or(|name| name == k.case))
        .map(|k| k.case)
        .collect();
    let unexpected: Vec<&&str> = differing.iter().filter(|n| !known.contains(*n)).collect();
    let agreeing: Vec<&&str> = known.iter().filter(|n| !differing.contains(*n)).collect();
    assert!(
        unexpected.is_empty(),
        "differ from xterm: {unexpected:?} (details above)"
    );
    assert!(
        agreeing.is_empty(),
        "now agree with xterm, take them off KNOWN_DIFFERENCES: {agreeing:?}"
    );
}

#[test]
fn answers_agree_with_xterm() {
    if !oracle::available() {
        return;
    }
    // No printer: DECDSR 15 answers as for a terminal without one.
    let mut xterm = Xterm::start(COLS, ROWS, &["-xrm", "XTerm*printerCommand:"]);
    // The model's pixel sizes come from the client's terminal: here, xterm.
    let cell = String::from_utf8(xterm.exchange(b"\x1b[16t")).unwrap();
    let sizes: Vec<u16> = cell
        .trim_start_matches("\x1b[6;")
        .trim_end_matches('t')
        .split(';')
        .map(|n| n.parse().unwrap())
        .collect();
    let look = TerminalLook {
        cell_pixels: (sizes[1], sizes[0]),
        ..TerminalLook::default()
    };
    // Colours the previous query set go too (RIS need not reset them).
    let reset = "\x1bc\x1b]104\x1b\\\x1b]110\x1b\\\x1b]111\x1b\\\x1b]112\x1b\\";
    let mut failures = Vec::new();
    let mut on_purpose = String::new();
    for query in QUERIES {
        let mut ours = Term::new(COLS, ROWS, TermConfig::default());
        ours.set_terminal_look(look.clone());
        let setup = format!("{reset}{}", query.setup);
        xterm.exchange(setup.as_bytes());
        ours.feed(setup.as_bytes());
        ours.take_replies();

        let theirs = xterm.exchange(query.ask.as_bytes());
        ours.feed(query.ask.as_bytes());
        let mine = ours.take_replies();
        let shown = format!(
            "{:?} after {:?}: ours {:?}, xterm {:?}",
            query.ask,
            query.setup,
            String::from_utf8_lossy(&mine),
            String::from_utf8_lossy(&theirs)
        );
        match query.expect {
            Expect::Agree if mine != theirs => failures.push(shown),
            Expect::Agree => {}
            Expect::Differs(_) if mine == theirs => {
                failures.push(format!("{shown}: now agree, say so in queries.rs"))
            }
            Expect::Differs(_) if mine.is_empty() => {
                failures.push(format!("{shown}: we do not answer"))
            }
            Expect::Differs(why) => on_purpose += &format!("\n  {shown}\n    ({why})"),
        }
    }
    eprintln!("answers that differ from xterm on purpose:{on_purpose}");
    assert!(
        failures.is_empty(),
        "answers differ from xterm:\n  {}",
        failures.join("\n  ")
    );
}

/// DA1 and DA2 claim what xterm does as the VT220 whose level wrapd claims:
/// the same level and terminal type, and no extension xterm does not list
/// at that level (see reports.rs for those wrapd leaves out).
#[test]
fn identity_claims_no_more_than_xterm_as_a_vt220() {
    if !oracle::available() {
        return;
    }
    let mut xterm = Xterm::start(COLS, ROWS, &["-ti", "vt220"]);
    let mut ours = Term::new(COLS, ROWS, TermConfig::default());
    let numbers = |answer: &[u8], intro: &str| -> Vec<u16> {
        let text = String::from_utf8_lossy(answer);
        let body = text.strip_prefix(intro).and_then(|t| t.strip_suffix('c'));
        let body = body.unwrap_or_else(|| panic!("not a device attributes answer: {text:?}"));
        body.split(';').map(|n| n.parse().unwrap()).collect()
    };
    for (ask, intro) in [("\x1b[c", "\x1b[?"), ("\x1b[>c", "\x1b[>")] {
        let theirs = numbers(&xterm.exchange(ask.as_bytes()), intro);
        ours.feed(ask.as_bytes());
        let mine = numbers(&ours.take_replies(), intro);
        assert_eq!(
            mine[0], theirs[0],
            "{ask:?}: ours {mine:?}, xterm {theirs:?}"
        );
        if ask == "\x1b[c" {
            let extra: Vec<&u16> = mine.iter().filter(|n| !theirs.contains(n)).collect();
            assert!(
                extra.is_empty(),
                "DA1 claims {extra:?}, xterm as a VT220 {theirs:?}"
            );
        }
    }
}

/// DECNRCM takes xterm out of UTF-8 (it reads bytes as 8-bit characters
/// while the mode is set), and neither DECSTR nor RIS puts it back: a case
/// that leaves the mode set gets an xterm of its own.
fn leaves_decnrcm_set(input: &[u8]) -> bool {
    let last = |mode: &[u8]| input.windows(mode.len()).rposition(|w| w == mode);
    last(b"\x1b[?42h") > last(b"\x1b[?42l")
}

fn compare_answers(query: &str, ours: &[u8], theirs: &[u8], diffs: &mut Vec<String>) {
    if ours != theirs {
        diffs.push(format!(
            "answer to {query:?}: ours {:?}, xterm {:?}",
            String::from_utf8_lossy(ours),
            String::from_utf8_lossy(theirs)
        ));
    }
}
