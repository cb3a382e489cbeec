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
//! as the character (as in xterm and tmux) and characters of width zero join
//! the cell before them.

use unicode_segmentation::GraphemeCursor;
use unicode_width::UnicodeWidthStr;

use super::grid::{Cell, MAX_CLUSTER_TAIL, char_width};

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

/// The width of a cell holding `base` followed by `tail` (see the module docs).
pub(crate) fn width(base: char, tail: &str) -> u8 {
    if tail.is_empty() || is_regional_indicator(base) {
        return single_width(base, true).max(1);
    }
    let mut buf = [0u8; 4 + MAX_CLUSTER_TAIL];
    let text = concat(&mut buf, base, tail, None);
    text.width().clamp(1, 2) as u8
}

/// Characters whose Grapheme_Cluster_Break property is Other, Control or a
/// precomposed Hangul syllable (LV, LVT): no two of them ever share a
/// cluster, so a cell holding one alone is never extended by another one
/// (the common case, decided without the segmentation tables). The blocks of
/// the most common scripts; tests check every character in them.
#[inline]
pub(crate) fn is_simple(c: char) -> bool {
    let c = c as u32;
    c < 0x300
        || (0x370..=0x482).contains(&c)
        || (0x2010..=0x20cf).contains(&c)
        || (0x2100..=0x2bff).contains(&c)
        || (0x3041..=0x3096).contains(&c)
        || (0x30a1..=0x30fa).contains(&c)
        || (0x4e00..=0x9fff).contains(&c)
        || (0xac00..=0xd7a3).contains(&c)
        || (0xff01..=0xff60).contains(&c)
}

/// Whether `c` continues the cluster `base` + `tail` (UAX #29: no boundary
/// between them).
pub(crate) fn joins(base: char, tail: &str, c: char) -> bool {
    if tail.is_empty() && is_simple(base) && is_simple(c) {
        return false;
    }
    let mut buf = [0u8; 8 + MAX_CLUSTER_TAIL];
    let text = concat(&mut buf, base, tail, Some(c));
    let at = text.len() - c.len_utf8();
    // The whole cluster is given from its start: no context is missing.
    GraphemeCursor::new(at, text.len(), true)
        .is_boundary(text, 0)
        .is_ok_and(|boundary| !boundary)
}

/// `base`, `tail` and `c` written into `buf`; `tail` is cut to what fits
/// (a row never stores more than `MAX_CLUSTER_TAIL` bytes of it).
fn concat<'a>(buf: &'a mut [u8], base: char, tail: &str, c: Option<char>) -> &'a str {
    let mut n = base.encode_utf8(buf).len();
    let room = buf.len() - n - c.map_or(0, char::len_utf8);
    let mut cut = tail.len().min(room);
    while !tail.is_char_boundary(cut) {
        cut -= 1;
    }
    buf[n..n + cut].copy_from_slice(&tail.as_bytes()[..cut]);
    n += cut;
    if let Some(c) = c {
        n += c.encode_utf8(&mut buf[n..]).len();
    }
    std::str::from_utf8(&buf[..n]).expect("whole characters")
}

/// Whether the per-character rule gives this cell back from its text: every
/// character after the first is of width zero and the cell is as wide as its
/// first character. Cells for which it does not (a ZWJ sequence, a flag, an
/// emoji made wide by VS16...) are sent to clients and kept in history with
/// their extent spelt out.
#[inline]
pub(crate) fn follows_char_rule(cell: &Cell, tail: Option<&str>) -> bool {
    if cell.ch.is_ascii() && tail.is_none() {
        return !cell.wide;
    }
    tail.is_none_or(|t| t.chars().all(|c| char_width(c) == 0))
        && cell.wide == (char_width(cell.ch) == 2)
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
            .map(|(b, t)| (format!("{b}{t}"), width(b, &t)))
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
        let blocks = [
            0..0x300,
            0x370..0x483,
            0x2010..0x20d0,
            0x2100..0x2c00,
            0x3041..0x3097,
            0x30a1..0x30fb,
            0x4e00..0xa000,
            0xac00..0xd7a4,
            0xff01..0xff61,
        ];
        let mut seen = 0;
        for c in blocks.into_iter().flatten().filter_map(char::from_u32) {
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
            '🙂',
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
    fn a_tail_too_long_is_cut_not_overflowed() {
        let tail = "\u{301}".repeat(MAX_CLUSTER_TAIL);
        assert!(joins('e', &tail, '\u{302}'));
        assert_eq!(width('e', &tail), 1);
    }
}
