//! Blocks in the attached client: moving from one to the next in scroll mode
//! (like tmux's `previous-prompt` / `next-prompt`), and drawing them — a
//! failed block's exit status at the right edge of its prompt row, the
//! selected block's rows tinted.

use std::ops::Range;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use wrapd_proto::pb;

use crate::mirror::Mirror;

/// The background of the selected block's rows.
const SELECTED_BG: Color = Color::Indexed(236);

/// The rows a block covers, prompt to end of output (a running block: to the
/// end of the screen).
pub fn rows(b: &pb::Block, screen_end: u64) -> Range<u64> {
    let end = match b.end_row {
        Some(row) => row + u64::from(b.end_col > 0),
        None => screen_end,
    };
    b.prompt_row..end.max(b.prompt_row + 1)
}

/// Whether a block finished with a failure status.
pub fn failed(b: &pb::Block) -> bool {
    b.state() == pb::BlockState::Finished && b.exit_code.is_some_and(|c| c != 0)
}

/// The block before the selected one; with none selected, the last block
/// whose prompt is above `bottom` (the view's bottom edge).
pub fn previous(mirror: &Mirror, selected: Option<u64>, bottom: u64) -> Option<&pb::Block> {
    let mut blocks = mirror.blocks().rev();
    match selected {
        Some(id) => blocks.find(|b| b.id < id),
        None => blocks.find(|b| b.prompt_row < bottom),
    }
}

/// The block after the selected one; with none selected, the first whose
/// prompt is below `top` (the view's top edge).
pub fn next(mirror: &Mirror, selected: Option<u64>, top: u64) -> Option<&pb::Block> {
    let mut blocks = mirror.blocks();
    match selected {
        Some(id) => blocks.find(|b| b.id > id),
        None => blocks.find(|b| b.prompt_row > top),
    }
}

/// The block whose rows contain `row`.
pub fn at_row(mirror: &Mirror, row: u64) -> Option<&pb::Block> {
    let screen_end = mirror.screen_start() + u64::from(mirror.size().1);
    mirror
        .blocks()
        .rev()
        .find(|b| rows(b, screen_end).contains(&row))
}

/// Draw the marks of the blocks visible in `area`; `row_y` maps a row index
/// to its line in the area.
pub fn draw_marks(
    mirror: &Mirror,
    selected: Option<u64>,
    area: Rect,
    row_y: impl Fn(u64) -> Option<u16>,
    buf: &mut Buffer,
) {
    let screen_end = mirror.screen_start() + u64::from(mirror.size().1);
    if let Some(b) = selected.and_then(|id| mirror.block(id)) {
        for y in rows(b, screen_end).filter_map(&row_y) {
            for x in area.left()..area.right() {
                let cell = &mut buf[(x, area.y + y)];
                if cell.bg == Color::Reset {
                    cell.set_bg(SELECTED_BG);
                }
            }
        }
    }
    for b in mirror.blocks().filter(|b| failed(b)) {
        let Some(y) = row_y(b.prompt_row) else {
            continue;
        };
        let text = format!(" \u{2718} {} ", b.exit_code.unwrap_or_default());
        let width = text.chars().count() as u16;
        if width > area.width {
            continue;
        }
        let style = Style::default()
            .bg(Color::Red)
            .fg(Color::White)
            .add_modifier(Modifier::BOLD);
        buf.set_string(area.right() - width, area.y + y, text, style);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(id: u64, prompt_row: u64, end: Option<(u64, u32)>, exit: Option<i32>) -> pb::Block {
        pb::Block {
            id,
            prompt_row,
            end_row: end.map(|e| e.0),
            end_col: end.map_or(0, |e| e.1),
            exit_code: exit,
            state: if end.is_some() {
                pb::BlockState::Finished
            } else {
                pb::BlockState::Running
            } as i32,
            ..Default::default()
        }
    }

    fn mirror(blocks: Vec<pb::Block>) -> Mirror {
        let mut m = Mirror::default();
        m.apply(pb::ScreenUpdate {
            seq: 1,
            reset: true,
            size: Some(pb::Size { cols: 20, rows: 5 }),
            screen_start: 10,
            blocks,
            ..Default::default()
        });
        m
    }

    #[test]
    fn rows_and_failures() {
        assert_eq!(rows(&block(1, 3, Some((5, 0)), Some(0)), 99), 3..5);
        assert_eq!(rows(&block(1, 3, Some((5, 2)), Some(0)), 99), 3..6);
        assert_eq!(rows(&block(1, 3, None, None), 15), 3..15);
        assert!(failed(&block(1, 3, Some((5, 0)), Some(2))));
        assert!(!failed(&block(1, 3, Some((5, 0)), Some(0))));
        assert!(!failed(&block(1, 3, None, None)));
    }

    #[test]
    fn previous_and_next() {
        let m = mirror(vec![
            block(1, 0, Some((2, 0)), Some(0)),
            block(2, 2, Some((6, 0)), Some(1)),
            block(3, 6, Some((11, 0)), Some(0)),
        ]);
        let id = |b: Option<&pb::Block>| b.map(|b| b.id);
        assert_eq!(id(previous(&m, None, 15)), Some(3));
        assert_eq!(
            id(previous(&m, None, 5)),
            Some(2),
            "above the view's bottom"
        );
        assert_eq!(id(previous(&m, Some(3), 15)), Some(2));
        assert_eq!(id(previous(&m, Some(1), 15)), None);
        assert_eq!(id(next(&m, Some(1), 0)), Some(2));
        assert_eq!(id(next(&m, Some(3), 0)), None);
        assert_eq!(id(next(&m, None, 1)), Some(2));
        assert_eq!(id(at_row(&m, 0)), Some(1));
        assert_eq!(id(at_row(&m, 5)), Some(2));
        assert_eq!(id(at_row(&m, 11)), None);
    }

    #[test]
    fn marks_failed_blocks_and_tints_the_selected_one() {
        let m = mirror(vec![
            block(1, 10, Some((11, 0)), Some(0)),
            block(2, 11, Some((13, 0)), Some(127)),
        ]);
        let area = Rect::new(0, 0, 20, 5);
        let mut buf = Buffer::empty(area);
        let row_y = |i: u64| i.checked_sub(10).filter(|y| *y < 5).map(|y| y as u16);
        draw_marks(&m, Some(2), area, row_y, &mut buf);
        let line = |y: u16| -> String { (0..20).map(|x| buf[(x, y)].symbol()).collect() };
        assert!(line(1).ends_with(" \u{2718} 127 "), "{:?}", line(1));
        assert!(!line(0).contains('\u{2718}'));
        assert_eq!(buf[(0, 1)].bg, SELECTED_BG);
        assert_eq!(buf[(0, 2)].bg, SELECTED_BG);
        assert_eq!(buf[(0, 0)].bg, Color::Reset);
        assert_eq!(buf[(0, 3)].bg, Color::Reset);
    }
}
