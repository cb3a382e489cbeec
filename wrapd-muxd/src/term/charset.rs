//! Character sets as xterm has them at its default level (a VT420's): the
//! sets a program designates into G0–G3 (SCS: `ESC (`, `)`, `*`, `+` for 94
//! characters, `ESC -`, `.`, `/` for 96), which of them are invoked into GL
//! (SI, SO, LS2, LS3) and GR (LS1R, LS2R, LS3R), and a single shift (SS2,
//! SS3) waiting for the next character. The national replacement sets
//! (NRCS) can be designated only while DECNRCM (mode 42) is set, as in
//! xterm. In UTF-8 the characters U+00A0..U+00FF stand for GR's codes
//! 0xa0..0xff: they go through the set in GR (the default GR, G2 with
//! ASCII, leaves them as they are). xterm instead reads bytes one by one as
//! 8-bit characters while GR holds another set, after a single shift and
//! under DECNRCM; wrapd keeps UTF-8 whole (xterm_diff.rs lists these).
//!
//! What each set shows is xterm's mapping, checked against xterm by
//! tests/xterm_diff.rs.

#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Charset {
    /// 0: [`Charsets::plain`] tests it with an `or`.
    #[default]
    Ascii = 0,
    /// DEC special graphics: line drawing (`0`).
    DecGraphics,
    /// United Kingdom (`A`): `#` is `£` under DECNRCM; without it xterm
    /// shows the upper half of Latin-1 instead (its "British Latin-1").
    British,
    /// DEC supplemental (`<`, and DEC supplemental graphic, `%5`).
    DecSupplemental,
    /// DEC technical (`>`).
    DecTechnical,
    /// ISO Latin-1 supplemental, a 96-character set (`ESC - A`).
    Latin1,
    Dutch,
    Finnish,
    French,
    FrenchCanadian,
    German,
    Italian,
    NorwegianDanish,
    Portuguese,
    Spanish,
    Swedish,
    Swiss,
}

/// Shown for a code a set leaves undefined, as xterm shows it.
const UNDEFINED: char = '\u{2e2e}';

impl Charset {
    /// The 94-character set that `ESC ( F` (or `ESC ( I F`, with one
    /// intermediate `I`) designates, among those xterm knows at a VT420's
    /// level; `None` for any other, which changes nothing. A national set
    /// needs DECNRCM (`national`).
    pub fn of_94(intermediate: Option<u8>, last: u8, national: bool) -> Option<Charset> {
        use Charset::*;
        let (set, nrcs) = match (intermediate, last) {
            // DEC's alternate ROM, DEC Turkish, the Turkish, "SCS" and
            // Hebrew national sets: xterm takes them, and shows ASCII.
            (None, b'B' | b'1' | b'2') | (Some(b'%'), b'0' | b'2' | b'3' | b'=') => (Ascii, false),
            (None, b'A') => (British, false),
            (None, b'0') => (DecGraphics, false),
            (None, b'<') | (Some(b'%'), b'5') => (DecSupplemental, false),
            (None, b'>') => (DecTechnical, false),
            (None, b'4') => (Dutch, true),
            (None, b'5' | b'C') => (Finnish, true),
            (None, b'R' | b'f') => (French, true),
            (None, b'Q' | b'9') => (FrenchCanadian, true),
            (None, b'K') => (German, true),
            (None, b'Y') => (Italian, true),
            (None, b'E' | b'6' | b'`') => (NorwegianDanish, true),
            (None, b'Z') => (Spanish, true),
            (None, b'7' | b'H') => (Swedish, true),
            (None, b'=') => (Swiss, true),
            (Some(b'%'), b'6') => (Portuguese, true),
            _ => return None,
        };
        (national || !nrcs).then_some(set)
    }

    /// The 96-character set that `ESC - F` designates (xterm knows Latin-1
    /// at a VT420's level; the others are a VT510's).
    pub fn of_96(last: u8) -> Option<Charset> {
        (last == b'A').then_some(Charset::Latin1)
    }

    /// What `code` (0x20..=0x7e from GL, 0xa0..=0xff from GR) shows in this
    /// set: the set's character for the code's low seven bits (0x7f, which
    /// only 0xff has, is a blank where a set leaves it as it is, as in
    /// xterm).
    fn show(self, code: u8, national: bool) -> char {
        match self.character(code, national) {
            '\x7f' => ' ',
            c => c,
        }
    }

    fn character(self, code: u8, national: bool) -> char {
        use Charset::*;
        let seven = code & 0x7f;
        match self {
            Ascii => char::from(code),
            DecGraphics => dec_graphics(code),
            British if national && seven == b'#' => '£',
            British if national => char::from(seven),
            British | Latin1 => char::from(seven | 0x80),
            DecSupplemental => lookup(DEC_SUPPLEMENTAL, seven).unwrap_or(char::from(seven | 0x80)),
            DecTechnical => match seven {
                0x21..=0x7e => DEC_TECHNICAL[usize::from(seven - 0x21)],
                _ => char::from(seven),
            },
            _ => match national_replacement(self, seven) {
                // Not in Latin-1: xterm shows these only in its UTF-8 way of
                // doing NRCS, which DECNRCM turns on.
                Some(c) if u32::from(c) > 0xff && !national => char::from(seven),
                Some(c) => c,
                None => char::from(seven),
            },
        }
    }
}

fn lookup(table: &[(u8, char)], seven: u8) -> Option<char> {
    table
        .iter()
        .find(|(code, _)| *code == seven)
        .map(|&(_, c)| c)
}

/// DEC special graphics: 0x60..=0x7e are line drawing and symbols; 0x5f
/// from GL is a blank, as in xterm.
fn dec_graphics(code: u8) -> char {
    const DEC: [char; 31] = [
        '◆', '▒', '␉', '␌', '␍', '␊', '°', '±', '␤', '␋', '┘', '┐', '┌', '└', '┼', '⎺', '⎻', '─',
        '⎼', '⎽', '├', '┤', '┴', '┬', '│', '≤', '≥', 'π', '≠', '£', '·',
    ];
    match code & 0x7f {
        seven @ 0x60..=0x7e => DEC[usize::from(seven - 0x60)],
        _ if code == 0x5f => ' ',
        seven => char::from(seven),
    }
}

/// DEC supplemental where it is not Latin-1's upper half.
const DEC_SUPPLEMENTAL: &[(u8, char)] = &[
    (0x24, UNDEFINED),
    (0x26, UNDEFINED),
    (0x28, '¤'),
    (0x2c, UNDEFINED),
    (0x2d, UNDEFINED),
    (0x2e, UNDEFINED),
    (0x2f, UNDEFINED),
    (0x34, UNDEFINED),
    (0x38, UNDEFINED),
    (0x3e, UNDEFINED),
    (0x50, UNDEFINED),
    (0x57, 'Œ'),
    (0x5d, 'Ÿ'),
    (0x5e, UNDEFINED),
    (0x70, UNDEFINED),
    (0x77, 'œ'),
    (0x7d, 'ÿ'),
    (0x7e, UNDEFINED),
    (0x7f, UNDEFINED),
];

/// DEC technical, 0x21..=0x7e: pieces of large brackets, integrals and
/// radicals, mathematical symbols, Greek letters, arrows.
#[rustfmt::skip]
const DEC_TECHNICAL: [char; 94] = [
                                  '⎷', '┌', '─', '⌠', '⌡', '│', '⎡', '⎣', '⎤', '⎦', '⎧', '⎩', '⎫', '⎭', '⎨',
    '⎬', UNDEFINED, UNDEFINED, UNDEFINED, UNDEFINED, UNDEFINED, UNDEFINED, UNDEFINED,
    UNDEFINED, UNDEFINED, UNDEFINED, UNDEFINED, '≤', '≠', '≥', '∫',
    '∴', '∝', '∞', '÷', 'Δ', '∇', 'Φ', 'Γ', '∼', '≃', 'Θ', '×', 'Λ', '⇔', '⇒', '≡',
    'Π', 'Ψ', UNDEFINED, 'Σ', UNDEFINED, UNDEFINED, '√', 'Ω', 'Ξ', 'Υ', '⊂', '⊃', '∩', '∪', '∧', '∨',
    '¬', 'α', 'β', 'χ', 'δ', 'ε', 'φ', 'γ', 'η', 'ι', 'θ', 'κ', 'λ', UNDEFINED, 'ν', '∂',
    'π', 'ψ', 'ρ', 'σ', 'τ', UNDEFINED, 'ƒ', 'ω', 'ξ', 'υ', 'ζ', '←', '↑', '→', '↓',
];

/// The codes a national set may replace.
const REPLACEABLE: [u8; 12] = *b"#@[\\]^_`{|}~";

/// What each national set shows for [`REPLACEABLE`] (the VT220 and VT320
/// manuals' tables, as xterm has them).
fn national_replacement(set: Charset, seven: u8) -> Option<char> {
    use Charset::*;
    let shown = match set {
        Dutch => "£¾ĳ½|^_`¨ƒ¼´",
        Finnish => "#@ÄÖÅÜ_éäöåü",
        French => "£à°ç§^_`éùè¨",
        FrenchCanadian => "#àâçêî_ôéùèû",
        German => "#§ÄÖÜ^_`äöüß",
        Italian => "£§°çé^_ùàòèì",
        NorwegianDanish => "#ÄÆØÅÜ_äæøåü",
        Portuguese => "#@ÃÇÕ^_`ãçõ~",
        Spanish => "£§¡Ñ¿^_`°ñç~",
        Swedish => "#ÉÄÖÅÜ_éäöåü",
        Swiss => "ùàéçêîèôäöüû",
        _ => return None,
    };
    let at = REPLACEABLE.iter().position(|&code| code == seven)?;
    shown.chars().nth(at)
}

/// G0–G3, what is invoked into GL and GR, and a single shift that waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Charsets {
    pub g: [Charset; 4],
    /// Which of G0–G3 is in GL (0 after a reset).
    pub gl: u8,
    /// Which of G1–G3 is in GR (2 after a reset).
    pub gr: u8,
    /// SS2 or SS3: the next character comes from G2 or G3 (0: none).
    pub single_shift: u8,
}

impl Default for Charsets {
    fn default() -> Self {
        Charsets {
            g: [Charset::Ascii; 4],
            gl: 0,
            gr: 2,
            single_shift: 0,
        }
    }
}

impl Charsets {
    /// ASCII in GL and no single shift waiting: printable ASCII shows as
    /// itself (the run path of run.rs). One test.
    #[inline]
    pub fn plain(&self) -> bool {
        (self.g[usize::from(self.gl & 3)] as u8 | self.single_shift) == 0
    }

    /// GR holds ASCII: U+00A0..U+00FF show as themselves (with [`plain`],
    /// what the run path of run.rs needs for them).
    ///
    /// [`plain`]: Charsets::plain
    #[inline]
    pub fn passes_latin1(&self) -> bool {
        self.g[usize::from(self.gr & 3)] == Charset::Ascii
    }

    /// What `c` shows as, printed now; a single shift is used up (by any
    /// character, as in xterm).
    pub fn print(&mut self, c: char, national: bool) -> char {
        let shift = std::mem::take(&mut self.single_shift);
        let gl = if shift != 0 { shift } else { self.gl };
        let set = match u32::from(c) {
            0x20..=0x7e => self.g[usize::from(gl & 3)],
            0xa0..=0xff => self.g[usize::from(self.gr & 3)],
            _ => return c,
        };
        set.show(c as u8, national)
    }
}
