//! Rectangular-area operations (VT420, as xterm does them) and character
//! protection.
//!
//! - DECCRA copies, DECERA erases, DECFRA fills, DECSERA erases what is not
//!   protected, DECCARA and DECRARA change or reverse attributes (bold,
//!   underline, blink, inverse) — the last two over the rectangle, or from
//!   its first cell to its last as text runs (DECSACE, the default).
//! - Protection: DECSCA (`CSI 1 " q`) protects the characters printed next
//!   from selective erase (DECSED, DECSEL, DECSERA); SPA/EPA (`ESC V`,
//!   `ESC W`) protect them from every erase (ED, EL, ECH, DECERA too), as
//!   xterm's ISO mode does: whichever was last turned on decides.
//!
//! Coordinates are 1-based and inclusive, count from the region's top and the
//! left margin in origin mode, default to the whole screen and are cut to
//! it (see [`State::rectangle`]). The protection bit rides in the cell's
//! attributes ([`Attrs::PROTECTED`]): printing costs nothing more, and it is
//! never sent to clients.

use vte::Params;

use super::grid::{Cell, Row, SPACER};
use super::state::State;
use super::style::Attrs;

/// The attributes DECCARA and DECRARA change.
const RECT_ATTRS: [(u16, Attrs); 4] = [
    (1, Attrs::BOLD),
    (4, Attrs::UNDERLINE),
    (5, Attrs::BLINK),
    (7, Attrs::INVERSE),
];

/// A row's cells copied by DECCRA, and the rest of their clusters (by the
/// column they go to).
type CopiedRow = (Vec<Cell>, Vec<(u16, String)>);

/// How an erase treats protected characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Erase {
    /// Everything, unless SPA/EPA (ISO) protection is in use.
    Normal,
    /// Only what is not protected (DECSED, DECSEL, DECSERA).
    Selective,
}

impl State {
    /// Whether an erase of this kind keeps protected characters.
    #[inline]
    pub(crate) fn erase_keeps_protected(&self, how: Erase) -> bool {
        how == Erase::Selective || self.iso_protection
    }

    /// Blank columns `from..to` of row `y` the way `how` says.
    pub(crate) fn erase_cells(&mut self, y: u16, from: usize, to: usize, how: Erase) {
        let pen = self.pen;
        let keep = self.erase_keeps_protected(how);
        let row = self.row_mut(y);
        if keep {
            erase_unprotected(row, from, to, pen);
        } else {
            row.erase(from, to, pen);
        }
    }

    /// DECSCA (`CSI Ps " q`): 1 protects what is printed next, 0 and 2 do not.
    pub fn set_protection(&mut self, ps: u16) {
        match ps {
            1 => {
                self.pen.attrs |= Attrs::PROTECTED;
                self.iso_protection = false;
            }
            0 | 2 => self.pen.attrs -= Attrs::PROTECTED,
            _ => {}
        }
    }

    /// SPA (`ESC V`, `on`) and EPA (`ESC W`).
    pub fn guarded_area(&mut self, on: bool) {
        if on {
            self.pen.attrs |= Attrs::PROTECTED;
            self.iso_protection = true;
        } else {
            self.pen.attrs -= Attrs::PROTECTED;
        }
    }

    /// DECSED (`CSI ? Ps J`; ED with `how` normal under ISO protection):
    /// ED that keeps protected characters.
    pub fn erase_display_as(&mut self, mode: u16, how: Erase) {
        let (x, y, cols) = (
            usize::from(self.cursor.x),
            self.cursor.y,
            usize::from(self.cols),
        );
        let rows = match mode {
            0 => {
                self.erase_cells(y, x, cols, how);
                self.row_mut(y).wrapped = false;
                y + 1..self.rows
            }
            1 => {
                self.erase_cells(y, 0, x + 1, how);
                0..y
            }
            2 => 0..self.rows,
            _ => return,
        };
        for r in rows {
            self.erase_cells(r, 0, cols, how);
        }
        self.cursor.pending_wrap = false;
    }

    /// DECSEL (`CSI ? Ps K`; EL with `how` normal under ISO protection).
    pub fn erase_line_as(&mut self, mode: u16, how: Erase) {
        let (x, y, cols) = (
            usize::from(self.cursor.x),
            self.cursor.y,
            usize::from(self.cols),
        );
        match mode {
            0 => {
                self.erase_cells(y, x, cols, how);
                self.row_mut(y).wrapped = false;
            }
            1 => self.erase_cells(y, 0, x + 1, how),
            2 => self.erase_cells(y, 0, cols, how),
            _ => {}
        }
        self.cursor.pending_wrap = false;
    }

    /// DECERA (`CSI Pt;Pl;Pb;Pr $ z`) and DECSERA (`CSI Pt;Pl;Pb;Pr $ {`).
    pub fn erase_rect(&mut self, params: &Params, how: Erase) {
        let (top, left, bottom, right) = self.rectangle(params, 0);
        for y in top..bottom {
            self.erase_cells(y, usize::from(left), usize::from(right), how);
        }
    }

    /// DECFRA (`CSI Pch;Pt;Pl;Pb;Pr $ x`): fill with a graphic character in
    /// the pen's style (other characters are ignored, as in xterm), as it
    /// is: not through the character sets, as in xterm.
    pub fn fill_rect(&mut self, params: &Params) {
        let code = params.iter().next().and_then(|p| p.first().copied());
        let Some(c) = code.and_then(|c| char::from_u32(u32::from(c))) else {
            return;
        };
        if !matches!(c, ' '..='~' | '\u{a0}'..='\u{ff}') {
            return;
        }
        let (top, left, bottom, right) = self.rectangle(params, 1);
        let cell = Cell {
            ch: c,
            style: self.pen,
            link: self.link,
            wide: false,
        };
        let (l, r) = (usize::from(left), usize::from(right));
        for y in top..bottom {
            let row = self.row_mut(y);
            row.split_wide_at(l);
            row.split_wide_at(r);
            if l < r {
                row.cells[l..r].fill(cell);
            }
            row.combining
                .retain(|(x, _)| !(l..r).contains(&usize::from(*x)));
        }
    }

    /// DECCRA (`CSI Pts;Pls;Pbs;Prs;Pps;Ptd;Pld;Ppd $ v`): copy a rectangle to
    /// another place (pages ignored: there is one), cut to the screen;
    /// overlapping is fine.
    pub fn copy_rect(&mut self, params: &Params) {
        let (top, left, bottom, right) = self.rectangle(params, 0);
        // The destination's top-left corner (parameters 6 and 7), read as a
        // rectangle's is.
        let (to_top, to_left, _, _) = self.rectangle(params, 5);
        let height = (bottom - top).min(self.rows - to_top);
        let width = (right - left).min(self.cols - to_left);
        if height == 0 || width == 0 {
            return;
        }
        let copied: Vec<CopiedRow> = (top..top + height)
            .map(|y| {
                let row = &self.grid[usize::from(y)];
                let cells = row.cells[usize::from(left)..usize::from(left + width)].to_vec();
                let tails = row
                    .combining
                    .iter()
                    .filter(|(x, _)| (left..left + width).contains(x))
                    .map(|(x, t)| (x - left + to_left, t.clone()))
                    .collect();
                (cells, tails)
            })
            .collect();
        let (l, r) = (usize::from(to_left), usize::from(to_left + width));
        for (i, (mut cells, tails)) in copied.into_iter().enumerate() {
            // Halves of wide characters cut at the edges become blanks.
            if cells.first().is_some_and(|c| c.ch == SPACER) {
                cells[0] = Cell::blank(cells[0].style);
            }
            if cells.last().is_some_and(|c| c.wide) {
                let last = cells.len() - 1;
                cells[last] = Cell::blank(cells[last].style);
            }
            let row = self.row_mut(to_top + i as u16);
            row.split_wide_at(l);
            row.split_wide_at(r);
            row.cells[l..r].copy_from_slice(&cells);
            row.combining
                .retain(|(x, _)| !(l..r).contains(&usize::from(*x)));
            row.combining.extend(tails);
        }
    }

    /// DECCARA (`CSI Pt;Pl;Pb;Pr;Ps... $ r`, `reverse` false) and DECRARA
    /// (`... $ t`): set (or toggle) bold, underline, blink, inverse; 0 is all
    /// four (DECCARA: clears them; 22, 24, 25, 27 clear one).
    pub fn change_rect_attrs(&mut self, params: &Params, reverse: bool) {
        let (top, left, bottom, right) = self.rectangle(params, 0);
        let (mut set, mut clear) = (Attrs::empty(), Attrs::empty());
        let all = RECT_ATTRS.iter().fold(Attrs::empty(), |a, (_, b)| a | *b);
        let codes: Vec<u16> = params
            .iter()
            .skip(4)
            .map(|p| p.first().copied().unwrap_or(0))
            .collect();
        for code in if codes.is_empty() { vec![0] } else { codes } {
            match code {
                0 => {
                    clear |= all;
                    set = Attrs::empty();
                }
                _ => {
                    for (n, bit) in RECT_ATTRS {
                        if code == n {
                            set |= bit;
                            clear -= bit;
                        } else if code == n + 20 && n != 1 || code == 22 && n == 1 {
                            clear |= bit;
                            set -= bit;
                        }
                    }
                }
            }
        }
        if top >= bottom || left >= right {
            return;
        }
        let change = |a: Attrs| {
            if reverse {
                // DECRARA: 0 toggles all four; 22, 24... mean nothing.
                a ^ (set | if clear == all { all } else { Attrs::empty() })
            } else {
                (a - clear) | set
            }
        };
        let cols = self.cols;
        let rectangle = self.rect_attrs_exact;
        for y in top..bottom {
            // As text runs: the first row from `left`, the last to `right`.
            let (from, to) = if rectangle {
                (left, right)
            } else {
                (
                    if y == top { left } else { 0 },
                    if y + 1 == bottom { right } else { cols },
                )
            };
            let row = self.row_mut(y);
            for cell in &mut row.cells[usize::from(from)..usize::from(to)] {
                cell.style.attrs = change(cell.style.attrs);
            }
        }
    }

    /// DECSACE (`CSI Ps * x`): 2 makes DECCARA/DECRARA work on the exact
    /// rectangle, 0 and 1 on the text from its first cell to its last.
    pub fn set_attr_change_extent(&mut self, ps: u16) {
        match ps {
            0 | 1 => self.rect_attrs_exact = false,
            2 => self.rect_attrs_exact = true,
            _ => {}
        }
    }
}

/// Blank the cells of `from..to` that are not protected.
fn erase_unprotected(row: &mut Row, from: usize, to: usize, pen: super::style::Style) {
    let to = to.min(row.cells.len());
    let mut x = from;
    while x < to {
        if row.cells[x].style.attrs.contains(Attrs::PROTECTED) {
            x += 1;
            continue;
        }
        let start = x;
        while x < to && !row.cells[x].style.attrs.contains(Attrs::PROTECTED) {
            x += 1;
        }
        row.erase(start, x, pen);
    }
}
