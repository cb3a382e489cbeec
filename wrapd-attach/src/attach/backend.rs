//! The outer terminal as ratatui draws to it: crossterm's backend, except
//! that a frame (its cells and the cursor) goes out in one write, at the end
//! of the draw. Crossterm's backend flushes on every cursor change, so a
//! keystroke's echo took two writes to the outer terminal, and two wake-ups
//! of whatever reads it.

use std::io::{self, BufWriter, Stdout, Write};

use crossterm::cursor::{Hide, MoveTo, Show};
use crossterm::queue;
use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};

/// Bytes a frame may take before it goes out (a 200x50 frame with colours
/// is ~100 KiB; stdout's own buffer, 1 KiB, took a dozen writes).
const FRAME_BUFFER: usize = 256 * 1024;

pub struct FrameBackend {
    inner: CrosstermBackend<BufWriter<Stdout>>,
}

impl FrameBackend {
    pub fn stdout() -> FrameBackend {
        FrameBackend {
            inner: CrosstermBackend::new(BufWriter::with_capacity(FRAME_BUFFER, io::stdout())),
        }
    }
}

impl Backend for FrameBackend {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content)
    }

    fn append_lines(&mut self, n: u16) -> io::Result<()> {
        self.inner.append_lines(n)
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        queue!(self.inner, Hide)
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        queue!(self.inner, Show)
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        self.inner.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        let Position { x, y } = position.into();
        queue!(self.inner, MoveTo(x, y))
    }

    /// Queued with the frame, not sent on its own (crossterm's backend
    /// flushes it at once).
    fn clear(&mut self) -> io::Result<()> {
        queue!(
            self.inner,
            crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
        )
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> io::Result<Size> {
        self.inner.size()
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> io::Result<()> {
        Write::flush(&mut self.inner)
    }
}
