//! The cursor's position and what DECSC saves (the moves are in moves.rs).

use super::charset::Charsets;
use super::style::Style;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct CursorPos {
    pub x: u16,
    pub y: u16,
    /// Printed in the last column: the next character wraps first (DECAWM).
    pub pending_wrap: bool,
}

/// What DECSC saves.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Saved {
    pub cursor: CursorPos,
    pub pen: Style,
    pub link: u16,
    pub origin: bool,
    /// G0–G3, GL and GR (a single shift is not saved).
    pub charsets: Charsets,
}
