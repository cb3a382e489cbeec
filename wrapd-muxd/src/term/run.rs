//! The run path: text written a row's stretch at a time.
//!
//! Most output is runs of text: printable ASCII, and letters of other
//! scripts and emoji one or two columns wide that never share a cluster
//! with their neighbours. The performer does not write those one character
//! at a time: it collects them in `State::pending_text` and
//! [`State::flush_text`] writes them a row's stretch at a time (one loop over
//! the cells, wrapping between stretches), before any other action and at the
//! end of every [`super::Term::feed`]. Everything else (combining marks,
//! pieces of clusters, controls; and any text in insert mode, with autowrap
//! off, between left and right margins, with another set than ASCII in GL
//! or GR or a single shift waiting: see charset.rs) takes
//! [`State::print_any`] (print.rs), one character at a time; the run path
//! gives exactly what `print_any` would, character by character
//! (`print_tests.rs` checks it against random input).

use super::cluster;
use super::grid::{Cell, Row, SPACER, char_width};
use super::state::State;

/// Characters held back at most before they are written: a long line of
/// text without any control is written in pieces, so the buffer stays small
/// (4 KiB a terminal; a flush per thousand characters costs nothing).
pub(crate) const PENDING_TEXT_MAX: usize = 1024;

/// Printable ASCII: written by the run path.
#[inline]
pub(super) fn is_printable_ascii(c: char) -> bool {
    (' '..='~').contains(&c)
}

/// A run entry's flag: the character is two columns wide.
const RUN_WIDE: u32 = 1 << 31;

/// What `pending_text` holds for `c` if the run path can write it: printable
/// ASCII, or a character from U+00A0 on, one or two columns wide, that
/// never shares a cluster with the one before or after it
/// ([`cluster::is_simple`]; then `single_width` is `char_width`).
#[inline]
fn run_entry(c: char) -> Option<u32> {
    if is_printable_ascii(c) {
        return Some(c as u32);
    }
    if (c as u32) < 0xa0 || !cluster::is_simple(c) {
        return None;
    }
    match char_width(c) {
        1 => Some(c as u32),
        2 => Some(c as u32 | RUN_WIDE),
        _ => None,
    }
}

/// `row`, ready for a run to be written over `from..to`: a wide character
/// cut at either end loses both halves, and marks on the cells written over
/// go (as `put` does cell by cell).
#[inline]
fn clear_for_run(row: &mut Row, from: usize, to: usize) {
    row.split_wide_at(from);
    row.split_wide_at(to);
    if !row.combining.is_empty() {
        row.combining
            .retain(|(cx, _)| !(from..to).contains(&usize::from(*cx)));
    }
}

#[inline]
fn run_char(entry: u32) -> char {
    // Entries are made from chars by `run_entry`.
    char::from_u32(entry & !RUN_WIDE).unwrap_or(char::REPLACEMENT_CHARACTER)
}

#[inline]
fn run_width(entry: u32) -> usize {
    1 + usize::from(entry & RUN_WIDE != 0)
}

impl State {
    #[cfg(not(test))]
    #[inline(always)]
    fn batches_text(&self) -> bool {
        true
    }

    #[cfg(test)]
    fn batches_text(&self) -> bool {
        !self.char_by_char
    }

    /// A character from the parser: printable ASCII waits in `pending_text`,
    /// anything else takes [`State::print_other`]. The parser calls this for
    /// every character: the common case is a compare and a store.
    #[inline(always)]
    pub fn print(&mut self, c: char) {
        let len = self.pending_len;
        if is_printable_ascii(c) && len < PENDING_TEXT_MAX && self.batches_text() {
            self.pending_text[len] = c as u32;
            self.pending_len = len + 1;
        } else {
            self.print_other(c);
        }
    }

    /// Any character but printable ASCII with room for it: a character that
    /// the run path can write (see [`run_entry`]) waits too, anything else is
    /// written now, after what waits.
    #[inline(never)]
    fn print_other(&mut self, c: char) {
        let entry = match run_entry(c) {
            Some(entry) if self.batches_text() => entry,
            _ => {
                self.flush_text();
                self.print_any(c);
                return;
            }
        };
        if self.pending_len == PENDING_TEXT_MAX {
            self.flush_text();
        }
        self.pending_text[self.pending_len] = entry;
        self.pending_len += 1;
        self.pending_mixed |= entry >= 0x80;
    }

    /// Write the text that waits; every action but printing calls this
    /// first, so the order of effects is the program's. In the common case
    /// (the character sets pass it through, no single shift, no insert mode,
    /// autowrap on, no margins) a row's stretch at a time, else character by
    /// character.
    pub fn flush_text(&mut self) {
        let len = std::mem::take(&mut self.pending_len);
        if len == 0 {
            return;
        }
        let mixed = std::mem::take(&mut self.pending_mixed);
        if self.flags.insert
            || !self.flags.autowrap
            || !self.charsets.plain()
            || self.margins_narrow()
            || (mixed && (!self.charsets.passes_latin1() || self.cols < 2))
        {
            for i in 0..len {
                self.print_any(run_char(self.pending_text[i]));
            }
            return;
        }
        let mut at = 0;
        // A character that is not ASCII may continue the cluster before the
        // cursor (the ones after it follow characters that never join).
        if mixed && self.flags.clusters && self.pending_text[0] >= 0x80 {
            self.print_shown(run_char(self.pending_text[0]));
            if len == 1 {
                return;
            }
            at = 1;
        }
        while at < len {
            if self.cursor.pending_wrap {
                self.wrap();
            }
            at = if mixed {
                self.write_stretch(at, len)
            } else {
                self.write_ascii_stretch(at, len)
            };
        }
        self.last_char = Some(run_char(self.pending_text[len - 1]));
    }

    /// Write printable ASCII `pending_text[at..len]` from the cursor to the
    /// end of its row at most; returns how far it got.
    fn write_ascii_stretch(&mut self, at: usize, len: usize) -> usize {
        let (cols, pen, link) = (self.cols, self.pen, self.link);
        let x = usize::from(self.cursor.x);
        let n = (len - at).min(usize::from(cols) - x);
        self.dirty = true;
        let row = &mut self.grid[usize::from(self.cursor.y)];
        row.touch(cols, self.seq);
        clear_for_run(row, x, x + n);
        let stretch = &self.pending_text[at..at + n];
        for (cell, &entry) in row.cells[x..x + n].iter_mut().zip(stretch) {
            *cell = Cell {
                ch: char::from(entry as u8),
                style: pen,
                link,
                wide: false,
            };
        }
        self.advance_to(x + n, self.cols);
        at + n
    }

    /// Write the characters `pending_text[at..len]` (one or two columns
    /// wide) from the cursor to the end of its row at most; returns how far
    /// it got. A wide character that does not fit in the last column blanks
    /// it and wraps, as [`State::put`] does.
    fn write_stretch(&mut self, at: usize, len: usize) -> usize {
        let (cols, pen, link) = (usize::from(self.cols), self.pen, self.link);
        let x = usize::from(self.cursor.x);
        let (mut end, mut next) = (at, x);
        while end < len {
            let w = run_width(self.pending_text[end]);
            if next + w > cols {
                break;
            }
            next += w;
            end += 1;
        }
        if end == at {
            let y = self.cursor.y;
            self.row_mut(y).erase(x, cols, pen);
            self.wrap();
            return at;
        }
        self.dirty = true;
        let row = &mut self.grid[usize::from(self.cursor.y)];
        row.touch(self.cols, self.seq);
        clear_for_run(row, x, next);
        let mut cx = x;
        for &entry in &self.pending_text[at..end] {
            let wide = entry & RUN_WIDE != 0;
            row.cells[cx] = Cell {
                ch: run_char(entry),
                style: pen,
                link,
                wide,
            };
            if wide {
                row.cells[cx + 1] = Cell {
                    ch: SPACER,
                    style: pen,
                    link,
                    wide: false,
                };
                cx += 2;
            } else {
                cx += 1;
            }
        }
        self.advance_to(next, self.cols);
        end
    }
}
