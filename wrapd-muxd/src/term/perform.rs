//! The `vte` performer: control characters, escape and control sequences,
//! operating system commands — each mapped onto a `State` operation.

use vte::{Params, Perform};

use super::charset::Charset;
use super::links::MAX_LINK_LEN;
use super::rect::Erase;
use super::reports::MAX_SETTING_REQUEST;
use super::state::State;
use super::style::{Attrs, Color, Style};
use super::{CursorShape, MouseEncoding, MouseTracking, TermEvent};

/// The first parameter, or `default` when absent or 0.
fn arg(params: &Params, i: usize, default: u16) -> u16 {
    match params.iter().nth(i).and_then(|p| p.first().copied()) {
        None | Some(0) => default,
        Some(v) => v,
    }
}

/// The parameter as given (0 when absent).
fn raw(params: &Params, i: usize) -> u16 {
    params
        .iter()
        .nth(i)
        .and_then(|p| p.first().copied())
        .unwrap_or(0)
}

impl Perform for State {
    #[inline]
    fn print(&mut self, c: char) {
        // A C1 control written as UTF-8 (U+0080..U+009F) is nothing (see
        // `Term::feed`, which drops it when it comes whole); one completed
        // across two calls reaches us here.
        if ('\u{80}'..='\u{9f}').contains(&c) {
            return;
        }
        State::print(self, c);
    }

    fn execute(&mut self, byte: u8) {
        self.flush_text();
        self.last_char = None;
        match byte {
            0x07 => {
                self.events.push(TermEvent::Bell);
                self.dirty = true;
            }
            0x08 => self.backspace(),
            0x09 => self.tab(1),
            0x0a..=0x0c => self.linefeed(),
            0x0d => self.carriage_return(),
            // SO (LS1), SI (LS0).
            0x0e => self.charsets.gl = 1,
            0x0f => self.charsets.gl = 0,
            // A raw C1 byte (not UTF-8): shown as invalid, as xterm does.
            0x80..=0x9f => self.print_any(char::REPLACEMENT_CHARACTER),
            _ => {}
        }
    }

    fn esc_dispatch(&mut self, intermediates: &[u8], _ignore: bool, byte: u8) {
        self.flush_text();
        self.last_char = None;
        match (intermediates, byte) {
            ([], b'7') => self.save_cursor(),
            ([], b'8') => self.restore_cursor(),
            ([], b'D') => self.index(),
            ([], b'E') => {
                self.carriage_return();
                self.index();
            }
            ([], b'H') => self.set_tab(),
            ([], b'M') => self.reverse_index(),
            ([], b'c') => self.full_reset(),
            ([], b'=') => self.flags.app_keypad = true,
            ([], b'>') => self.flags.app_keypad = false,
            ([], b'V') => self.guarded_area(true),
            ([], b'W') => self.guarded_area(false),
            ([b'#'], b'8') => self.screen_alignment(),
            // S7C1T, S8C1T: how answers introduce their controls.
            ([b' '], b'F') => self.eight_bit_replies = false,
            ([b' '], b'G') => self.eight_bit_replies = true,
            // LS2, LS3; LS1R, LS2R, LS3R; SS2, SS3.
            ([], b'n') => self.charsets.gl = 2,
            ([], b'o') => self.charsets.gl = 3,
            ([], b'~') => self.charsets.gr = 1,
            ([], b'}') => self.charsets.gr = 2,
            ([], b'|') => self.charsets.gr = 3,
            ([], b'N') => self.charsets.single_shift = 2,
            ([], b'O') => self.charsets.single_shift = 3,
            // SCS: a 94-character set into G0-G3, a 96-character one into G1-G3.
            ([slot @ (b'(' | b')' | b'*' | b'+'), rest @ ..], last) if rest.len() <= 1 => {
                let national = self.flags.national;
                if let Some(set) = Charset::of_94(rest.first().copied(), last, national) {
                    self.charsets.g[usize::from(slot - b'(')] = set;
                }
            }
            ([slot @ (b'-' | b'.' | b'/')], last) => {
                if let Some(set) = Charset::of_96(last) {
                    self.charsets.g[usize::from(slot - b'-' + 1)] = set;
                }
            }
            _ => {}
        }
        self.dirty = true;
    }

    fn csi_dispatch(&mut self, params: &Params, intermediates: &[u8], ignore: bool, action: char) {
        self.flush_text();
        // REP repeats a character only right after it (see `repeat`).
        let repeated = self.last_char.take();
        if ignore {
            return;
        }
        // SGR, by far the most frequent, before the long match.
        if action == 'm' && intermediates.is_empty() {
            self.sgr(params);
            return;
        }
        let a0 = |d| arg(params, 0, d);
        match (intermediates, action) {
            ([], '@') => self.insert_chars(a0(1)),
            ([], 'A') => self.move_rows(-i32::from(a0(1))),
            ([], 'B' | 'e') => self.move_rows(i32::from(a0(1))),
            ([], 'C' | 'a') => self.cursor_forward(a0(1)),
            ([], 'D') => self.cursor_back(a0(1)),
            ([], 'E') => {
                self.move_rows(i32::from(a0(1)));
                self.carriage_return();
            }
            ([], 'F') => {
                self.move_rows(-i32::from(a0(1)));
                self.carriage_return();
            }
            ([], 'G' | '`') => {
                let (_, y) = self.cursor_from_origin();
                self.goto_origin(a0(1) - 1, y);
            }
            ([], 'H' | 'f') => self.goto_origin(arg(params, 1, 1) - 1, a0(1) - 1),
            ([], 'I') => self.tab(a0(1)),
            ([], 'J') => self.erase_display(raw(params, 0)),
            ([b'?'], 'J') => self.erase_display_as(raw(params, 0), Erase::Selective),
            ([], 'K') => self.erase_line(raw(params, 0)),
            ([b'?'], 'K') => self.erase_line_as(raw(params, 0), Erase::Selective),
            ([], 'L') => self.insert_lines(a0(1)),
            ([], 'M') => self.delete_lines(a0(1)),
            ([], 'P') => self.delete_chars(a0(1)),
            ([], 'S') => self.scroll_up(a0(1)),
            ([], 'T') => self.scroll_down(a0(1)),
            ([], 'X') => self.erase_chars(a0(1)),
            ([], 'Z') => self.back_tab(a0(1)),
            ([], 'b') => self.repeat(repeated, a0(1)),
            ([], 'c') if raw(params, 0) == 0 => self.report_primary_attributes(),
            ([b'>'], 'c') if raw(params, 0) == 0 => self.report_secondary_attributes(),
            ([b'='], 'c') if raw(params, 0) == 0 => self.report_unit_id(),
            ([], 'd') => {
                let (x, _) = self.cursor_from_origin();
                self.goto_origin(x, a0(1) - 1);
            }
            ([], 'g') => match raw(params, 0) {
                0 => {
                    let x = usize::from(self.cursor.x);
                    self.tabs[x] = false;
                }
                3 => self.tabs.fill(false),
                _ => {}
            },
            ([], 'h') => self.set_ansi_modes(params, true),
            ([], 'l') => self.set_ansi_modes(params, false),
            ([b'?'], 'h') => self.set_private_modes(params, true),
            ([b'?'], 'l') => self.set_private_modes(params, false),
            ([], 'n') => self.report_status(params, false),
            ([b'?'], 'n') => self.report_status(params, true),
            ([], 'r') => {
                let bottom = arg(params, 1, self.rows);
                self.set_region(a0(1) - 1, bottom - 1);
            }
            // DECSLRM with left/right margins on, else SCOSC.
            ([], 's') if self.flags.lr_margins => {
                let right = arg(params, 1, self.cols);
                self.set_lr_margins(a0(1) - 1, right - 1);
            }
            ([], 's') => self.save_cursor(),
            ([b'\''], '}') => self.insert_columns(a0(1)),
            ([b'\''], '~') => self.delete_columns(a0(1)),
            ([], 'u') => self.restore_cursor(),
            ([], 't') => self.window_op(params),
            ([b' '], 'q') => {
                let (shape, blink) = match raw(params, 0) {
                    0 => (CursorShape::Default, false),
                    1 => (CursorShape::Block, true),
                    2 => (CursorShape::Block, false),
                    3 => (CursorShape::Underline, true),
                    4 => (CursorShape::Underline, false),
                    5 => (CursorShape::Bar, true),
                    6 => (CursorShape::Bar, false),
                    _ => return,
                };
                self.flags.cursor_shape = shape;
                self.flags.cursor_blink = blink;
                self.dirty = true;
            }
            ([b'!'], 'p') => self.soft_reset(),
            ([b'"'], 'p') => self.set_conformance_level(raw(params, 0), raw(params, 1)),
            ([b'?', b'$'], 'p') => self.report_mode(raw(params, 0), true),
            ([b'$'], 'p') => self.report_mode(raw(params, 0), false),
            ([b'>'], 'q') if raw(params, 0) == 0 => self.report_version(),
            ([b'*'], 'y') => self.report_checksum(params),
            ([b'"'], 'q') => self.set_protection(raw(params, 0)),
            ([b'$'], 'z') => self.erase_rect(params, Erase::Normal),
            ([b'$'], '{') => self.erase_rect(params, Erase::Selective),
            ([b'$'], 'x') => self.fill_rect(params),
            ([b'$'], 'v') => self.copy_rect(params),
            ([b'$'], 'r') => self.change_rect_attrs(params, false),
            ([b'$'], 't') => self.change_rect_attrs(params, true),
            ([b'*'], 'x') => self.set_attr_change_extent(raw(params, 0)),
            _ => {}
        }
    }

    fn hook(&mut self, _params: &Params, intermediates: &[u8], ignore: bool, action: char) {
        self.flush_text();
        self.last_char = None;
        self.setting_request = (intermediates == b"$" && action == 'q' && !ignore).then(Vec::new);
    }

    fn put(&mut self, byte: u8) {
        if let Some(request) = &mut self.setting_request
            && request.len() <= MAX_SETTING_REQUEST
        {
            request.push(byte);
        }
    }

    fn unhook(&mut self) {
        if let Some(request) = self.setting_request.take() {
            self.report_setting(&request);
        }
    }

    fn osc_dispatch(&mut self, params: &[&[u8]], bell_terminated: bool) {
        self.flush_text();
        self.last_char = None;
        let Some(kind) = params.first() else { return };
        let text = |i: usize| params.get(i).map(|p| String::from_utf8_lossy(p));
        // Replies end as the request did.
        let end = if bell_terminated { "\x07" } else { "\x1b\\" };
        match *kind {
            b"0" | b"2" => {
                // A title may contain `;`: rejoin what vte split.
                let title: Vec<String> = (1..params.len())
                    .filter_map(|i| text(i).map(|t| t.into_owned()))
                    .collect();
                let title: String = title
                    .join(";")
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(1024)
                    .collect();
                if self.title != title {
                    self.title = title;
                    self.title_seq = self.seq;
                    self.dirty = true;
                }
            }
            b"7" => {
                if let Some(uri) = text(1) {
                    let cwd = parse_file_uri(&uri);
                    if self.cwd != cwd {
                        self.cwd = cwd;
                        self.cwd_seq = self.seq;
                    }
                    self.dirty = true;
                }
            }
            b"133" => self.semantic_mark(&params[1..]),
            b"633" => self.command_line_mark(&params[1..]),
            b"8" => {
                let target = params.get(2..).map(|p| p.join(&b';')).unwrap_or_default();
                self.link = if target.is_empty() || target.len() > MAX_LINK_LEN {
                    0
                } else {
                    self.links.id(&String::from_utf8_lossy(&target))
                };
            }
            b"52" => {
                let (Some(sel), Some(data)) = (params.get(1), params.get(2)) else {
                    return;
                };
                if *data == b"?" {
                    return;
                }
                if let Some(data) = decode_base64(data) {
                    let selection = String::from_utf8_lossy(sel).into_owned();
                    self.events.push(TermEvent::Clipboard { selection, data });
                    self.dirty = true;
                }
            }
            b"4" | b"5" => self.osc_palette(&params[1..], *kind == b"5", end),
            b"104" | b"105" => self.osc_reset_palette(&params[1..], *kind == b"105"),
            _ => match osc_number(kind) {
                Some(n @ 10..=19) => self.osc_dynamic(n, &params[1..], end),
                Some(n @ 110..=119) => self.osc_reset_dynamic(n - 110),
                _ => {}
            },
        }
    }
}

impl State {
    fn set_tab(&mut self) {
        let x = usize::from(self.cursor.x);
        if let Some(t) = self.tabs.get_mut(x) {
            *t = true;
        }
    }

    fn set_ansi_modes(&mut self, params: &Params, on: bool) {
        for p in params.iter() {
            match p.first().copied().unwrap_or(0) {
                4 => self.flags.insert = on,
                20 => self.flags.newline = on,
                _ => {}
            }
        }
        self.dirty = true;
    }

    fn set_private_modes(&mut self, params: &Params, on: bool) {
        for p in params.iter() {
            let mode = p.first().copied().unwrap_or(0);
            let tracking = |t| if on { t } else { MouseTracking::None };
            match mode {
                1 => self.flags.app_cursor = on,
                66 => self.flags.app_keypad = on,
                6 => {
                    self.flags.origin = on;
                    self.goto_origin(0, 0);
                }
                // A pending wrap stays pending (as in xterm): it waits for
                // autowrap to be on at the next character.
                7 => self.flags.autowrap = on,
                9 => self.flags.mouse_tracking = tracking(MouseTracking::X10),
                12 => self.flags.cursor_blink = on,
                25 => self.flags.cursor_visible = on,
                47 | 1047 => self.set_alternate(on, false, mode == 1047),
                1048 => {
                    if on {
                        self.save_cursor();
                    } else {
                        self.restore_cursor();
                    }
                }
                1049 => {
                    if on && !self.alt() {
                        self.save_cursor();
                        self.set_alternate(true, false, true);
                    } else if !on && self.alt() {
                        self.set_alternate(false, false, false);
                        self.restore_cursor();
                    }
                }
                1000 => self.flags.mouse_tracking = tracking(MouseTracking::Normal),
                1002 => self.flags.mouse_tracking = tracking(MouseTracking::Button),
                1003 => self.flags.mouse_tracking = tracking(MouseTracking::Any),
                1004 => self.flags.focus_events = on,
                1005 | 1006 | 1015 => {
                    let enc = match mode {
                        1005 => MouseEncoding::Utf8,
                        1006 => MouseEncoding::Sgr,
                        _ => MouseEncoding::Urxvt,
                    };
                    if on {
                        self.flags.mouse_encoding = enc;
                    } else if self.flags.mouse_encoding == enc {
                        self.flags.mouse_encoding = MouseEncoding::Default;
                    }
                }
                2004 => {
                    self.flags.bracketed_paste = on;
                    if !on {
                        // A line editor's last word on a line (see blocks.rs).
                        self.line_editor_done();
                    }
                }
                2026 => self.flags.synchronized = on,
                2027 => self.flags.clusters = on,
                45 => self.flags.reverse_wrap = on,
                3 => self.set_column_mode(on),
                40 => self.flags.allow_column_mode = on,
                95 => self.flags.keep_screen_on_column_mode = on,
                42 => self.flags.national = on,
                69 => self.set_lr_mode(on),
                _ => {}
            }
        }
        self.dirty = true;
    }

    fn sgr(&mut self, params: &Params) {
        // SGR 0 leaves DECSCA's protection as it is.
        let protected = self.pen.attrs & Attrs::PROTECTED;
        if params.is_empty() {
            self.pen = Style::default();
            self.pen.attrs |= protected;
            return;
        }
        let mut it = params.iter();
        while let Some(p) = it.next() {
            let code = p.first().copied().unwrap_or(0);
            let pen = &mut self.pen;
            match code {
                0 => {
                    *pen = Style::default();
                    pen.attrs |= protected;
                }
                1 => pen.attrs |= Attrs::BOLD,
                2 => pen.attrs |= Attrs::DIM,
                3 => pen.attrs |= Attrs::ITALIC,
                4 => {
                    pen.attrs -= Attrs::UNDERLINE
                        | Attrs::DOUBLE_UNDERLINE
                        | Attrs::CURLY_UNDERLINE
                        | Attrs::DOTTED_UNDERLINE
                        | Attrs::DASHED_UNDERLINE;
                    pen.attrs |= match p.get(1).copied().unwrap_or(1) {
                        0 => Attrs::empty(),
                        2 => Attrs::DOUBLE_UNDERLINE,
                        3 => Attrs::CURLY_UNDERLINE,
                        4 => Attrs::DOTTED_UNDERLINE,
                        5 => Attrs::DASHED_UNDERLINE,
                        _ => Attrs::UNDERLINE,
                    };
                }
                5 | 6 => pen.attrs |= Attrs::BLINK,
                7 => pen.attrs |= Attrs::INVERSE,
                8 => pen.attrs |= Attrs::HIDDEN,
                9 => pen.attrs |= Attrs::STRIKETHROUGH,
                21 => {
                    pen.attrs -= Attrs::UNDERLINE
                        | Attrs::CURLY_UNDERLINE
                        | Attrs::DOTTED_UNDERLINE
                        | Attrs::DASHED_UNDERLINE;
                    pen.attrs |= Attrs::DOUBLE_UNDERLINE;
                }
                22 => pen.attrs -= Attrs::BOLD | Attrs::DIM,
                23 => pen.attrs -= Attrs::ITALIC,
                24 => {
                    pen.attrs -= Attrs::UNDERLINE
                        | Attrs::DOUBLE_UNDERLINE
                        | Attrs::CURLY_UNDERLINE
                        | Attrs::DOTTED_UNDERLINE
                        | Attrs::DASHED_UNDERLINE
                }
                25 => pen.attrs -= Attrs::BLINK,
                27 => pen.attrs -= Attrs::INVERSE,
                28 => pen.attrs -= Attrs::HIDDEN,
                29 => pen.attrs -= Attrs::STRIKETHROUGH,
                30..=37 => pen.fg = Color::Indexed((code - 30) as u8),
                39 => pen.fg = Color::Default,
                40..=47 => pen.bg = Color::Indexed((code - 40) as u8),
                49 => pen.bg = Color::Default,
                53 => pen.attrs |= Attrs::OVERLINE,
                55 => pen.attrs -= Attrs::OVERLINE,
                59 => pen.underline_color = Color::Default,
                90..=97 => pen.fg = Color::Indexed((code - 90 + 8) as u8),
                100..=107 => pen.bg = Color::Indexed((code - 100 + 8) as u8),
                38 | 48 | 58 => {
                    let color = if p.len() > 1 {
                        extended_color_sub(&p[1..])
                    } else {
                        extended_color_params(&mut it)
                    };
                    if let Some(color) = color {
                        match code {
                            38 => pen.fg = color,
                            48 => pen.bg = color,
                            _ => pen.underline_color = color,
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// `38:5:n`, `38:2:r:g:b` or `38:2:cs:r:g:b` (colon subparameters).
fn extended_color_sub(sub: &[u16]) -> Option<Color> {
    match sub {
        [5, n, ..] => Some(Color::Indexed(*n as u8)),
        [2, _, r, g, b, ..] => Some(Color::Rgb(*r as u8, *g as u8, *b as u8)),
        [2, r, g, b] => Some(Color::Rgb(*r as u8, *g as u8, *b as u8)),
        _ => None,
    }
}

/// `38;5;n` or `38;2;r;g;b` (separate parameters).
fn extended_color_params<'a>(it: &mut impl Iterator<Item = &'a [u16]>) -> Option<Color> {
    let mut next = || it.next().and_then(|p| p.first().copied());
    match next()? {
        5 => Some(Color::Indexed(next()? as u8)),
        2 => {
            let (r, g, b) = (next()?, next()?, next()?);
            Some(Color::Rgb(r as u8, g as u8, b as u8))
        }
        _ => None,
    }
}

/// An OSC's number (`None` if it is not one).
fn osc_number(kind: &[u8]) -> Option<usize> {
    std::str::from_utf8(kind).ok()?.parse().ok()
}

/// The path of an OSC 7 `file://host/path` URI, percent-decoded.
fn parse_file_uri(uri: &str) -> Option<String> {
    let rest = uri.strip_prefix("file://")?;
    Some(wrapd_proto::percent::percent_decode(
        &rest[rest.find('/')?..],
    ))
}

fn decode_base64(data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for &b in data {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' | b'\n' | b'\r' => continue,
            _ => return None,
        };
        acc = acc << 6 | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_uris() {
        assert_eq!(
            parse_file_uri("file://host/home/a%20b").as_deref(),
            Some("/home/a b")
        );
        assert_eq!(parse_file_uri("file:///tmp").as_deref(), Some("/tmp"));
        assert_eq!(parse_file_uri("http://x/y"), None);
    }

    #[test]
    fn base64() {
        assert_eq!(decode_base64(b"aGVsbG8=").unwrap(), b"hello");
        assert_eq!(decode_base64(b"Zm9vYmFy").unwrap(), b"foobar");
        assert!(decode_base64(b"*").is_none());
    }
}
