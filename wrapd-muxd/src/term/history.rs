//! Scrollback: rows that scrolled off the top, stored compactly.
//!
//! A history row is a byte string: a flags byte, the row's text as UTF-8 (wide
//! characters once, combining marks after their base, trailing default blanks
//! left out), then — only when some cell is a grapheme cluster that the
//! per-character rule would not give back (see cluster.rs) — where those
//! cells are (column, bytes of text, width), and — only when some cell is not
//! default-styled — the style runs, each a column count and a tagged style
//! (colours take one byte for a palette index, three for RGB). Plain text
//! costs little more than its characters.
//!
//! Rows are stored back to back in blocks of about [`BLOCK_BYTES`], not one
//! allocation each (which costs more than an 80-column row's text). A full
//! block is sealed: compressed with LZ4, which about halves real output. Reading
//! a row of a sealed block decompresses the block once into a one-block cache,
//! so reading rows in order (a snapshot, a search) stays cheap.

use std::collections::VecDeque;
use std::sync::Mutex;

use super::cluster::follows_char_rule;
use super::grid::{Cell, Row, SPACER, char_width};
use super::style::{Attrs, Color, Style};

/// Bytes a history row costs besides its data (its end offset and sequence number).
pub(super) const ROW_OVERHEAD: usize = 12;
/// Encoded bytes of rows a block takes before it is sealed.
const BLOCK_BYTES: usize = 32 * 1024;

const FLAG_WRAPPED: u8 = 1;
const FLAG_STYLED: u8 = 2;
const FLAG_CLUSTERS: u8 = 4;

/// Rows stored back to back.
pub(super) struct Block {
    /// Stable index of the block's first row (which may be trimmed already).
    pub first: u64,
    pub data: Data,
    /// End of each row in the (uncompressed) data.
    pub ends: Vec<u32>,
    /// Sequence number of each row's last change (before or when it was pushed).
    pub seqs: Vec<u64>,
}

pub(super) enum Data {
    /// The newest block, still taking rows.
    Open(Vec<u8>),
    /// A full block, LZ4-compressed (size prepended).
    Sealed(Box<[u8]>),
}

impl Block {
    fn new(first: u64) -> Block {
        Block {
            first,
            data: Data::Open(Vec::with_capacity(BLOCK_BYTES + 1024)),
            ends: Vec::new(),
            seqs: Vec::new(),
        }
    }

    pub(super) fn range(&self, k: usize) -> std::ops::Range<usize> {
        let start = if k == 0 { 0 } else { self.ends[k - 1] as usize };
        start..self.ends[k] as usize
    }

    fn seal(&mut self) {
        if let Data::Open(data) = &self.data {
            self.data = Data::Sealed(lz4_flex::compress_prepend_size(data).into_boxed_slice());
            self.ends.shrink_to_fit();
            self.seqs.shrink_to_fit();
        }
    }

    /// Decompress a sealed block for writing (rare: the screen grew taller).
    fn unseal(&mut self) {
        if let Data::Sealed(packed) = &self.data {
            let data = lz4_flex::decompress_size_prepended(packed).unwrap_or_default();
            self.data = Data::Open(data);
        }
    }
}

pub(crate) struct History {
    pub(super) blocks: VecDeque<Block>,
    /// Stable index of the oldest row kept.
    pub(super) start: u64,
    /// Rows kept.
    pub(super) len: usize,
    /// Approximate memory held, for the byte cap.
    pub(super) bytes: usize,
    pub(super) max_lines: usize,
    pub(super) max_bytes: usize,
    /// The last sealed block read, decompressed: (its first row, its data).
    cache: Mutex<Option<(u64, Vec<u8>)>>,
}

impl History {
    pub fn new(max_lines: usize, max_bytes: usize) -> History {
        History {
            blocks: VecDeque::new(),
            start: 0,
            len: 0,
            bytes: 0,
            max_lines,
            max_bytes,
            cache: Mutex::new(None),
        }
    }

    pub fn start(&self) -> u64 {
        self.start
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Approximate bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The index the next pushed row gets.
    pub fn end(&self) -> u64 {
        self.start + self.len as u64
    }

    /// Append a row (it gets index `end()`), trimming the oldest past the caps.
    pub fn push(&mut self, row: &Row, cols: usize, seq: u64) {
        if self.max_lines == 0 {
            self.start += 1;
            return;
        }
        let end = self.end();
        let full = match self.blocks.back() {
            Some(Block {
                data: Data::Open(d),
                ..
            }) => d.len() >= BLOCK_BYTES,
            _ => true,
        };
        if full {
            if let Some(b) = self.blocks.back_mut() {
                b.seal();
            }
            self.blocks.push_back(Block::new(end));
        }
        let block = self.blocks.back_mut().expect("just ensured");
        let Data::Open(data) = &mut block.data else {
            unreachable!("the newest block is open")
        };
        let before = data.len();
        encode_into(row, cols, data);
        block.ends.push(data.len() as u32);
        block.seqs.push(seq);
        self.bytes += data.len() - before + ROW_OVERHEAD;
        self.len += 1;
        while self.len > self.max_lines || (self.bytes > self.max_bytes && self.len > 1) {
            self.pop_front();
        }
    }

    fn pop_front(&mut self) {
        let Some(front) = self.blocks.front() else {
            return;
        };
        let k = (self.start - front.first) as usize;
        self.bytes -= front.range(k).len() + ROW_OVERHEAD;
        self.start += 1;
        self.len -= 1;
        if k + 1 == front.ends.len() {
            self.blocks.pop_front();
        }
    }

    /// Take the newest row back (the screen grew taller).
    pub fn pop_back(&mut self, cols: u16) -> Option<Row> {
        if self.len == 0 {
            return None;
        }
        let block = self.blocks.back_mut()?;
        block.unseal();
        let k = block.ends.len() - 1;
        let range = block.range(k);
        let Data::Open(data) = &mut block.data else {
            unreachable!("unsealed")
        };
        // (A block restored from a damaged state may hold less.)
        let mut row = decode(data.get(range.clone()).unwrap_or_default(), cols);
        row.seq = block.seqs[k];
        data.truncate(range.start);
        block.ends.pop();
        block.seqs.pop();
        if block.ends.is_empty() {
            self.blocks.pop_back();
        }
        self.bytes -= range.len() + ROW_OVERHEAD;
        self.len -= 1;
        *self.cache.lock().unwrap_or_else(|e| e.into_inner()) = None;
        Some(row)
    }

    /// Forget everything (ED 3); indices go on from where they were.
    pub fn clear(&mut self) {
        self.start = self.end();
        self.len = 0;
        self.blocks.clear();
        self.bytes = 0;
        *self.cache.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// The block holding row `index` and the row's position in it.
    fn locate(&self, index: u64) -> Option<(&Block, usize)> {
        if index < self.start || index >= self.end() {
            return None;
        }
        let b = self
            .blocks
            .partition_point(|b| b.first <= index)
            .checked_sub(1)?;
        let block = &self.blocks[b];
        Some((block, (index - block.first) as usize))
    }

    pub fn get(&self, index: u64, cols: u16) -> Option<Row> {
        let (block, k) = self.locate(index)?;
        let range = block.range(k);
        let mut row = match &block.data {
            Data::Open(data) => decode(data.get(range).unwrap_or_default(), cols),
            Data::Sealed(packed) => {
                let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
                if cache
                    .as_ref()
                    .is_none_or(|(first, _)| *first != block.first)
                {
                    let data = lz4_flex::decompress_size_prepended(packed).unwrap_or_default();
                    *cache = Some((block.first, data));
                }
                let data = &cache.as_ref().expect("just filled").1;
                decode(data.get(range).unwrap_or_default(), cols)
            }
        };
        row.seq = block.seqs[k];
        Some(row)
    }

    pub fn seq(&self, index: u64) -> Option<u64> {
        let (block, k) = self.locate(index)?;
        Some(block.seqs[k])
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
pub(crate) fn encode_into(row: &Row, cols: usize, buf: &mut Vec<u8>) {
    let used = row.used_len(cols);
    let cells = &row.cells[..used];
    let flags_at = buf.len();
    buf.push(u8::from(row.wrapped) * FLAG_WRAPPED);
    // The text's length goes before it: one byte, made longer if it must be.
    let len_at = buf.len();
    buf.push(0);
    let text_at = buf.len();
    // One pass to learn what the row needs; plain ASCII is then a copy.
    let mut unstyled = true;
    let mut printable_ascii = row.combining.is_empty();
    for c in cells {
        unstyled &= c.is_unstyled();
        printable_ascii &= (c.ch as u32).wrapping_sub(0x20) < 0x5f;
    }
    let styled = !unstyled;
    // Cells the per-character rule would not give back: (column, bytes, width).
    let mut clusters: Vec<(usize, usize, u8)> = Vec::new();
    if printable_ascii {
        buf.extend(cells.iter().map(|c| c.ch as u8));
    } else {
        // Room for the longest text once (four bytes a cell, and the marks),
        // written at an index and cut to length: no capacity check per byte.
        let combining = !row.combining.is_empty();
        let marks: usize = row.combining.iter().map(|(_, m)| m.len()).sum();
        buf.resize(text_at + cells.len() * 4 + marks, 0);
        let out = &mut buf[text_at..];
        let mut n = 0;
        for (x, c) in cells.iter().enumerate() {
            let start = n;
            if c.ch.is_ascii() {
                out[n] = c.ch as u8;
                n += usize::from(c.ch != SPACER);
            } else {
                n += c.ch.encode_utf8(&mut out[n..]).len();
            }
            let tail = if combining {
                row.combining_at(x as u16)
            } else {
                None
            };
            if let Some(comb) = tail {
                out[n..n + comb.len()].copy_from_slice(comb.as_bytes());
                n += comb.len();
            }
            // Only a cluster, or a regional indicator (four bytes) alone, may
            // break the rule.
            if (tail.is_some() || n - start == 4) && !follows_char_rule(c, tail) {
                clusters.push((x, n - start, 1 + u8::from(c.wide)));
            }
        }
        buf.truncate(text_at + n);
    }
    let text_len = buf.len() - text_at;
    if text_len < 0x80 {
        buf[len_at] = text_len as u8;
    } else {
        let mut len = Vec::with_capacity(3);
        put_varint(&mut len, text_len as u64);
        buf.splice(len_at..text_at, len);
    }
    if !clusters.is_empty() {
        buf[flags_at] |= FLAG_CLUSTERS;
        put_varint(buf, clusters.len() as u64);
        for (x, len, width) in clusters {
            put_varint(buf, x as u64);
            put_varint(buf, len as u64);
            buf.push(width);
        }
    }
    if styled {
        buf[flags_at] |= FLAG_STYLED;
        let mut x = 0;
        while x < used {
            let (style, link) = (cells[x].style, cells[x].link);
            let run = cells[x..]
                .iter()
                .take_while(|c| c.style == style && c.link == link)
                .count();
            put_varint(buf, run as u64);
            put_style(buf, &style, link);
            x += run;
        }
    }
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
    let mut clusters = Vec::new();
    if flags & FLAG_CLUSTERS != 0 {
        let count = get_varint(data, &mut pos).min(usize::from(u16::MAX) as u64);
        for _ in 0..count {
            let x = get_varint(data, &mut pos) as usize;
            let len = get_varint(data, &mut pos) as usize;
            let width = data.get(pos).copied().unwrap_or(1).clamp(1, 2);
            pos += 1;
            clusters.push((x, len, width));
        }
    }
    let mut clusters = clusters.into_iter().peekable();
    let mut x = 0usize;
    let mut at = 0usize;
    let mut last_base = None;
    while at < text.len() {
        while clusters.next_if(|&(cx, _, _)| cx < x).is_some() {}
        // A cell spelt out: its text, as wide as it says.
        if let Some(&(cx, len, width)) = clusters.peek()
            && cx == x
            && let Some(cluster) = text
                .get(at..at.saturating_add(len))
                .filter(|t| !t.is_empty())
        {
            clusters.next();
            let mut chars = cluster.chars();
            let base = chars.next().expect("not empty");
            let w = usize::from(width);
            put_cell(&mut row, x, base, w);
            row.set_tail(x as u16, chars.as_str().to_owned());
            last_base = Some(x);
            x += w;
            at += len;
            continue;
        }
        let c = text[at..].chars().next().expect("not at the end");
        at += c.len_utf8();
        let w = usize::from(char_width(c));
        if w == 0 {
            if let Some(b) = last_base {
                row.combine(b as u16, c);
            }
            continue;
        }
        put_cell(&mut row, x, c, w);
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

/// A decoded cell: `c` at `x`, `w` columns wide (the row grows if it must).
fn put_cell(row: &mut Row, x: usize, c: char, w: usize) {
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

    fn encode(row: &Row, cols: usize) -> Vec<u8> {
        let mut buf = Vec::new();
        encode_into(row, cols, &mut buf);
        buf
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
    fn rows_with_long_text_round_trip() {
        // 50 wide characters: 150 bytes of text, a two-byte length.
        let mut r = row_of(&"日".repeat(50), 100);
        r.cells[4].style.fg = Color::Indexed(3);
        let data = encode(&r, 100);
        assert_eq!(&data[1..3], &[0x96, 0x01]);
        assert_eq!(decode(&data, 100), r);
        let r = row_of(&"x".repeat(127), 127);
        assert_eq!(decode(&encode(&r, 127), 127), r);
        let r = row_of(&"x".repeat(128), 128);
        assert_eq!(decode(&encode(&r, 128), 128), r);
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
    fn rows_of_sealed_blocks_read_back_trim_and_pop() {
        let mut h = History::new(2000, usize::MAX);
        let line = |i: u64| {
            row_of(
                &format!("row {i} of many rows, long enough to fill blocks"),
                80,
            )
        };
        for i in 0..3000 {
            h.push(&line(i), 80, i + 1);
        }
        assert!(h.blocks.len() > 2, "{} blocks", h.blocks.len());
        assert!(matches!(h.blocks[0].data, Data::Sealed(_)));
        assert_eq!((h.start(), h.end(), h.len()), (1000, 3000, 2000));
        assert!(h.get(999, 80).is_none());
        // Out of order, across sealed blocks and the open one.
        for i in [1000, 2999, 1500, 1001, 2500, 1000] {
            let row = h.get(i, 80).unwrap();
            assert_eq!(row.cells, line(i).cells, "row {i}");
            assert_eq!(row.seq, i + 1);
            assert_eq!(h.seq(i), Some(i + 1));
        }
        // Popping past the open block unseals the one before it.
        let open_rows = h.blocks.back().unwrap().ends.len() as u64;
        for i in (3000 - open_rows - 5..3000).rev() {
            assert_eq!(h.pop_back(80).unwrap().cells, line(i).cells, "row {i}");
        }
        assert_eq!(
            h.get(h.end() - 1, 80).unwrap().cells,
            line(h.end() - 1).cells
        );
        h.push(&line(7), 80, 1);
        assert_eq!(h.get(h.end() - 1, 80).unwrap().cells, line(7).cells);
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
