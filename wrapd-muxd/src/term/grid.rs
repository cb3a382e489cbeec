//! Cells and rows of a screen.
//!
//! A screen cell is small and `Copy`; the rest of a grapheme cluster (the
//! rare characters after a cell's first: combining marks, variation
//! selectors, the rest of an emoji sequence) lives in a per-row side list so
//! it costs nothing elsewhere. A row may hold more cells than the terminal is wide: after the
//! terminal narrows, cells past the edge stay hidden until the row is next
//! written to, so narrowing and widening again loses nothing.

use unicode_width::UnicodeWidthChar;

use super::style::{Color, Style};

/// The character of the right half of a wide character.
pub(crate) const SPACER: char = '\0';

/// Bytes of a cluster kept after its first character at most: the longest
/// emoji sequences fit (a kiss with two skin tones takes 31); a flood of
/// combining marks does not grow a row.
pub(crate) const MAX_CLUSTER_TAIL: usize = 60;

/// CJK Unified Ideographs, Hangul Syllables, Hiragana and Katakana letters:
/// two columns each.
const WIDE_BLOCKS: [std::ops::RangeInclusive<char>; 4] = [
    '\u{4e00}'..='\u{9fff}',
    '\u{ac00}'..='\u{d7a3}',
    '\u{3041}'..='\u{3096}',
    '\u{30a1}'..='\u{30fa}',
];

/// Accented Latin letters and the Cyrillic alphabet: one column each.
const NARROW_BLOCKS: [std::ops::RangeInclusive<char>; 2] =
    ['\u{c0}'..='\u{24f}', '\u{400}'..='\u{482}'];

/// How many columns `c` takes: 0 (combining), 1 or 2.
#[inline]
pub(crate) fn char_width(c: char) -> u8 {
    if (c as u32) < 0x7f {
        return u8::from(c >= ' ');
    }
    // Whole blocks of the most common letters of other scripts, without the
    // table lookup (tests check them against the table).
    if NARROW_BLOCKS.iter().any(|block| block.contains(&c)) {
        return 1;
    }
    if WIDE_BLOCKS.iter().any(|block| block.contains(&c)) {
        return 2;
    }
    match c.width() {
        Some(w) => w.min(2) as u8,
        None => 0,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cell {
    /// `' '` when blank, [`SPACER`] for the right half of a wide character.
    pub ch: char,
    pub style: Style,
    /// Hyperlink id (0: none), see `links`.
    pub link: u16,
    /// This cell starts a character two columns wide.
    pub wide: bool,
}

impl Cell {
    /// A blank cell; erasing keeps the background colour (xterm's BCE).
    #[inline]
    pub fn blank(bg: Style) -> Cell {
        Cell {
            ch: ' ',
            style: Style {
                bg: bg.bg,
                ..Style::default()
            },
            link: 0,
            wide: false,
        }
    }

    #[inline]
    pub fn is_default_blank(&self) -> bool {
        (self.ch == ' ') & self.is_unstyled()
    }

    /// Default colours, no attributes, no link (without branches: rows are
    /// scanned cell by cell for this).
    #[inline]
    pub fn is_unstyled(&self) -> bool {
        let s = &self.style;
        matches!(s.fg, Color::Default)
            & matches!(s.bg, Color::Default)
            & matches!(s.underline_color, Color::Default)
            & s.attrs.is_empty()
            & (self.link == 0)
    }
}

impl Default for Cell {
    fn default() -> Self {
        Cell::blank(Style::default())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Row {
    /// At least as many cells as the terminal is wide (see the module docs).
    pub cells: Vec<Cell>,
    /// The rest of the grapheme cluster of the cell at a column (the
    /// characters after its first), by column.
    pub combining: Vec<(u16, String)>,
    /// The text continues on the next row (soft wrap).
    pub wrapped: bool,
    /// Sequence number of the batch that last changed this row.
    pub seq: u64,
}

impl Row {
    pub fn new(cols: u16, seq: u64) -> Row {
        Row {
            cells: vec![Cell::default(); usize::from(cols)],
            combining: Vec::new(),
            wrapped: false,
            seq,
        }
    }

    /// About to be written at width `cols`: drop hidden cells, stamp it.
    #[inline]
    pub fn touch(&mut self, cols: u16, seq: u64) {
        let cols = usize::from(cols);
        if self.cells.len() != cols {
            // A wide character in the last column loses its right half
            // (hidden past the edge since the terminal narrowed): it cannot
            // stay, or it would come back a column too wide.
            self.split_wide_at(cols);
            self.cells.resize(cols, Cell::default());
            self.combining.retain(|(c, _)| usize::from(*c) < cols);
        }
        self.seq = seq;
    }

    /// Blank cells `from..to` (clamped), fixing wide characters cut in half.
    pub fn erase(&mut self, from: usize, to: usize, bg: Style) {
        let to = to.min(self.cells.len());
        if from >= to {
            return;
        }
        self.split_wide_at(from);
        self.split_wide_at(to);
        self.cells[from..to].fill(Cell::blank(bg));
        self.combining
            .retain(|(c, _)| !(from..to).contains(&usize::from(*c)));
    }

    /// If a wide character straddles the boundary before column `x`, blank
    /// both halves (and drop the rest of its cluster).
    pub fn split_wide_at(&mut self, x: usize) {
        if x == 0 || x >= self.cells.len() {
            return;
        }
        if self.cells[x].ch == SPACER && self.cells[x - 1].wide {
            let style = self.cells[x - 1].style;
            self.cells[x - 1] = Cell::blank(style);
            self.cells[x] = Cell::blank(style);
            if !self.combining.is_empty() {
                self.take_tail(x as u16 - 1);
            }
        }
    }

    /// Add a character to the cluster of the cell at `x`; false when the
    /// cluster is full (see [`MAX_CLUSTER_TAIL`]) and `c` was dropped.
    pub fn combine(&mut self, x: u16, c: char) -> bool {
        match self.combining.iter_mut().find(|(col, _)| *col == x) {
            Some((_, s)) => {
                if s.len() + c.len_utf8() > MAX_CLUSTER_TAIL {
                    return false;
                }
                s.push(c);
            }
            None => self.combining.push((x, c.to_string())),
        }
        true
    }

    /// Take the rest of the cluster at `x` out of the side list.
    pub fn take_tail(&mut self, x: u16) -> Option<String> {
        let i = self.combining.iter().position(|(c, _)| *c == x)?;
        Some(self.combining.swap_remove(i).1)
    }

    /// Make `tail` the rest of the cluster at `x` (nothing when empty).
    pub fn set_tail(&mut self, x: u16, tail: String) {
        self.combining.retain(|(c, _)| *c != x);
        if !tail.is_empty() {
            self.combining.push((x, tail));
        }
    }

    pub fn combining_at(&self, x: u16) -> Option<&str> {
        self.combining
            .iter()
            .find(|(c, _)| *c == x)
            .map(|(_, s)| s.as_str())
    }

    /// Remove cells `at..at+n` shifting the rest left (DCH), filling the end.
    pub fn delete_cells(&mut self, at: usize, n: usize, cols: usize, bg: Style) {
        if at >= cols {
            return;
        }
        let n = n.min(cols - at);
        self.split_wide_at(at);
        self.split_wide_at(at + n);
        self.cells[at..cols].rotate_left(n);
        self.cells[cols - n..cols].fill(Cell::blank(bg));
        self.shift_combining(at, -(n as i64), cols);
    }

    /// Insert `n` blank cells at `at` shifting the rest right (ICH, IRM).
    pub fn insert_cells(&mut self, at: usize, n: usize, cols: usize, bg: Style) {
        if at >= cols {
            return;
        }
        let n = n.min(cols - at);
        self.split_wide_at(at);
        self.cells[at..cols].rotate_right(n);
        self.cells[at..at + n].fill(Cell::blank(bg));
        // A wide character pushed to the edge loses its right half.
        if cols > 0 && self.cells[cols - 1].wide {
            self.cells[cols - 1] = Cell::blank(bg);
        }
        self.shift_combining(at, n as i64, cols);
    }

    /// Move the clusters of columns `from..end` by `by`; those moved out of
    /// that range go (the rest stay: a right margin may end the range).
    fn shift_combining(&mut self, from: usize, by: i64, end: usize) {
        let cols = end;
        self.combining.retain_mut(|(c, _)| {
            let col = usize::from(*c);
            if col < from || col >= end {
                return true;
            }
            let moved = col as i64 + by;
            if moved < from as i64 || moved >= cols as i64 {
                return false;
            }
            *c = moved as u16;
            true
        });
    }

    /// Columns in use: up to the last cell that is not a default blank.
    pub fn used_len(&self, cols: usize) -> usize {
        let cols = cols.min(self.cells.len());
        self.cells[..cols]
            .iter()
            .rposition(|c| !c.is_default_blank())
            .map_or(0, |i| i + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths() {
        assert_eq!(char_width('a'), 1);
        assert_eq!(char_width('\u{7}'), 0);
        assert_eq!(char_width('日'), 2);
        assert_eq!(char_width('\u{301}'), 0);
        assert_eq!(char_width('🙂'), 2);
    }

    #[test]
    fn wide_and_narrow_blocks_agree_with_the_width_table() {
        for c in WIDE_BLOCKS.into_iter().flatten() {
            assert_eq!(c.width(), Some(2), "{c:?} U+{:04X}", c as u32);
        }
        for c in NARROW_BLOCKS.into_iter().flatten() {
            assert_eq!(c.width(), Some(1), "{c:?} U+{:04X}", c as u32);
        }
    }

    #[test]
    fn erasing_half_a_wide_char_blanks_both_halves() {
        let mut r = Row::new(4, 0);
        r.cells[1] = Cell {
            ch: '日',
            wide: true,
            ..Cell::default()
        };
        r.cells[2] = Cell {
            ch: SPACER,
            ..Cell::default()
        };
        r.erase(2, 3, Style::default());
        assert_eq!(r.cells[1].ch, ' ');
        assert!(!r.cells[1].wide);
    }

    #[test]
    fn insert_and_delete_shift_combining_marks() {
        let mut r = Row::new(5, 0);
        r.cells[2].ch = 'e';
        r.combine(2, '\u{301}');
        r.insert_cells(0, 1, 5, Style::default());
        assert_eq!(r.cells[3].ch, 'e');
        assert_eq!(r.combining_at(3), Some("\u{301}"));
        r.delete_cells(0, 2, 5, Style::default());
        assert_eq!(r.cells[1].ch, 'e');
        assert_eq!(r.combining_at(1), Some("\u{301}"));
        r.delete_cells(0, 2, 5, Style::default());
        assert!(r.combining.is_empty());
    }
}
