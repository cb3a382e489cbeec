//! Grapheme clusters: which characters share a cell, and how wide it is.
//!
//! With grapheme-cluster mode on (mode 2027, the default) a cell holds a whole
//! extended grapheme cluster (UAX #29, from `unicode-segmentation`): an emoji
//! ZWJ sequence (👩‍💻), an emoji with its skin tone, a flag (two regional
//! indicators), a keycap, a letter with its combining marks, a Hangul syllable
//! spelt in conjoining jamo. The cell's first character is in the cell; the
//! rest of the cluster lives in the row's side list (`Row::combining`), so a
//! plain cell stays small and printing plain text never looks at any of this.
//!
//! The width rule, in one place for every client: a cluster is as wide as
//! `unicode-width` says the string is (UAX #11, emoji presentation: VS16 makes
//! an emoji wide, VS15 narrow, a ZWJ sequence or a flag is two columns),
//! clamped to 1..=2; a regional indicator alone is two columns (it shows as a
//! letter in a box, drawn as wide as a flag).
//!
//! With the mode off, every character of nonzero width starts a cell as wide
//! as the character (as in xterm and tmux). In both modes a character of
//! width zero joins the cell before it (it has no cell of its own), and
//! printable ASCII always starts a cell (the fast path for it never looks
//! back: a Prepend character before it is not joined).

use unicode_segmentation::{GraphemeCursor, GraphemeIncomplete};
use unicode_width::UnicodeWidthStr;

use super::grid::{Cell, char_width};

/// A regional indicator symbol (half of a flag).
#[inline]
fn is_regional_indicator(c: char) -> bool {
    ('\u{1f1e6}'..='\u{1f1ff}').contains(&c)
}

/// The width of `c` as a cell of its own: its character width, but a lone
/// regional indicator takes two columns in grapheme-cluster mode.
#[inline]
pub(crate) fn single_width(c: char, clusters: bool) -> u8 {
    let w = char_width(c);
    if w == 1 && clusters && is_regional_indicator(c) {
        2
    } else {
        w
    }
}

/// The width of a cell holding `base` followed by `tail` (see the module
/// docs); `scratch` holds the cluster's text meanwhile.
pub(crate) fn width(base: char, tail: &str, scratch: &mut String) -> u8 {
    if tail.is_empty() || is_regional_indicator(base) {
        return single_width(base, true).max(1);
    }
    scratch.clear();
    scratch.push(base);
    scratch.push_str(tail);
    scratch.width().clamp(1, 2) as u8
}

/// Characters whose Grapheme_Cluster_Break property is Other, Control or a
/// precomposed Hangul syllable (LV, LVT): no two of them ever share a
/// cluster (printed ones: CR LF is never printed), so a cell holding one
/// alone is never extended by another one (the common case, decided without
/// the segmentation tables). The blocks of the most common scripts and of
/// emoji; tests check every character in them.
/// Those the lookup below does not decide come first.
const SIMPLE_RANGES: [std::ops::RangeInclusive<u32>; 12] = [
    // Emoji, but regional indicators and skin tones.
    0x1f400..=0x1faff,
    0x1f200..=0x1f3fa,
    0x1f000..=0x1f1e5,
    0x3040..=0x3098,
    0x30a0..=0x30ff,
    0..=0x2ff,
    0x370..=0x482,
    0x2010..=0x20cf,
    0x2100..=0x2bff,
    0x4e00..=0x9fff,
    0xac00..=0xd7a3,
    0xff01..=0xff60,
];

/// Statics, not consts: a const array used at run time may be copied onto
/// the stack at every use.
static SIMPLE: [std::ops::RangeInclusive<u32>; 12] = SIMPLE_RANGES;

/// The 128-character stretches of the BMP that lie wholly in `SIMPLE`, a
/// bit each: most characters are decided by one lookup.
static SIMPLE_STRETCHES: [u64; 8] = stretches(&SIMPLE_RANGES);

const fn stretches(ranges: &[std::ops::RangeInclusive<u32>]) -> [u64; 8] {
    let mut bits = [0u64; 8];
    let mut stretch = 0;
    while stretch < 512 {
        let (first, last) = (stretch * 128, stretch * 128 + 127);
        let mut r = 0;
        while r < ranges.len() {
            if *ranges[r].start() <= first && last <= *ranges[r].end() {
                bits[(stretch / 64) as usize] |= 1 << (stretch % 64);
            }
            r += 1;
        }
        stretch += 1;
    }
    bits
}

#[inline]
pub(crate) fn is_simple(c: char) -> bool {
    let c = c as u32;
    if c < 0x10000 && SIMPLE_STRETCHES[(c >> 13) as usize] >> ((c >> 7) & 63) & 1 != 0 {
        return true;
    }
    SIMPLE.iter().any(|r| r.contains(&c))
}

/// Whether `c` continues the cluster `base` + `tail` (UAX #29: no boundary
/// between them).
pub(crate) fn joins(base: char, tail: &str, c: char) -> bool {
    if tail.is_empty() && is_simple(base) && is_simple(c) {
        return false;
    }
    let (mut base_buf, mut c_buf) = ([0u8; 4], [0u8; 4]);
    let base = &*base.encode_utf8(&mut base_buf);
    let c = &*c.encode_utf8(&mut c_buf);
    let at = base.len() + tail.len();
    let mut cursor = GraphemeCursor::new(at, at + c.len(), true);
    // The cluster before `c` is handed over as the cursor asks for it: the
    // tail, then the base (the start of the text: nothing more is asked).
    for _ in 0..3 {
        match cursor.is_boundary(c, at) {
            Ok(boundary) => return !boundary,
            Err(GraphemeIncomplete::PreContext(end)) if end == at && !tail.is_empty() => {
                cursor.provide_context(tail, base.len());
            }
            Err(GraphemeIncomplete::PreContext(end)) if end == base.len() => {
                cursor.provide_context(base, 0);
            }
            Err(_) => return false,
        }
    }
    false
}

/// Whether the per-character rule gives this cell back from its text: every
/// character after the first is of width zero and the cell is as wide as its
/// first character. Cells for which it does not (a ZWJ sequence, a flag, an
/// emoji made wide by VS16...) are sent to clients and kept in history with
/// their extent spelt out.
#[inline]
pub(crate) fn follows_char_rule(cell: &Cell, tail: Option<&str>) -> bool {
    match tail {
        // Alone, a cell got its character's width: only a regional
        // indicator is made wider.
        None => !(cell.wide && is_regional_indicator(cell.ch)),
        Some(tail) => {
            tail.chars().all(|c| char_width(c) == 0) && cell.wide == (char_width(cell.ch) == 2)
        }
    }
}

#[cfg(test)]
mod tests {
    use unicode_segmentation::UnicodeSegmentation;

    use super::*;

    /// A string's cells under the cluster rule: (cluster, width).
    fn cells(s: &str) -> Vec<(String, u8)> {
        let mut out: Vec<(char, String)> = Vec::new();
        for c in s.chars() {
            match out.last_mut() {
                Some((base, tail)) if joins(*base, tail, c) => tail.push(c),
                _ => out.push((c, String::new())),
            }
        }
        out.into_iter()
            .map(|(b, t)| (format!("{b}{t}"), width(b, &t, &mut String::new())))
            .collect()
    }

    #[test]
    fn clusters_and_their_widths() {
        let one = |s: &str, w: u8| {
            assert_eq!(cells(s), vec![(s.to_owned(), w)], "{s:?}");
        };
        one("👩\u{200d}💻", 2);
        one("🏳\u{fe0f}\u{200d}🌈", 2);
        one("🧑🏻\u{200d}❤\u{fe0f}\u{200d}💋\u{200d}🧑🏼", 2);
        one("👍🏽", 2);
        one("❤\u{fe0f}", 2);
        one("❤\u{fe0e}", 1);
        one("☔\u{fe0e}", 1);
        one("1\u{fe0f}\u{20e3}", 2);
        one("a\u{fe0f}", 1);
        one("e\u{301}\u{302}", 1);
        one("\u{1100}\u{1161}\u{11a8}", 2);
        one("🇦🇧", 2);
        one("🇦", 2);
        one(
            "🏴\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}",
            2,
        );
        assert_eq!(cells("🇦🇧🇨"), [("🇦🇧".to_owned(), 2), ("🇨".to_owned(), 2)]);
        assert_eq!(
            cells("a日b"),
            [
                ("a".to_owned(), 1),
                ("日".to_owned(), 2),
                ("b".to_owned(), 1)
            ]
        );
    }

    #[test]
    fn simple_characters_never_join() {
        // Each simple character is Other, Control, LV or LVT: it neither
        // extends 'a' (Extend, SpacingMark, ZWJ) nor is extended by it
        // (Prepend), nor joins jamo or regional indicators.
        let mut seen = 0;
        for c in SIMPLE.iter().cloned().flatten().filter_map(char::from_u32) {
            assert!(is_simple(c), "U+{:04X}", c as u32);
            seen += 1;
            for s in [
                format!("a{c}"),
                format!("{c}a"),
                format!("{c}\u{1100}"),
                format!("\u{ac00}{c}"),
                format!("{c}🇦"),
            ] {
                assert_eq!(s.graphemes(true).count(), 2, "U+{:04X} in {s:?}", c as u32);
            }
        }
        assert!(seen > 30_000);
        for c in [
            '\u{301}',
            '\u{200d}',
            '\u{1f1e6}',
            '\u{1161}',
            '\u{ff9e}',
            '\u{1f3fd}',
        ] {
            assert!(!is_simple(c), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn the_char_rule_holds_for_plain_cells_only() {
        let cell = |ch: char, wide: bool| Cell {
            ch,
            wide,
            ..Cell::default()
        };
        assert!(follows_char_rule(&cell('a', false), None));
        assert!(follows_char_rule(&cell('日', true), None));
        assert!(follows_char_rule(&cell('e', false), Some("\u{301}")));
        assert!(!follows_char_rule(&cell('👩', true), Some("\u{200d}💻")));
        assert!(!follows_char_rule(&cell('🇦', true), None));
        assert!(!follows_char_rule(&cell('1', true), Some("\u{fe0f}")));
        assert!(!follows_char_rule(&cell('☔', false), Some("\u{fe0e}")));
    }

    #[test]
    fn the_stretches_lie_in_the_blocks() {
        for c in 0..0x10000u32 {
            if SIMPLE_STRETCHES[(c >> 13) as usize] >> ((c >> 7) & 63) & 1 != 0 {
                assert!(SIMPLE.iter().any(|r| r.contains(&c)), "U+{c:04X}");
            }
        }
        assert_ne!(SIMPLE_STRETCHES, [0; 8]);
    }

    #[test]
    fn long_clusters_join_whole() {
        let tail = "\u{301}".repeat(100);
        assert!(joins('e', &tail, '\u{302}'));
        assert!(!joins('e', &tail, 'x'));
        assert_eq!(width('e', &tail, &mut String::new()), 1);
        // Regional indicators pair up however long the run before them.
        assert!(!joins('🇦', "🇧", '🇨'));
        assert!(joins('🇦', "", '🇧'));
    }
}
