//! Saving the terminal model and restoring it in another process: what
//! `wrapd-muxd upgrade` hands to the binary that replaces the daemon, so a
//! session's terminal goes on exactly where it stopped.
//!
//! The format is `wrapd.state.v1.TerminalState` (`proto/wrapd/state/v1/
//! terminal.proto`; the rules for changing it are at its top). Saving copies
//! what the model holds (the history's blocks as they are: no row is
//! encoded again); restoring checks every size, position and index before
//! the model uses it, so bad bytes give a [`PersistError`], never a panic.
//!
//! Not saved: the replies and events not taken yet (the owner takes them
//! after every feed), caches (blank cells, the history's last decompressed
//! block), and the byte parser itself. Its state comes back from the bytes
//! that made it (see parser_tail.rs): a hand-over inside an escape sequence
//! or a UTF-8 character feeds the restored terminal that sequence's or
//! character's bytes so far, and the rest of it, read by the new daemon,
//! completes it as if nothing had happened.
//!
//! This file: the API, its errors, and the scalar state (cursor, modes,
//! margins, charsets...); `persist_cells`: styles, rows, screens, links,
//! history; `persist_blocks`: blocks and colours.

use std::fmt::Display;

use prost::Message;
use wrapd_proto::state as pb;

use super::charset::{Charset, Charsets};
use super::cursor::{CursorPos, Saved};
use super::modes::Flags;
use super::parser_tail::ParserTail;
use super::persist_blocks::{restore_blocks, restore_colors, save_blocks, save_colors};
use super::persist_cells::{
    restore_history, restore_links, restore_screen, restore_style, save_history, save_screen,
    save_style,
};
use super::reports::MAX_SAVED_TITLES;
use super::state::State;
use super::style::Style;
use super::{CursorShape, MouseEncoding, MouseTracking, OSC_MAX, Term, TermConfig};

/// The version of `TerminalState` this daemon writes (and the newest it reads).
pub const STATE_VERSION: u32 = 1;

/// Why saved terminal state could not be restored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersistError {
    #[error("saved terminal state: not readable: {0}")]
    Unreadable(String),
    #[error(
        "saved terminal state: version {found} is newer than this wrapd-muxd reads (1 to {known})"
    )]
    UnknownVersion { found: u32, known: u32 },
    #[error("saved terminal state: `{0}` is missing")]
    MissingField(String),
    #[error("saved terminal state: `{field}` is {value}, out of range ({expected})")]
    OutOfRange {
        field: String,
        value: String,
        expected: String,
    },
}

pub(super) type Result<T> = std::result::Result<T, PersistError>;

pub(super) fn out_of_range(
    field: impl Into<String>,
    value: impl Display,
    expected: impl Into<String>,
) -> PersistError {
    PersistError::OutOfRange {
        field: field.into(),
        value: value.to_string(),
        expected: expected.into(),
    }
}

/// A message field that must be there.
pub(super) fn required<T>(value: Option<T>, field: &str) -> Result<T> {
    value.ok_or_else(|| PersistError::MissingField(field.to_owned()))
}

/// `value` as a number below `limit`.
pub(super) fn below(value: u32, limit: u16, field: &str) -> Result<u16> {
    if value < u32::from(limit) {
        Ok(value as u16)
    } else {
        Err(out_of_range(field, value, format!("below {limit}")))
    }
}

/// A protobuf enum's value, known to this daemon.
pub(super) fn known<E: TryFrom<i32>>(value: i32, field: &str) -> Result<E> {
    E::try_from(value).map_err(|_| out_of_range(field, value, "a known value"))
}

impl Term {
    /// Everything the terminal holds, to be read back by [`Term::restore`]
    /// (by this daemon or a newer one).
    pub fn save(&self) -> Vec<u8> {
        self.to_state().encode_to_vec()
    }

    /// A terminal as [`Term::save`] left it. The owner sets the clock and
    /// the viewer's look as it does for a new terminal.
    pub fn restore(bytes: &[u8]) -> std::result::Result<Term, PersistError> {
        let state = pb::TerminalState::decode(bytes)
            .map_err(|e| PersistError::Unreadable(e.to_string()))?;
        Term::from_state(state)
    }

    /// [`Term::save`] as a message, for an owner that saves it inside its own.
    pub fn to_state(&self) -> pb::TerminalState {
        let s = &self.state;
        pb::TerminalState {
            version: STATE_VERSION,
            cols: s.cols.into(),
            rows: s.rows.into(),
            scrollback_lines: s.history.max_lines as u64,
            scrollback_bytes: s.history.max_bytes as u64,
            screen: Some(save_screen(&s.grid)),
            primary: s.primary.as_ref().map(save_screen),
            history: Some(save_history(&s.history)),
            screen_start: s.screen_start,
            cursor: Some(save_cursor(s.cursor)),
            pen: Some(save_pen(s.pen, s.link)),
            saved: s.saved.iter().map(save_saved).collect(),
            margins: Some(pb::Margins {
                top: s.top.into(),
                bottom: s.bottom.into(),
                left: s.left.into(),
                right: s.right.into(),
            }),
            tab_stops: (0..)
                .zip(&s.tabs)
                .filter_map(|(x, &stop)| stop.then_some(x))
                .collect(),
            modes: Some(save_modes(&s.flags)),
            charsets: Some(save_charsets(&s.charsets)),
            title: s.title.clone(),
            title_seq: s.title_seq,
            title_stack: s.title_stack.clone(),
            colors: Some(save_colors(&s.colors)),
            iso_protection: s.iso_protection,
            eight_bit_replies: s.eight_bit_replies,
            rect_attrs_exact: s.rect_attrs_exact,
            cwd: s.cwd.clone(),
            cwd_seq: s.cwd_seq,
            links: s.links.targets().iter().map(|t| t.to_string()).collect(),
            committed_seq: self.committed,
            next_seq: s.seq,
            dirty: s.dirty,
            last_char: s.last_char.map_or(0, u32::from),
            blocks: Some(save_blocks(&s.blocks)),
            parser: Some(pb::ParserTail {
                open_sequence: self.tail.open_sequence().to_vec(),
                cut_char: self.tail.cut_char().to_vec(),
            }),
        }
    }

    /// [`Term::restore`] from a message.
    pub fn from_state(state: pb::TerminalState) -> std::result::Result<Term, PersistError> {
        match state.version {
            0 => return Err(PersistError::MissingField("version".into())),
            1..=STATE_VERSION => {}
            found => {
                return Err(PersistError::UnknownVersion {
                    found,
                    known: STATE_VERSION,
                });
            }
        }
        let cols = size(state.cols, "cols")?;
        let rows = size(state.rows, "rows")?;
        let config = TermConfig {
            scrollback_lines: usize::try_from(state.scrollback_lines)
                .map_err(|_| out_of_range("scrollback_lines", state.scrollback_lines, "usize"))?,
            scrollback_bytes: usize::try_from(state.scrollback_bytes)
                .map_err(|_| out_of_range("scrollback_bytes", state.scrollback_bytes, "usize"))?,
        };
        // The screens first: a terminal as large as the state says is made
        // only once its rows are there.
        let link_targets = restore_links(state.links)?;
        let links = link_targets.targets().len();
        let grid = restore_screen(
            required(state.screen, "screen")?,
            cols,
            rows,
            links,
            "screen",
        )?;
        let primary = match state.primary {
            Some(p) => Some(restore_screen(p, cols, rows, links, "primary")?),
            None => None,
        };
        let mut s = State::new(cols, rows, config);
        (s.links, s.grid, s.primary) = (link_targets, grid, primary);
        s.history = restore_history(required(state.history, "history")?, config)?;
        if state.screen_start != s.history.end() {
            let expected = format!("the history's end, {}", s.history.end());
            return Err(out_of_range("screen_start", state.screen_start, expected));
        }
        s.screen_start = state.screen_start;
        s.cursor = restore_cursor(required(state.cursor, "cursor")?, cols, rows, "cursor")?;
        (s.pen, s.link) = restore_pen(required(state.pen, "pen")?, links, "pen")?;
        let [primary, alternate] = <[pb::SavedCursor; 2]>::try_from(state.saved)
            .map_err(|v| out_of_range("saved", v.len(), "2 saved cursors"))?;
        s.saved = [
            restore_saved(primary, &s, links, "saved[0]")?,
            restore_saved(alternate, &s, links, "saved[1]")?,
        ];
        let m = required(state.margins, "margins")?;
        (s.top, s.bottom) = margins(m.top, m.bottom, rows, "margins.top", "margins.bottom")?;
        (s.left, s.right) = margins(m.left, m.right, cols, "margins.left", "margins.right")?;
        s.tabs.fill(false);
        for x in state.tab_stops {
            s.tabs[usize::from(below(x, cols, "tab_stops")?)] = true;
        }
        s.flags = restore_modes(required(state.modes, "modes")?)?;
        s.charsets = restore_charsets(required(state.charsets, "charsets")?, "charsets")?;
        s.title = state.title;
        s.title_seq = state.title_seq;
        if state.title_stack.len() > MAX_SAVED_TITLES {
            let expected = format!("at most {MAX_SAVED_TITLES}");
            return Err(out_of_range(
                "title_stack",
                state.title_stack.len(),
                expected,
            ));
        }
        s.title_stack = state.title_stack;
        s.colors = restore_colors(required(state.colors, "colors")?)?;
        s.iso_protection = state.iso_protection;
        s.eight_bit_replies = state.eight_bit_replies;
        s.rect_attrs_exact = state.rect_attrs_exact;
        s.cwd = state.cwd;
        s.cwd_seq = state.cwd_seq;
        if state.next_seq <= state.committed_seq {
            let expected = format!("above committed_seq, {}", state.committed_seq);
            return Err(out_of_range("next_seq", state.next_seq, expected));
        }
        s.seq = state.next_seq;
        s.last_char = match state.last_char {
            0 => None,
            c => Some(char::from_u32(c).ok_or_else(|| out_of_range("last_char", c, "a char"))?),
        };
        s.blocks = restore_blocks(required(state.blocks, "blocks")?)?;
        let mut term = Term {
            parser: Box::new(vte::Parser::<OSC_MAX>::new_with_size()),
            state: s,
            committed: state.committed_seq,
            tail: ParserTail::default(),
        };
        term.replay(required(state.parser, "parser")?)?;
        term.state.dirty = state.dirty;
        Ok(term)
    }

    /// Put the new parser where the old one was: feed it the bytes it held.
    /// They must be what a terminal keeps (an open sequence, or the start
    /// of a character), so that feeding them changes nothing else.
    fn replay(&mut self, tail: pb::ParserTail) -> Result<()> {
        let mut check = ParserTail::default();
        let (bytes, field, what) = if !tail.open_sequence.is_empty() {
            check.fed(&tail.open_sequence, 0);
            let ok = check.open_sequence() == tail.open_sequence.as_slice();
            let what = "an escape sequence not yet ended";
            (
                ok.then_some(tail.open_sequence),
                "parser.open_sequence",
                what,
            )
        } else {
            check.fed(&tail.cut_char, 0);
            let ok = check.cut_char() == tail.cut_char.as_slice();
            (
                ok.then_some(tail.cut_char),
                "parser.cut_char",
                "the start of a UTF-8 character",
            )
        };
        let bytes = bytes.ok_or_else(|| out_of_range(field, "other bytes", what))?;
        self.feed(&bytes);
        Ok(())
    }
}

/// A terminal's side: at least 1.
fn size(value: u32, field: &str) -> Result<u16> {
    match u16::try_from(value) {
        Ok(v) if v >= 1 => Ok(v),
        _ => Err(out_of_range(field, value, "1 to 65535")),
    }
}

/// Inclusive margins within `0..limit`.
fn margins(first: u32, last: u32, limit: u16, f1: &str, f2: &str) -> Result<(u16, u16)> {
    let last = below(last, limit, f2)?;
    let first = below(first, last.saturating_add(1), f1)?;
    Ok((first, last))
}

fn save_cursor(c: CursorPos) -> pb::Cursor {
    pb::Cursor {
        col: c.x.into(),
        row: c.y.into(),
        pending_wrap: c.pending_wrap,
    }
}

fn restore_cursor(c: pb::Cursor, cols: u16, rows: u16, field: &str) -> Result<CursorPos> {
    Ok(CursorPos {
        x: below(c.col, cols, &format!("{field}.col"))?,
        y: below(c.row, rows, &format!("{field}.row"))?,
        pending_wrap: c.pending_wrap,
    })
}

fn save_pen(style: Style, link: u16) -> pb::Pen {
    pb::Pen {
        style: Some(save_style(style)),
        link: link.into(),
    }
}

fn restore_pen(pen: pb::Pen, links: usize, field: &str) -> Result<(Style, u16)> {
    let style = restore_style(pen.style.unwrap_or_default(), &format!("{field}.style"))?;
    let link = link_id(pen.link, links, &format!("{field}.link"))?;
    Ok((style, link))
}

/// A cell's or the pen's link: 0, or one of the `links` targets.
pub(super) fn link_id(value: u32, links: usize, field: &str) -> Result<u16> {
    match u16::try_from(value) {
        Ok(id) if usize::from(id) <= links => Ok(id),
        _ => Err(out_of_range(field, value, format!("0 to {links}"))),
    }
}

fn save_saved(s: &Saved) -> pb::SavedCursor {
    pb::SavedCursor {
        cursor: Some(save_cursor(s.cursor)),
        pen: Some(save_pen(s.pen, s.link)),
        origin: s.origin,
        charsets: Some(save_charsets(&s.charsets)),
    }
}

fn restore_saved(s: pb::SavedCursor, st: &State, links: usize, field: &str) -> Result<Saved> {
    let cursor = required(s.cursor, &format!("{field}.cursor"))?;
    let (pen, link) = restore_pen(
        required(s.pen, &format!("{field}.pen"))?,
        links,
        &format!("{field}.pen"),
    )?;
    let charsets = required(s.charsets, &format!("{field}.charsets"))?;
    let charsets = restore_charsets(charsets, &format!("{field}.charsets"))?;
    Ok(Saved {
        cursor: restore_cursor(cursor, st.cols, st.rows, &format!("{field}.cursor"))?,
        pen,
        link,
        origin: s.origin,
        charsets: Charsets {
            single_shift: 0,
            ..charsets
        },
    })
}

fn save_charsets(c: &Charsets) -> pb::Charsets {
    let code = |set: Charset| {
        (match set {
            Charset::Ascii => pb::Charset::Ascii,
            Charset::DecGraphics => pb::Charset::DecGraphics,
            Charset::British => pb::Charset::British,
            Charset::DecSupplemental => pb::Charset::DecSupplemental,
            Charset::DecTechnical => pb::Charset::DecTechnical,
            Charset::Latin1 => pb::Charset::Latin1,
            Charset::Dutch => pb::Charset::Dutch,
            Charset::Finnish => pb::Charset::Finnish,
            Charset::French => pb::Charset::French,
            Charset::FrenchCanadian => pb::Charset::FrenchCanadian,
            Charset::German => pb::Charset::German,
            Charset::Italian => pb::Charset::Italian,
            Charset::NorwegianDanish => pb::Charset::NorwegianDanish,
            Charset::Portuguese => pb::Charset::Portuguese,
            Charset::Spanish => pb::Charset::Spanish,
            Charset::Swedish => pb::Charset::Swedish,
            Charset::Swiss => pb::Charset::Swiss,
        }) as i32
    };
    pb::Charsets {
        g0: code(c.g[0]),
        g1: code(c.g[1]),
        g2: code(c.g[2]),
        g3: code(c.g[3]),
        gl: c.gl.into(),
        gr: c.gr.into(),
        single_shift: c.single_shift.into(),
    }
}

fn restore_charsets(c: pb::Charsets, field: &str) -> Result<Charsets> {
    let charset = |v: i32, g: &str| -> Result<Charset> {
        Ok(match known(v, &format!("{field}.{g}"))? {
            pb::Charset::Ascii => Charset::Ascii,
            pb::Charset::DecGraphics => Charset::DecGraphics,
            pb::Charset::British => Charset::British,
            pb::Charset::DecSupplemental => Charset::DecSupplemental,
            pb::Charset::DecTechnical => Charset::DecTechnical,
            pb::Charset::Latin1 => Charset::Latin1,
            pb::Charset::Dutch => Charset::Dutch,
            pb::Charset::Finnish => Charset::Finnish,
            pb::Charset::French => Charset::French,
            pb::Charset::FrenchCanadian => Charset::FrenchCanadian,
            pb::Charset::German => Charset::German,
            pb::Charset::Italian => Charset::Italian,
            pb::Charset::NorwegianDanish => Charset::NorwegianDanish,
            pb::Charset::Portuguese => Charset::Portuguese,
            pb::Charset::Spanish => Charset::Spanish,
            pb::Charset::Swedish => Charset::Swedish,
            pb::Charset::Swiss => Charset::Swiss,
        })
    };
    let gl = below(c.gl, 4, &format!("{field}.gl"))?;
    let gr = match c.gr {
        0 => 2,
        gr @ 1..=3 => gr as u8,
        gr => return Err(out_of_range(format!("{field}.gr"), gr, "0 to 3")),
    };
    let single_shift = match c.single_shift {
        shift @ (0 | 2 | 3) => shift as u8,
        shift => {
            return Err(out_of_range(
                format!("{field}.single_shift"),
                shift,
                "0, 2 or 3",
            ));
        }
    };
    Ok(Charsets {
        g: [
            charset(c.g0, "g0")?,
            charset(c.g1, "g1")?,
            charset(c.g2, "g2")?,
            charset(c.g3, "g3")?,
        ],
        gl: gl as u8,
        gr,
        single_shift,
    })
}

fn save_modes(f: &Flags) -> pb::Modes {
    pb::Modes {
        origin: f.origin,
        autowrap: f.autowrap,
        insert: f.insert,
        newline: f.newline,
        application_cursor: f.app_cursor,
        application_keypad: f.app_keypad,
        bracketed_paste: f.bracketed_paste,
        mouse_tracking: match f.mouse_tracking {
            MouseTracking::None => pb::MouseTracking::None,
            MouseTracking::X10 => pb::MouseTracking::X10,
            MouseTracking::Normal => pb::MouseTracking::Normal,
            MouseTracking::Button => pb::MouseTracking::Button,
            MouseTracking::Any => pb::MouseTracking::Any,
        } as i32,
        mouse_encoding: match f.mouse_encoding {
            MouseEncoding::Default => pb::MouseEncoding::Default,
            MouseEncoding::Utf8 => pb::MouseEncoding::Utf8,
            MouseEncoding::Sgr => pb::MouseEncoding::Sgr,
            MouseEncoding::Urxvt => pb::MouseEncoding::Urxvt,
        } as i32,
        focus_events: f.focus_events,
        cursor_visible: f.cursor_visible,
        cursor_shape: match f.cursor_shape {
            CursorShape::Default => pb::CursorShape::Default,
            CursorShape::Block => pb::CursorShape::Block,
            CursorShape::Underline => pb::CursorShape::Underline,
            CursorShape::Bar => pb::CursorShape::Bar,
        } as i32,
        cursor_blink: f.cursor_blink,
        synchronized: f.synchronized,
        clusters: f.clusters,
        lr_margins: f.lr_margins,
        reverse_wrap: f.reverse_wrap,
        allow_column_mode: f.allow_column_mode,
        column_mode: f.column_mode,
        keep_screen_on_column_mode: f.keep_screen_on_column_mode,
        national: f.national,
    }
}

fn restore_modes(m: pb::Modes) -> Result<Flags> {
    Ok(Flags {
        origin: m.origin,
        autowrap: m.autowrap,
        insert: m.insert,
        newline: m.newline,
        app_cursor: m.application_cursor,
        app_keypad: m.application_keypad,
        bracketed_paste: m.bracketed_paste,
        mouse_tracking: match known(m.mouse_tracking, "modes.mouse_tracking")? {
            pb::MouseTracking::None => MouseTracking::None,
            pb::MouseTracking::X10 => MouseTracking::X10,
            pb::MouseTracking::Normal => MouseTracking::Normal,
            pb::MouseTracking::Button => MouseTracking::Button,
            pb::MouseTracking::Any => MouseTracking::Any,
        },
        mouse_encoding: match known(m.mouse_encoding, "modes.mouse_encoding")? {
            pb::MouseEncoding::Default => MouseEncoding::Default,
            pb::MouseEncoding::Utf8 => MouseEncoding::Utf8,
            pb::MouseEncoding::Sgr => MouseEncoding::Sgr,
            pb::MouseEncoding::Urxvt => MouseEncoding::Urxvt,
        },
        focus_events: m.focus_events,
        cursor_visible: m.cursor_visible,
        cursor_shape: match known(m.cursor_shape, "modes.cursor_shape")? {
            pb::CursorShape::Default => CursorShape::Default,
            pb::CursorShape::Block => CursorShape::Block,
            pb::CursorShape::Underline => CursorShape::Underline,
            pb::CursorShape::Bar => CursorShape::Bar,
        },
        cursor_blink: m.cursor_blink,
        synchronized: m.synchronized,
        clusters: m.clusters,
        lr_margins: m.lr_margins,
        reverse_wrap: m.reverse_wrap,
        allow_column_mode: m.allow_column_mode,
        column_mode: m.column_mode,
        keep_screen_on_column_mode: m.keep_screen_on_column_mode,
        national: m.national,
    })
}
