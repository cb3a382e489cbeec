//! Scrollback: rows that scrolled off the top, stored compactly.
//!
//! A history row is one boxed byte string: a flags byte, the row's text as
//! UTF-8 (wide characters once, combining marks after their base, trailing
//! default blanks left out) and — only when some cell is not default-styled —
//! the style runs, each a column count and a tagged style (colours take one
//! byte for a palette index, three for RGB). Plain text costs little more than
//! its characters.

use std::collections::VecDeque;

use super::grid::{Cell, Row, SPACER, char_width};
use super::style::{Attrs, Color, Style};

/// Bytes a history row costs besides its data (the deque slot, the allocation).
const ROW_OVERHEAD: usize = 40;

const FLAG_WRAPPED: u8 = 1;
const FLAG_STYLED: u8 = 2;

struct Compact {
    data: Box<[u8]>,
    /// Sequence number of the row's last change (before or when it was pushed).
    seq: u64,
}

pub(crate) struct History {
    rows: VecDeque<Compact>,
    /// Stable index of `rows[0]`.
    start: u64,
    /// Approximate memory held, for the byte cap.
    bytes: usize,
    max_lines: usize,
    max_bytes: usize,
}

impl History {
    pub fn new(max_lines: usize, max_bytes: usize) -> History {
        History {
            rows: VecDeque::new(),
            start: 0,
            bytes: 0,
            max_lines,
            max_bytes,
        }
    }

    pub fn start(&self) -> u64 {
        self.start
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Approximate bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The index the next pushed row gets.
    pub fn end(&self) -> u64 {
        self.start + self.rows.len() as u64
    }

    /// Append a row (it gets index `end()`), trimming the oldest past the caps.
    pub fn push(&mut self, row: &Row, cols: usize, seq: u64) {
        if self.max_lines == 0 {
            self.start += 1;
            return;
        }
        let data = encode(row, cols);
        self.bytes += data.len() + ROW_OVERHEAD;
        self.rows.push_back(Compact { data, seq });
        while self.rows.len() > self.max_lines
            || (self.bytes > self.max_bytes && self.rows.len() > 1)
        {
            self.pop_front();
        }
    }

    fn pop_front(&mut self) {
        if let Some(r) = self.rows.pop_front() {
            self.bytes -= r.data.len() + ROW_OVERHEAD;
            self.start += 1;
        }
    }

    /// Take the newest row back (the screen grew taller).
    pub fn pop_back(&mut self, cols: u16) -> Option<Row> {
        let r = self.rows.pop_back()?;
        self.bytes -= r.data.len() + ROW_OVERHEAD;
        let mut row = decode(&r.data, cols);
        row.seq = r.seq;
        Some(row)
    }

    /// Forget everything (ED 3); indices go on from where they were.
    pub fn clear(&mut self) {
        self.start = self.end();
        self.rows.clear();
        self.bytes = 0;
    }

    pub fn get(&self, index: u64, cols: u16) -> Option<Row> {
        let i = usize::try_from(index.checked_sub(self.start)?).ok()?;
        let r = self.rows.get(i)?;
        let mut row = decode(&r.data, cols);
        row.seq = r.seq;
        Some(row)
    }

    pub fn seq(&self, index: u64) -> Option<u64> {
        let i = usize::try_from(index.checked_sub(self.start)?).ok()?;
        self.rows.get(i).map(|r| r.seq)
    }
}

fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push(v as u8 | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

fn get_varint(data: &[u8], pos: &mut usize) -> u64 {
    let mut v = 0u64;
    let mut shift = 0;
    while let Some(&b) = data.get(*pos) {
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 || shift > 56 {
            break;
        }
        shift += 7;
    }
    v
}

fn color_kind(c: Color) -> u8 {
    match c {
        Color::Default => 0,
        Color::Indexed(_) => 1,
        Color::Rgb(..) => 2,
    }
}

fn put_color(buf: &mut Vec<u8>, c: Color) {
    match c {
        Color::Default => {}
        Color::Indexed(i) => buf.push(i),
        Color::Rgb(r, g, b) => buf.extend_from_slice(&[r, g, b]),
    }
}

fn get_color(kind: u8, data: &[u8], pos: &mut usize) -> Color {
    let byte = |pos: &mut usize| {
        let b = data.get(*pos).copied().unwrap_or(0);
        *pos += 1;
        b
    };
    match kind {
        1 => Color::Indexed(byte(pos)),
        2 => Color::Rgb(byte(pos), byte(pos), byte(pos)),
        _ => Color::Default,
    }
}

fn put_style(buf: &mut Vec<u8>, s: &Style, link: u16) {
    let tag = color_kind(s.fg)
        | color_kind(s.bg) << 2
        | color_kind(s.underline_color) << 4
        | u8::from(!s.attrs.is_empty()) << 6
        | u8::from(link != 0) << 7;
    buf.push(tag);
    put_color(buf, s.fg);
    put_color(buf, s.bg);
    put_color(buf, s.underline_color);
    if !s.attrs.is_empty() {
        buf.extend_from_slice(&s.attrs.bits().to_le_bytes());
    }
    if link != 0 {
        put_varint(buf, u64::from(link));
    }
}

fn get_style(data: &[u8], pos: &mut usize) -> (Style, u16) {
    let tag = data.get(*pos).copied().unwrap_or(0);
    *pos += 1;
    let fg = get_color(tag & 3, data, pos);
    let bg = get_color(tag >> 2 & 3, data, pos);
    let underline_color = get_color(tag >> 4 & 3, data, pos);
    let attrs = if tag & 64 != 0 {
        let b = [
            data.get(*pos).copied().unwrap_or(0),
            data.get(*pos + 1).copied().unwrap_or(0),
        ];
        *pos += 2;
        Attrs::from_bits_truncate(u16::from_le_bytes(b))
    } else {
        Attrs::empty()
    };
    let link = if tag & 128 != 0 {
        get_varint(data, pos) as u16
    } else {
        0
    };
    (
        Style {
            fg,
            bg,
            underline_color,
            attrs,
        },
        link,
    )
}

/// A row's compact form (see the module docs).
pub(crate) fn encode(row: &Row, cols: usize) -> Box<[u8]> {
    let used = row.used_len(cols);
    let cells = &row.cells[..used];
    let text_len: usize = cells
        .iter()
        .enumerate()
        .filter(|(_, c)| c.ch != SPACER)
        .map(|(x, c)| c.ch.len_utf8() + row.combining_at(x as u16).map_or(0, str::len))
        .sum();
    let styled = cells
        .iter()
        .any(|c| c.style != Style::default() || c.link != 0);
    let mut buf = Vec::with_capacity(2 + text_len + if styled { 8 } else { 0 });
    buf.push((u8::from(row.wrapped) * FLAG_WRAPPED) | (u8::from(styled) * FLAG_STYLED));
    put_varint(&mut buf, text_len as u64);
    for (x, c) in cells.iter().enumerate() {
        if c.ch == SPACER {
            continue;
        }
        let mut tmp = [0; 4];
        buf.extend_from_slice(c.ch.encode_utf8(&mut tmp).as_bytes());
        if let Some(comb) = row.combining_at(x as u16) {
            buf.extend_from_slice(comb.as_bytes());
        }
    }
    if styled {
        let mut x = 0;
        while x < used {
            let (style, link) = (cells[x].style, cells[x].link);
            let run = cells[x..]
                .iter()
                .take_while(|c| c.style == style && c.link == link)
                .count();
            put_varint(&mut buf, run as u64);
            put_style(&mut buf, &style, link);
            x += run;
        }
    }
    buf.into_boxed_slice()
}

/// A row back from its compact form, `cols` wide (or wider, if it was).
pub(crate) fn decode(data: &[u8], cols: u16) -> Row {
    let mut row = Row::new(cols, 0);
    let Some(&flags) = data.first() else {
        return row;
    };
    row.wrapped = flags & FLAG_WRAPPED != 0;
    let mut pos = 1;
    let text_len = get_varint(data, &mut pos) as usize;
    let text_end = (pos + text_len).min(data.len());
    let text = std::str::from_utf8(&data[pos..text_end]).unwrap_or("");
    pos = text_end;
    let mut x = 0usize;
    let mut last_base = None;
    for c in text.chars() {
        let w = usize::from(char_width(c));
        if w == 0 {
            if let Some(b) = last_base {
                row.combine(b as u16, c);
            }
            continue;
        }
        if row.cells.len() < x + w {
            row.cells.resize(x + w, Cell::default());
        }
        row.cells[x] = Cell {
            ch: c,
            wide: w == 2,
            ..Cell::default()
        };
        if w == 2 {
            row.cells[x + 1].ch = SPACER;
        }
        last_base = Some(x);
        x += w;
    }
    if flags & FLAG_STYLED != 0 {
        let mut x = 0usize;
        while pos < data.len() {
            let run = get_varint(data, &mut pos) as usize;
            let (style, link) = get_style(data, &mut pos);
            for cell in row.cells.iter_mut().skip(x).take(run) {
                cell.style = style;
                cell.link = link;
            }
            x += run;
        }
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row_of(text: &str, cols: u16) -> Row {
        let mut r = Row::new(cols, 0);
        let mut x = 0;
        for c in text.chars() {
            let w = char_width(c);
            if w == 0 {
                r.combine(x as u16 - 1, c);
                continue;
            }
            r.cells[x] = Cell {
                ch: c,
                wide: w == 2,
                ..Cell::default()
            };
            if w == 2 {
                r.cells[x + 1].ch = SPACER;
            }
            x += usize::from(w);
        }
        r
    }

    #[test]
    fn plain_rows_are_their_text() {
        let r = row_of("hello world", 80);
        let data = encode(&r, 80);
        assert_eq!(data.len(), 2 + 11);
        assert_eq!(decode(&data, 80), r);
    }

    #[test]
    fn styles_wide_and_combining_round_trip() {
        let mut r = row_of("a日e\u{301}b  ", 10);
        r.wrapped = true;
        r.cells[0].style.fg = Color::Rgb(1, 2, 3);
        r.cells[1].style.attrs = Attrs::BOLD | Attrs::UNDERLINE;
        r.cells[2].style.attrs = Attrs::BOLD | Attrs::UNDERLINE;
        r.cells[3].link = 7;
        r.cells[6].style.bg = Color::Indexed(4);
        let back = decode(&encode(&r, 10), 10);
        assert_eq!(back, r);
    }

    #[test]
    fn caps_trim_the_oldest_and_indices_stay() {
        let mut h = History::new(3, usize::MAX);
        for i in 0..5 {
            h.push(&row_of(&format!("line {i}"), 10), 10, i);
        }
        assert_eq!((h.start(), h.end(), h.len()), (2, 5, 3));
        assert_eq!(h.get(2, 10).unwrap().cells, row_of("line 2", 10).cells);
        assert!(h.get(1, 10).is_none());
        assert_eq!(h.seq(4), Some(4));
        let mut h = History::new(1000, 200);
        for i in 0..10 {
            h.push(&row_of("0123456789", 10), 10, i);
        }
        assert!(h.bytes() <= 200 && h.len() >= 1, "{} bytes", h.bytes());
        assert_eq!(h.end(), 10);
        let back = h.pop_back(10).unwrap();
        assert_eq!(back.seq, 9);
        assert_eq!(h.end(), 9);
        h.clear();
        assert_eq!((h.start(), h.len()), (9, 0));
    }

    #[test]
    fn decoding_garbage_does_not_panic() {
        for data in [
            &[][..],
            &[2],
            &[3, 200],
            &[2, 1, b'a', 5, 255, 1],
            &[0, 0x80, 0x80],
        ] {
            let _ = decode(data, 4);
        }
    }
}
