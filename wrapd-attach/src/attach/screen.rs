//! Frames: what the outer terminal shows, and drawing on it what changed.
//!
//! A frame costs what changed, not the terminal's size. When only the
//! session's rows changed (a key's echo, a prompt redrawn) and they show
//! where they showed, a frame redraws the lines of those rows and the status
//! line, and compares only those with what shows. Anything else redraws
//! everything, as ratatui's `Terminal::draw` did at every frame: something
//! of ours changed (a mode, an overlay, a notice, who is here: `App::dirty`),
//! the session's rows moved (a scroll, a snapshot, a new size, its crop
//! around the cursor) or the blocks did, or the outer terminal's size.
//!
//! The changed cells and the cursor go out in one write (see `backend`).

use std::collections::BTreeSet;
use std::mem;

use ratatui::backend::Backend;
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};

use super::app::{App, Mode};
use super::ui::{self, Lines};
use crate::mirror::Changes;

pub struct Screen<B: Backend> {
    backend: B,
    /// What the outer terminal shows: the cells the last frame drew.
    shown: Buffer,
    /// Where a whole frame is drawn, then swapped with `shown` (kept: a
    /// 200x50 buffer is 400 KiB to allocate and fault in at every frame).
    spare: Buffer,
    /// Where the session's rows showed in the last frame (`None`: nothing
    /// drawn since the screen was cleared).
    placed: Option<Placement>,
}

/// Where a session's rows show on the outer terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Placement {
    session_area: Rect,
    /// The first row shown, and the first column.
    origin: (u64, u16),
}

impl<B: Backend> Screen<B> {
    /// Draws to `backend`, whose screen is blank and `size` (cols, rows).
    pub fn new(backend: B, size: (u16, u16)) -> Screen<B> {
        let area = Rect::new(0, 0, size.0, size.1);
        Screen {
            backend,
            shown: Buffer::empty(area),
            spare: Buffer::empty(area),
            placed: None,
        }
    }

    /// Draw what changed in `app` since the last frame.
    pub fn draw(&mut self, app: &mut App) -> Result<(), B::Error> {
        let area = Rect::new(0, 0, app.outer.0, app.outer.1);
        if area != self.shown.area {
            self.backend.clear()?;
            self.shown = Buffer::empty(area);
            self.spare = Buffer::empty(area);
            self.placed = None;
        }
        let (session_area, status_area) = ui::areas(area, app);
        let placed = Placement {
            session_area,
            origin: ui::session_view(app).origin(session_area),
        };
        let moved = self.placed.replace(placed) != Some(placed);
        let ours_changed = mem::take(&mut app.dirty);
        let rows_only = !moved && !ours_changed && matches!(app.mode, Mode::Normal | Mode::Prefix);
        let cursor = match app.mirror.take_changes() {
            Changes::Rows(rows) if rows_only => self.draw_rows(app, &rows, status_area)?,
            Changes::None if rows_only => self.draw_rows(app, &BTreeSet::new(), status_area)?,
            _ => self.draw_all(app)?,
        };
        match cursor {
            Some(at) => {
                self.backend.show_cursor()?;
                self.backend.set_cursor_position(at)?;
            }
            None => self.backend.hide_cursor()?,
        }
        self.backend.flush()
    }

    /// Redraw every cell; those that changed go out.
    fn draw_all(&mut self, app: &App) -> Result<Option<Position>, B::Error> {
        self.spare.reset();
        let cursor = ui::draw(&mut self.spare, app, &Lines::All);
        self.backend.draw(self.shown.diff_iter(&self.spare))?;
        mem::swap(&mut self.shown, &mut self.spare);
        Ok(cursor)
    }

    /// Redraw the lines that show `rows` (by index) and the status line; the
    /// cells of those lines that changed go out.
    fn draw_rows(
        &mut self,
        app: &App,
        rows: &BTreeSet<u64>,
        status_area: Option<Rect>,
    ) -> Result<Option<Position>, B::Error> {
        let session_area = self.placed.expect("placed before drawing").session_area;
        let view = ui::session_view(app);
        let mut lines = vec![false; usize::from(session_area.height)];
        for y in rows.iter().filter_map(|&row| view.row_y(row, session_area)) {
            lines[usize::from(y)] = true;
        }
        let redrawn = (0..session_area.height)
            .filter(|y| lines[usize::from(*y)])
            .map(|y| session_area.y + y)
            .chain(status_area.map(|a| a.y));
        // Each line as it showed, left blank to be drawn anew.
        let before: Vec<Buffer> = redrawn.map(|y| self.take_line(y)).collect();
        let cursor = ui::draw(&mut self.shown, app, &Lines::Only(&lines));
        let after: Vec<Buffer> = before.iter().map(|b| self.line(b.area.y)).collect();
        let changed = before.iter().zip(&after).flat_map(|(b, a)| b.diff_iter(a));
        self.backend.draw(changed)?;
        Ok(cursor)
    }

    /// Line `y` of what shows, as a buffer of its own.
    fn line(&self, y: u16) -> Buffer {
        let (area, cells) = self.line_at(y);
        Buffer {
            area,
            content: self.shown.content[cells].to_vec(),
        }
    }

    /// Line `y` of what shows, taken out: it is left blank.
    fn take_line(&mut self, y: u16) -> Buffer {
        let (area, cells) = self.line_at(y);
        Buffer {
            area,
            content: self.shown.content[cells]
                .iter_mut()
                .map(mem::take)
                .collect(),
        }
    }

    /// Line `y`'s area, and where its cells lie in what shows.
    fn line_at(&self, y: u16) -> (Rect, std::ops::Range<usize>) {
        let area = Rect::new(self.shown.area.x, y, self.shown.area.width, 1);
        let start = self.shown.index_of(area.x, y);
        (area, start..start + usize::from(area.width))
    }
}

#[cfg(test)]
#[path = "screen_tests.rs"]
mod tests;
