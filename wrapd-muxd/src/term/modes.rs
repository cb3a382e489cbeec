//! The terminal's modes (SM/RM, DECSET/DECRST) and settings kept as flags.

use super::{CursorShape, MouseEncoding, MouseTracking};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Flags {
    pub origin: bool,
    pub autowrap: bool,
    pub insert: bool,
    /// LNM: a line feed also returns the carriage.
    pub newline: bool,
    pub app_cursor: bool,
    pub app_keypad: bool,
    pub bracketed_paste: bool,
    pub mouse_tracking: MouseTracking,
    pub mouse_encoding: MouseEncoding,
    pub focus_events: bool,
    pub cursor_visible: bool,
    pub cursor_shape: CursorShape,
    pub cursor_blink: bool,
    pub synchronized: bool,
    /// Mode 2027: a cell holds a whole grapheme cluster (see cluster.rs).
    pub clusters: bool,
    /// DECLRMM (mode 69): left and right margins (see margins.rs).
    pub lr_margins: bool,
    /// Mode 45: backspace at the left edge goes to the end of the row above.
    pub reverse_wrap: bool,
    /// Mode 40: DECCOLM is allowed.
    pub allow_column_mode: bool,
    /// DECCOLM (mode 3): the program asked for 132 columns.
    pub column_mode: bool,
    /// DECNCSM (mode 95): DECCOLM does not clear the screen.
    pub keep_screen_on_column_mode: bool,
    /// DECNRCM (mode 42): national replacement sets can be designated.
    pub national: bool,
}

impl Default for Flags {
    fn default() -> Self {
        Flags {
            origin: false,
            autowrap: true,
            insert: false,
            newline: false,
            app_cursor: false,
            app_keypad: false,
            bracketed_paste: false,
            mouse_tracking: MouseTracking::None,
            mouse_encoding: MouseEncoding::Default,
            focus_events: false,
            cursor_visible: true,
            cursor_shape: CursorShape::Default,
            cursor_blink: false,
            synchronized: false,
            clusters: true,
            lr_margins: false,
            reverse_wrap: false,
            allow_column_mode: false,
            column_mode: false,
            keep_screen_on_column_mode: false,
            national: false,
        }
    }
}
