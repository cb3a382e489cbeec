//! Saving and restoring what cells hold: styles, screen rows, hyperlink
//! targets, and the history's blocks (see persist.rs).

use std::collections::VecDeque;

use wrapd_proto::color::RGB_FLAG;
use wrapd_proto::state as pb;

use super::TermConfig;
use super::grid::{Cell, MAX_CLUSTER_TAIL, Row, SPACER};
use super::history::{Block, Data, History, ROW_OVERHEAD};
use super::links::{Links, MAX_LINK_LEN, MAX_LINKS};
use super::persist::{Result, below, link_id, out_of_range};
use super::style::{Attrs, Color, Style};

/// The encoding of history rows this daemon writes and reads (see the proto).
const ROW_ENCODING: u32 = 1;

fn save_color(c: Color) -> u32 {
    match c {
        Color::Default => 0,
        Color::Indexed(i) => wrapd_proto::color::indexed(i),
        Color::Rgb(r, g, b) => wrapd_proto::color::rgb(r, g, b),
    }
}

fn restore_color(v: u32, field: &str) -> Result<Color> {
    Ok(match v {
        0 => Color::Default,
        1..=256 => Color::Indexed((v - 1) as u8),
        _ if v & !0xff_ffff == RGB_FLAG => Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8),
        _ => return Err(out_of_range(field, v, "a colour (see Style)")),
    })
}

pub(super) fn save_style(s: Style) -> pb::Style {
    pb::Style {
        fg: save_color(s.fg),
        bg: save_color(s.bg),
        underline_color: save_color(s.underline_color),
        attrs: s.attrs.bits().into(),
    }
}

pub(super) fn restore_style(s: pb::Style, field: &str) -> Result<Style> {
    let attrs = u16::try_from(s.attrs)
        .ok()
        .and_then(Attrs::from_bits)
        .ok_or_else(|| out_of_range(format!("{field}.attrs"), s.attrs, "known attributes"))?;
    Ok(Style {
        fg: restore_color(s.fg, &format!("{field}.fg"))?,
        bg: restore_color(s.bg, &format!("{field}.bg"))?,
        underline_color: restore_color(s.underline_color, &format!("{field}.underline_color"))?,
        attrs,
    })
}

pub(super) fn save_screen(rows: &VecDeque<Row>) -> pb::Screen {
    pb::Screen {
        rows: rows.iter().map(save_row).collect(),
    }
}

/// A screen of exactly `rows` rows, each at least `cols` cells.
pub(super) fn restore_screen(
    screen: pb::Screen,
    cols: u16,
    rows: u16,
    links: usize,
    field: &str,
) -> Result<VecDeque<Row>> {
    if screen.rows.len() != usize::from(rows) {
        let field = format!("{field}.rows");
        return Err(out_of_range(
            field,
            screen.rows.len(),
            format!("{rows} rows"),
        ));
    }
    let restore = |(y, row)| restore_row(row, cols, links, &format!("{field}.rows[{y}]"));
    screen.rows.into_iter().enumerate().map(restore).collect()
}

fn save_row(row: &Row) -> pb::Row {
    let cells = &row.cells;
    let styled = cells
        .iter()
        .rposition(|c| !c.is_unstyled())
        .map_or(0, |x| x + 1);
    let mut runs = Vec::new();
    let mut x = 0;
    while x < styled {
        let (style, link) = (cells[x].style, cells[x].link);
        let n = cells[x..styled]
            .iter()
            .take_while(|c| c.style == style && c.link == link)
            .count();
        runs.push(pb::Run {
            cells: n as u32,
            style: Some(save_style(style)),
            link: link.into(),
        });
        x += n;
    }
    pb::Row {
        chars: cells.iter().map(|c| u32::from(c.ch)).collect(),
        wide: (0..)
            .zip(cells)
            .filter_map(|(x, c)| c.wide.then_some(x))
            .collect(),
        runs,
        tails: row
            .combining
            .iter()
            .map(|(col, text)| pb::Tail {
                col: (*col).into(),
                text: text.clone(),
            })
            .collect(),
        wrapped: row.wrapped,
        seq: row.seq,
    }
}

fn restore_row(r: pb::Row, cols: u16, links: usize, field: &str) -> Result<Row> {
    let len = r.chars.len();
    if len < usize::from(cols) || len > usize::from(u16::MAX) {
        let expected = format!("{cols} to {} cells", u16::MAX);
        return Err(out_of_range(format!("{field}.chars"), len, expected));
    }
    // (Checked above: every column fits in a u16.)
    let width = len as u16;
    let mut cells = Vec::with_capacity(len);
    for (x, &c) in r.chars.iter().enumerate() {
        // (No control character reaches a cell: one from a damaged state
        // would reach the clients' terminals.)
        let ch = char::from_u32(c)
            .filter(|&ch| ch == SPACER || !ch.is_control())
            .ok_or_else(|| {
                out_of_range(format!("{field}.chars[{x}]"), c, "a printable character")
            })?;
        cells.push(Cell {
            ch,
            ..Cell::default()
        });
    }
    let mut after = 0;
    for x in r.wide {
        // (Its right half may be gone: a row cut narrower when it was
        // written to after the terminal narrowed.)
        let x = usize::from(below(x, width, &format!("{field}.wide"))?);
        if x < after {
            return Err(out_of_range(format!("{field}.wide"), x, "ascending"));
        }
        cells[x].wide = true;
        after = x + 1;
    }
    let mut x = 0usize;
    for (i, run) in r.runs.into_iter().enumerate() {
        let run_field = format!("{field}.runs[{i}]");
        let n = run.cells as usize;
        if n > len - x {
            let expected = format!("at most the {} cells left", len - x);
            return Err(out_of_range(format!("{run_field}.cells"), n, expected));
        }
        let style = restore_style(run.style.unwrap_or_default(), &format!("{run_field}.style"))?;
        let link = link_id(run.link, links, &format!("{run_field}.link"))?;
        for cell in &mut cells[x..x + n] {
            cell.style = style;
            cell.link = link;
        }
        x += n;
    }
    let mut combining: Vec<(u16, String)> = Vec::with_capacity(r.tails.len());
    for (i, tail) in r.tails.into_iter().enumerate() {
        let tail_field = format!("{field}.tails[{i}]");
        let col = below(tail.col, width, &format!("{tail_field}.col"))?;
        if combining.iter().any(|(c, _)| *c == col) {
            return Err(out_of_range(
                format!("{tail_field}.col"),
                col,
                "one tail a cell",
            ));
        }
        if tail.text.chars().any(char::is_control) {
            let field = format!("{tail_field}.text");
            return Err(out_of_range(
                field,
                format!("{:?}", tail.text),
                "no control characters",
            ));
        }
        if tail.text.is_empty() || tail.text.len() > MAX_CLUSTER_TAIL {
            let expected = format!("1 to {MAX_CLUSTER_TAIL} bytes");
            return Err(out_of_range(
                format!("{tail_field}.text"),
                tail.text.len(),
                expected,
            ));
        }
        combining.push((col, tail.text));
    }
    Ok(Row {
        cells,
        combining,
        wrapped: r.wrapped,
        seq: r.seq,
    })
}

pub(super) fn restore_links(targets: Vec<String>) -> Result<Links> {
    if targets.len() > MAX_LINKS {
        let expected = format!("at most {MAX_LINKS}");
        return Err(out_of_range("links", targets.len(), expected));
    }
    let mut links = Links::default();
    for (i, target) in targets.iter().enumerate() {
        let field = format!("links[{i}]");
        if target.is_empty() || target.len() > MAX_LINK_LEN {
            let expected = format!("1 to {MAX_LINK_LEN} bytes");
            return Err(out_of_range(field, target.len(), expected));
        }
        if usize::from(links.id(target)) != i + 1 {
            return Err(out_of_range(field, target, "a target not listed before"));
        }
    }
    Ok(links)
}

pub(super) fn save_history(h: &History) -> pb::History {
    pb::History {
        row_encoding: ROW_ENCODING,
        start: h.start,
        blocks: h
            .blocks
            .iter()
            .map(|b| {
                let (data, compressed) = match &b.data {
                    Data::Open(data) => (data.clone(), false),
                    Data::Sealed(packed) => (packed.to_vec(), true),
                };
                pb::HistoryBlock {
                    first: b.first,
                    data,
                    compressed,
                    ends: b.ends.clone(),
                    seqs: b.seqs.clone(),
                }
            })
            .collect(),
    }
}

/// The history as saved, its blocks checked: one after another, each row
/// inside its block's data (a sealed block decompresses to its size).
pub(super) fn restore_history(h: pb::History, config: TermConfig) -> Result<History> {
    if h.row_encoding != ROW_ENCODING {
        let expected = format!("{ROW_ENCODING} (this wrapd-muxd reads no other)");
        return Err(out_of_range(
            "history.row_encoding",
            h.row_encoding,
            expected,
        ));
    }
    let mut history = History::new(config.scrollback_lines, config.scrollback_bytes);
    history.start = h.start;
    let mut next = h.blocks.first().map_or(h.start, |b| b.first);
    for (i, block) in h.blocks.into_iter().enumerate() {
        let field = format!("history.blocks[{i}]");
        if block.first != next {
            let expected = format!("{next}, after the block before");
            return Err(out_of_range(
                format!("{field}.first"),
                block.first,
                expected,
            ));
        }
        let rows = block.ends.len();
        if rows == 0 || block.seqs.len() != rows {
            let expected = format!("at least one row, one seq a row ({rows} ends)");
            return Err(out_of_range(
                format!("{field}.seqs"),
                block.seqs.len(),
                expected,
            ));
        }
        if block.ends.windows(2).any(|w| w[0] > w[1]) {
            return Err(out_of_range(
                format!("{field}.ends"),
                "unordered",
                "ascending",
            ));
        }
        let end = *block.ends.last().expect("not empty") as usize;
        let data = if block.compressed {
            // (LZ4 expands 255 times at most: no allocation beyond that.)
            let size = block
                .data
                .get(..4)
                .and_then(|b| <[u8; 4]>::try_from(b).ok());
            let size = size.map(u32::from_le_bytes);
            if size != Some(end as u32) || end > block.data.len().saturating_mul(255) {
                let expected = format!("LZ4 of the rows' {end} bytes, its size before it");
                return Err(out_of_range(
                    format!("{field}.data"),
                    "other bytes",
                    expected,
                ));
            }
            let unpacked = lz4_flex::decompress_size_prepended(&block.data).map_err(|e| {
                out_of_range(format!("{field}.data"), e, "LZ4 with its size before it")
            })?;
            if unpacked.len() != end {
                let expected = format!("the last row's end, {end}");
                return Err(out_of_range(
                    format!("{field}.data"),
                    unpacked.len(),
                    expected,
                ));
            }
            Data::Sealed(block.data.into_boxed_slice())
        } else {
            if block.data.len() != end {
                let expected = format!("the last row's end, {end}");
                return Err(out_of_range(
                    format!("{field}.data"),
                    block.data.len(),
                    expected,
                ));
            }
            Data::Open(block.data)
        };
        next = block.first + rows as u64;
        history.blocks.push_back(Block {
            first: block.first,
            data,
            ends: block.ends,
            seqs: block.seqs,
        });
    }
    let first = history.blocks.front().map_or(h.start, |b| b.first);
    if h.start < first || (h.start >= next && !history.blocks.is_empty()) {
        let expected = format!("a row of the first block ({first} to {next})");
        return Err(out_of_range("history.start", h.start, expected));
    }
    history.len = (next - h.start) as usize;
    // What the rows kept take (those of the first block before `start` are trimmed).
    history.bytes = history
        .blocks
        .iter()
        .flat_map(|b| {
            let skip = h.start.saturating_sub(b.first) as usize;
            (skip..b.ends.len()).map(move |k| b.range(k).len() + ROW_OVERHEAD)
        })
        .sum();
    Ok(history)
}
