//! Answers to what programs ask the terminal: device attributes (DA1, DA2,
//! DA3, XTVERSION), status reports (DSR, DECDSR), the state of a mode
//! (DECRQM), a setting (DECRQSS) and the window (XTWINOPS). Each is answered
//! at once, from the model's state; a request wrapd does not know gets the
//! answer that says so where the protocol has one, so no program waits for a
//! reply that never comes. Colour queries are in colors.rs.
//!
//! wrapd identifies itself as what it implements (DA1 `62;6;9;15;22;28`),
//! and by name and version (XTVERSION). The level is the VT220's (62):
//! wrapd has the VT220's screen, its character sets (G0-G3, locking and
//! single shifts, the supplemental and national sets) and its status
//! reports, and what xterm lists as extensions at that level, checked
//! against xterm by tests/xterm_diff.rs: selective erase (6), national
//! replacement character sets (9), technical characters (15, the DEC
//! technical set), ANSI colour (22) and rectangular editing (28, with the
//! VT420's margins and DECIC/DECDC). It claims no more: not user-defined
//! keys (8), a printer (2), a locator (16) or 132 columns (1: the width is
//! the clients'), nor VT320/VT420 level (63, 64): their terminal-state and
//! presentation-state reports (DECRQTSR, DECRQPSR: the cursor's and the
//! character sets' state, DECCIR) and status line are not there. xterm as
//! a VT220 says `62;1;2;6;9;15;16;22;28` (xterm_diff.rs checks that wrapd
//! claims no code xterm does not at that level). After S8C1T the answers go
//! with 8-bit controls (see `reply`).

use vte::Params;

use super::output::sgr;
use super::state::State;
use super::style::Attrs;
use super::{CursorShape, MouseEncoding, MouseTracking};

/// Bytes of a DECRQSS request kept at most (the longest is two bytes).
pub(crate) const MAX_SETTING_REQUEST: usize = 8;
/// Titles XTWINOPS 22 keeps at most (as xterm).
pub(super) const MAX_SAVED_TITLES: usize = 10;

/// DECRQM's values.
const NOT_RECOGNISED: u8 = 0;
const SET: u8 = 1;
const RESET: u8 = 2;
const PERMANENTLY_SET: u8 = 3;
const PERMANENTLY_RESET: u8 = 4;

/// The `n`th parameter as given (0 when absent).
fn param(params: &Params, n: usize) -> u16 {
    params
        .iter()
        .nth(n)
        .and_then(|p| p.first().copied())
        .unwrap_or(0)
}

impl State {
    /// Queue an answer for the program. After S8C1T its controls go as 8-bit
    /// ones (CSI 0x9b, DCS 0x90, OSC 0x9d, ST 0x9c), raw bytes as xterm
    /// sends them, even in UTF-8.
    pub(super) fn reply(&mut self, text: &str) {
        if !self.eight_bit_replies {
            self.replies.extend_from_slice(text.as_bytes());
            return;
        }
        let mut bytes = text.bytes().peekable();
        while let Some(b) = bytes.next() {
            match (b, bytes.peek()) {
                (0x1b, Some(&c @ (b'[' | b']' | b'P' | b'\\'))) => {
                    self.replies.push(c + 0x40);
                    bytes.next();
                }
                _ => self.replies.push(b),
            }
        }
    }

    /// DA1 (`CSI c`): a VT220 with selective erase, national replacement
    /// sets, technical characters, ANSI colour and rectangular editing (see
    /// the module's docs).
    pub fn report_primary_attributes(&mut self) {
        self.reply("\x1b[?62;6;9;15;22;28c");
    }

    /// DA2 (`CSI > c`): a VT220, firmware 10, no ROM cartridge.
    pub fn report_secondary_attributes(&mut self) {
        self.reply("\x1b[>1;10;0c");
    }

    /// DA3 (`CSI = c`, DECRPTUI): the unit id, zero as in xterm.
    pub fn report_unit_id(&mut self) {
        self.reply("\x1bP!|00000000\x1b\\");
    }

    /// XTVERSION (`CSI > q`): name and version.
    pub fn report_version(&mut self) {
        self.reply(concat!(
            "\x1bP>|wrapd ",
            env!("CARGO_PKG_VERSION"),
            "\x1b\\"
        ));
    }

    /// DSR (`CSI n`) and DECDSR (`CSI ? n`).
    pub fn report_status(&mut self, params: &Params, private: bool) {
        match (private, param(params, 0)) {
            (false, 5) => self.reply("\x1b[0n"),
            (_, 6) => self.report_cursor(private),
            // No printer.
            (true, 15) => self.reply("\x1b[?13n"),
            // User-defined keys: locked (wrapd has none).
            (true, 25) => self.reply("\x1b[?21n"),
            // Keyboard: North American (the level-2 answer: no more fields).
            (true, 26) => self.reply("\x1b[?27;1n"),
            // Locator (DEC's, not the mouse modes): none.
            (true, 55) => self.reply("\x1b[?53n"),
            (true, 56) => self.reply("\x1b[?57;0n"),
            // Macro space: none (four digits, as xterm writes it).
            (true, 62) => self.reply("\x1b[0000*{"),
            // Memory checksum (of the macros: none), for request `Pid`.
            (true, 63) => {
                let id = param(params, 1);
                self.reply(&format!("\x1bP{id}!~0000\x1b\\"));
            }
            // Data integrity: no errors.
            (true, 75) => self.reply("\x1b[?70n"),
            // Multiple sessions: not configured.
            (true, 85) => self.reply("\x1b[?83n"),
            _ => {}
        }
    }

    /// CPR (`CSI 6 n`) or DECXCPR (`CSI ? 6 n`): the cursor's row and column,
    /// from the region's top and the left margin in origin mode. DECXCPR
    /// has no page, as xterm answers at wrapd's level (a VT220; xterm adds
    /// the page as a VT420).
    fn report_cursor(&mut self, private: bool) {
        let (x, y) = self.cursor_from_origin();
        let q = if private { "?" } else { "" };
        let reply = format!("\x1b[{q}{};{}R", y + 1, x + 1);
        self.reply(&reply);
    }

    /// DECRQM (`CSI Ps $ p`, `CSI ? Ps $ p`).
    pub fn report_mode(&mut self, mode: u16, private: bool) {
        let value = if private {
            self.private_mode_value(mode)
        } else {
            self.ansi_mode_value(mode)
        };
        let q = if private { "?" } else { "" };
        self.reply(&format!("\x1b[{q}{mode};{value}$y"));
    }

    fn ansi_mode_value(&self, mode: u16) -> u8 {
        let state = |on: bool| if on { SET } else { RESET };
        match mode {
            // KAM: the keyboard is never locked. CRM: controls always act.
            2 | 3 => PERMANENTLY_RESET,
            4 => state(self.flags.insert),
            // SRM: no local echo.
            12 => PERMANENTLY_SET,
            20 => state(self.flags.newline),
            _ => NOT_RECOGNISED,
        }
    }

    fn private_mode_value(&self, mode: u16) -> u8 {
        let f = &self.flags;
        let state = |on: bool| if on { SET } else { RESET };
        match mode {
            1 => state(f.app_cursor),
            // DECANM: no VT52 mode.
            2 => PERMANENTLY_SET,
            3 => state(f.column_mode),
            40 => state(f.allow_column_mode),
            95 => state(f.keep_screen_on_column_mode),
            42 => state(f.national),
            // Smooth scroll, reverse video, backarrow sends BS, highlight
            // mouse tracking, SGR pixel mouse: not done.
            4 | 5 | 67 | 1001 | 1016 => PERMANENTLY_RESET,
            6 => state(f.origin),
            7 => state(f.autowrap),
            // DECARM: keys repeat as the client's terminal repeats them.
            8 => PERMANENTLY_SET,
            9 => state(f.mouse_tracking == MouseTracking::X10),
            12 => state(f.cursor_blink),
            25 => state(f.cursor_visible),
            45 => state(f.reverse_wrap),
            69 => state(f.lr_margins),
            47 | 1047 | 1049 => state(self.alt()),
            66 => state(f.app_keypad),
            1000 => state(f.mouse_tracking == MouseTracking::Normal),
            1002 => state(f.mouse_tracking == MouseTracking::Button),
            1003 => state(f.mouse_tracking == MouseTracking::Any),
            1004 => state(f.focus_events),
            1005 => state(f.mouse_encoding == MouseEncoding::Utf8),
            1006 => state(f.mouse_encoding == MouseEncoding::Sgr),
            1015 => state(f.mouse_encoding == MouseEncoding::Urxvt),
            2004 => state(f.bracketed_paste),
            2026 => state(f.synchronized),
            2027 => state(f.clusters),
            _ => NOT_RECOGNISED,
        }
    }

    /// DECRQSS (`DCS $ q Pt ST`): the setting named by `request`, as the
    /// control that would set it; `DCS 0 $ r ST` for one wrapd does not know.
    pub fn report_setting(&mut self, request: &[u8]) {
        let answer = match request {
            b"m" => Some(sgr(&self.pen)[2..].to_owned()),
            b"r" => Some(format!("{};{}r", self.top + 1, self.bottom + 1)),
            b"s" => Some(format!("{};{}s", self.left + 1, self.right + 1)),
            b" q" => Some(format!("{} q", self.cursor_style())),
            // Character protection (DECSCA's, not SPA's).
            b"\"q" => {
                let on = self.pen.attrs.contains(Attrs::PROTECTED) && !self.iso_protection;
                Some(format!("{}\"q", u8::from(on)))
            }
            // Conformance level: VT200, with 7-bit controls (1) or, after
            // S8C1T, 8-bit ones (0, as xterm says).
            b"\"p" => Some(format!("62;{}\"p", u8::from(!self.eight_bit_replies))),
            b"t" => Some(format!("{}t", self.rows)),
            b"$|" => Some(format!("{}$|", self.cols)),
            b"*|" => Some(format!("{}*|", self.rows)),
            // DECSACE: 2 a rectangle, 1 a run of text.
            b"*x" => Some(format!("{}*x", 1 + u8::from(self.rect_attrs_exact))),
            _ => None,
        };
        match answer {
            Some(answer) => self.reply(&format!("\x1bP1$r{answer}\x1b\\")),
            None => self.reply("\x1bP0$r\x1b\\"),
        }
    }

    /// DECSCUSR's parameter for the cursor's shape.
    fn cursor_style(&self) -> u8 {
        let blink = u8::from(self.flags.cursor_blink);
        match self.flags.cursor_shape {
            CursorShape::Default => 0,
            CursorShape::Block => 2 - blink,
            CursorShape::Underline => 4 - blink,
            CursorShape::Bar => 6 - blink,
        }
    }

    /// XTWINOPS (`CSI Ps ; Ps ; Ps t`): the reports, and the title stack.
    /// Moving or resizing the window is the client's terminal's business.
    /// Pixel sizes come from the most recent client's terminal (a cell's size
    /// times the session's); 0 when it did not say. The screen's size in
    /// pixels (15) is the text area's: the client's whole screen is none of
    /// the program's business. The title is reported empty, as safe as
    /// xterm's default of not answering (a title the program did not set
    /// could be typed back into a shell) without making the program wait.
    pub fn window_op(&mut self, params: &Params) {
        let (cell_width, cell_height) = self.colors.viewer.cell_pixels;
        let (width, height) = (
            u32::from(cell_width) * u32::from(self.cols),
            u32::from(cell_height) * u32::from(self.rows),
        );
        match param(params, 0) {
            11 => self.reply("\x1b[1t"),
            13 => self.reply("\x1b[3;0;0t"),
            14 => self.reply(&format!("\x1b[4;{height};{width}t")),
            15 => self.reply(&format!("\x1b[5;{height};{width}t")),
            16 => self.reply(&format!("\x1b[6;{cell_height};{cell_width}t")),
            18 => self.reply(&format!("\x1b[8;{};{}t", self.rows, self.cols)),
            19 => self.reply(&format!("\x1b[9;{};{}t", self.rows, self.cols)),
            20 => self.reply("\x1b]L\x1b\\"),
            21 => self.reply("\x1b]l\x1b\\"),
            // 22;1 and 23;1 are the icon title's, which wrapd does not keep.
            22 | 23 if param(params, 1) == 1 => {}
            22 => {
                if self.title_stack.len() == MAX_SAVED_TITLES {
                    self.title_stack.remove(0);
                }
                self.title_stack.push(self.title.clone());
            }
            23 => {
                if let Some(title) = self.title_stack.pop()
                    && title != self.title
                {
                    self.title = title;
                    self.title_seq = self.seq;
                    self.dirty = true;
                }
            }
            _ => {}
        }
    }

    /// DECRQCRA (`CSI Pid ; Pp ; Pt ; Pl ; Pb ; Pr * y`): the checksum of a
    /// rectangle of the screen (page `Pp` is ignored: there is one), as
    /// xterm computes it by default (DEC's way): every cell's character
    /// masked to 8 bits (the second column of a wide character is 0xff, a
    /// concealed character a space, marks are left out), plus 0x10
    /// underline, 0x20 inverse, 0x40 blink, 0x80 bold; the sum negated, its
    /// low 16 bits in hex. xterm leaves out the blanks nothing was written
    /// to; wrapd does not know those, and leaves out plain blanks with
    /// nothing after them on the row. Rows count from the region's top in
    /// origin mode; a rectangle off the screen is cut to it; an empty one
    /// sums to 0.
    pub fn report_checksum(&mut self, params: &Params) {
        let id = param(params, 0);
        let (top, left, bottom, right) = self.rectangle(params, 2);
        let mut total: u32 = 0;
        for y in top..bottom {
            let row = &self.grid[usize::from(y)];
            // Plain blanks not (yet) followed by anything else.
            let mut blanks: u32 = 0;
            for x in left..right.min(row.cells.len() as u16) {
                let cell = &row.cells[usize::from(x)];
                let a = cell.style.attrs;
                let mut value = match cell.ch {
                    super::grid::SPACER => 0xff,
                    _ if a.contains(Attrs::HIDDEN) => u32::from(b' '),
                    c => c as u32 & 0xff,
                };
                for (bit, weight) in [
                    (Attrs::UNDERLINE, 0x10),
                    (Attrs::INVERSE, 0x20),
                    (Attrs::BLINK, 0x40),
                    (Attrs::BOLD, 0x80),
                ] {
                    if a.contains(bit) {
                        value += weight;
                    }
                }
                if value == u32::from(b' ') {
                    blanks += value;
                } else {
                    total = total.wrapping_add(blanks + value);
                    blanks = 0;
                }
            }
        }
        let sum = total.wrapping_neg() & 0xffff;
        self.reply(&format!("\x1bP{id}!~{sum:04X}\x1b\\"));
    }

    /// The rectangle given by parameters `first..first + 4` (top, left,
    /// bottom, right, 1-based and inclusive, defaults the whole screen), as
    /// screen rows `top..bottom` and columns `left..right`, honouring origin
    /// mode (from the region's top and the left margin, not past the region
    /// or the right margin) and cut to the screen (empty when top > bottom or
    /// left > right, or, as in xterm, when it starts below or right of the
    /// screen).
    pub(crate) fn rectangle(&self, params: &Params, first: usize) -> (u16, u16, u16, u16) {
        let given = |i: usize, default: u16| match param(params, first + i) {
            0 => default,
            v => v,
        };
        let (origin_y, max_y) = if self.flags.origin {
            (self.top, self.bottom + 1)
        } else {
            (0, self.rows)
        };
        let (origin_x, max_x) = if self.flags.origin && self.flags.lr_margins {
            (self.left, self.right + 1)
        } else {
            (0, self.cols)
        };
        let top = (origin_y + given(0, 1).min(self.rows + 1) - 1).min(max_y);
        let left = (origin_x + given(1, 1).min(self.cols + 1) - 1).min(max_x);
        let bottom = (origin_y.saturating_add(given(2, max_y - origin_y))).min(max_y);
        let right = (origin_x.saturating_add(given(3, max_x - origin_x))).min(max_x);
        (top, left, bottom.max(top), right.max(left))
    }
}
