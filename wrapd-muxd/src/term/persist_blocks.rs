//! Saving and restoring the block segmenter and the colours the program set
//! (see persist.rs).

use std::collections::VecDeque;

use wrapd_common::color::Rgb;
use wrapd_proto::state as pb;

use super::RowIndex;
use super::blocks::{Block, BlockId, BlockState, Blocks, MAX_BLOCKS, Mark, OurMarks, Pending};
use super::colors::{Colors, DYNAMIC_COLORS, SPECIAL_COLORS, TerminalLook};
use super::persist::{Result, known, out_of_range, required};

fn save_mark(m: Mark) -> pb::Mark {
    pb::Mark {
        row: m.row.0,
        col: m.col.into(),
    }
}

fn restore_mark(m: pb::Mark, field: &str) -> Result<Mark> {
    let col = u16::try_from(m.col).map_err(|_| out_of_range(field, m.col, "a column"))?;
    Ok(Mark {
        row: RowIndex(m.row),
        col,
    })
}

fn restore_opt_mark(m: Option<pb::Mark>, field: &str) -> Result<Option<Mark>> {
    m.map(|m| restore_mark(m, field)).transpose()
}

pub(super) fn save_blocks(b: &Blocks) -> pb::Blocks {
    let p = &b.pending;
    pb::Blocks {
        blocks: b.list.iter().map(save_block).collect(),
        last_id: b.next_id,
        pending_prompt: p.prompt.map(save_mark),
        pending_prompt_seq: p.prompt_seq,
        pending_input: p.input.map(save_mark),
        pending_input_end: p.input_end.map(save_mark),
        pending_first_input: p.first_input.map(save_mark),
        pending_lines: p.lines.clone(),
        pending_command: p.command.clone(),
        now_ms: b.now_ms,
        ours_active: b.ours.active,
        ours_prompt_seen: b.ours.prompt_seen,
        ours_asked: b.ours.asked,
    }
}

pub(super) fn restore_blocks(b: pb::Blocks) -> Result<Blocks> {
    if b.blocks.len() > MAX_BLOCKS {
        let expected = format!("at most {MAX_BLOCKS}");
        return Err(out_of_range("blocks.blocks", b.blocks.len(), expected));
    }
    let mut list = VecDeque::with_capacity(b.blocks.len());
    let mut last = 0;
    for (i, block) in b.blocks.into_iter().enumerate() {
        let block = restore_block(block, &format!("blocks.blocks[{i}]"))?;
        if block.id.0 <= last && i > 0 {
            let field = format!("blocks.blocks[{i}].id");
            return Err(out_of_range(field, block.id.0, format!("above {last}")));
        }
        last = block.id.0;
        list.push_back(block);
    }
    if b.last_id < last {
        let expected = format!("at least the last block's, {last}");
        return Err(out_of_range("blocks.last_id", b.last_id, expected));
    }
    Ok(Blocks {
        list,
        next_id: b.last_id,
        pending: Pending {
            prompt: restore_opt_mark(b.pending_prompt, "blocks.pending_prompt")?,
            prompt_seq: b.pending_prompt_seq,
            input: restore_opt_mark(b.pending_input, "blocks.pending_input")?,
            input_end: restore_opt_mark(b.pending_input_end, "blocks.pending_input_end")?,
            first_input: restore_opt_mark(b.pending_first_input, "blocks.pending_first_input")?,
            lines: b.pending_lines,
            command: b.pending_command,
        },
        now_ms: b.now_ms,
        ours: OurMarks {
            active: b.ours_active,
            prompt_seen: b.ours_prompt_seen,
            asked: b.ours_asked,
        },
    })
}

fn save_block(b: &Block) -> pb::Block {
    let (state, exit_code) = match b.state {
        BlockState::Running => (pb::BlockState::Running, None),
        BlockState::Finished(code) => (pb::BlockState::Finished, code),
        BlockState::Interrupted => (pb::BlockState::Interrupted, None),
    };
    pb::Block {
        id: b.id.0,
        command: b.command.clone(),
        cwd: b.cwd.clone(),
        cwd_seq: b.cwd_seq,
        started_at_ms: b.started_at_ms,
        ended_at_ms: b.ended_at_ms,
        state: state as i32,
        exit_code,
        prompt: Some(save_mark(b.prompt)),
        input: Some(save_mark(b.input)),
        output: Some(save_mark(b.output)),
        end: b.end.map(save_mark),
        full_screen: b.full_screen,
        seq: b.seq,
        started_seq: b.started_seq,
    }
}

fn restore_block(b: pb::Block, field: &str) -> Result<Block> {
    let mark = |m: Option<pb::Mark>, name: &str| -> Result<Mark> {
        let f = format!("{field}.{name}");
        restore_mark(required(m, &f)?, &f)
    };
    let state = match known(b.state, &format!("{field}.state"))? {
        pb::BlockState::Running => BlockState::Running,
        pb::BlockState::Finished => BlockState::Finished(b.exit_code),
        pb::BlockState::Interrupted => BlockState::Interrupted,
    };
    // Only the newest block may run, and it has no end yet.
    let end = restore_opt_mark(b.end, &format!("{field}.end"))?;
    if (state == BlockState::Running) != end.is_none() {
        return Err(out_of_range(
            format!("{field}.end"),
            if end.is_some() { "set" } else { "absent" },
            "absent exactly while the block runs",
        ));
    }
    Ok(Block {
        id: BlockId(b.id),
        command: b.command,
        cwd: b.cwd,
        cwd_seq: b.cwd_seq,
        started_at_ms: b.started_at_ms,
        ended_at_ms: b.ended_at_ms,
        state,
        prompt: mark(b.prompt, "prompt")?,
        input: mark(b.input, "input")?,
        output: mark(b.output, "output")?,
        end,
        full_screen: b.full_screen,
        seq: b.seq,
        started_seq: b.started_seq,
    })
}

fn save_rgb(c: Rgb) -> pb::Rgb16 {
    pb::Rgb16 {
        red: c.0.into(),
        green: c.1.into(),
        blue: c.2.into(),
    }
}

fn restore_rgb(c: pb::Rgb16, field: &str) -> Result<Rgb> {
    let channel =
        |v: u32| u16::try_from(v).map_err(|_| out_of_range(field, v, "a 16-bit colour channel"));
    Ok(Rgb(channel(c.red)?, channel(c.green)?, channel(c.blue)?))
}

/// The slots that are set, as (index, colour).
fn save_slots(slots: &[Option<Rgb>]) -> Vec<pb::IndexedColor> {
    (0..)
        .zip(slots)
        .filter_map(|(index, c)| {
            c.map(|c| pb::IndexedColor {
                index,
                color: Some(save_rgb(c)),
            })
        })
        .collect()
}

fn restore_slots(
    colors: Vec<pb::IndexedColor>,
    slots: &mut [Option<Rgb>],
    field: &str,
) -> Result<()> {
    for (i, c) in colors.into_iter().enumerate() {
        let f = format!("{field}[{i}]");
        let len = slots.len();
        let slot = slots
            .get_mut(c.index as usize)
            .ok_or_else(|| out_of_range(format!("{f}.index"), c.index, format!("below {len}")))?;
        *slot = Some(restore_rgb(required(c.color, &format!("{f}.color"))?, &f)?);
    }
    Ok(())
}

pub(super) fn save_colors(c: &Colors) -> pb::Colors {
    let v = &c.viewer;
    pb::Colors {
        palette: c
            .palette
            .as_deref()
            .map(|p| save_slots(p))
            .unwrap_or_default(),
        special: save_slots(&c.special),
        dynamic: save_slots(&c.dynamic),
        viewer: Some(pb::TerminalLook {
            foreground: v.foreground.map(save_rgb),
            background: v.background.map(save_rgb),
            cursor: v.cursor.map(save_rgb),
            palette: v
                .palette
                .iter()
                .map(|&(index, c)| pb::IndexedColor {
                    index: index.into(),
                    color: Some(save_rgb(c)),
                })
                .collect(),
            cell_width: v.cell_pixels.0.into(),
            cell_height: v.cell_pixels.1.into(),
        }),
    }
}

pub(super) fn restore_colors(c: pb::Colors) -> Result<Colors> {
    let mut colors = Colors::default();
    if !c.palette.is_empty() {
        let palette = colors.palette.insert(Box::new([None; 256]));
        restore_slots(c.palette, &mut palette[..], "colors.palette")?;
    }
    debug_assert_eq!(colors.special.len(), SPECIAL_COLORS);
    debug_assert_eq!(colors.dynamic.len(), DYNAMIC_COLORS);
    restore_slots(c.special, &mut colors.special, "colors.special")?;
    restore_slots(c.dynamic, &mut colors.dynamic, "colors.dynamic")?;
    let v = c.viewer.unwrap_or_default();
    let rgb = |c: Option<pb::Rgb16>, f: &str| c.map(|c| restore_rgb(c, f)).transpose();
    let pixels = |v: u32, f: &str| u16::try_from(v).map_err(|_| out_of_range(f, v, "a size"));
    let mut palette = Vec::with_capacity(v.palette.len());
    for (i, p) in v.palette.into_iter().enumerate() {
        let f = format!("colors.viewer.palette[{i}]");
        let index = u8::try_from(p.index)
            .map_err(|_| out_of_range(format!("{f}.index"), p.index, "below 256"))?;
        palette.push((
            index,
            restore_rgb(required(p.color, &format!("{f}.color"))?, &f)?,
        ));
    }
    colors.viewer = TerminalLook {
        foreground: rgb(v.foreground, "colors.viewer.foreground")?,
        background: rgb(v.background, "colors.viewer.background")?,
        cursor: rgb(v.cursor, "colors.viewer.cursor")?,
        palette,
        cell_pixels: (
            pixels(v.cell_width, "colors.viewer.cell_width")?,
            pixels(v.cell_height, "colors.viewer.cell_height")?,
        ),
    };
    Ok(colors)
}
