//! Colours a program sets and asks for: the 256-colour palette (OSC 4), the
//! special colours (OSC 5: bold, underline, blink, reverse, italic) and the
//! dynamic ones (OSC 10-19: foreground, background, cursor, mouse, Tektronix
//! and highlight colours), and their resets (OSC 104, 105, 110-119).
//!
//! A query (`?` in place of a colour) answers what the program set; else
//! what the viewer's own terminal showed (the most recent attach client asks
//! its terminal and reports it, see [`TerminalLook`]); else the default:
//! xterm's palette, white on black. Colours are kept with 16 bits a channel,
//! as X11 colour specifications give them, so `rgb:1234/5678/9abc` is
//! answered exactly as it was set. Setting a colour changes only these
//! answers: clients draw palette colours with their own terminal's palette.

use wrapd_common::color::{Rgb, parse_color};

use super::state::State;

/// The special colours OSC 5 numbers 0..=4.
pub(super) const SPECIAL_COLORS: usize = 5;
/// OSC 10..=19.
pub(super) const DYNAMIC_COLORS: usize = 10;

/// What the viewer's own terminal looks like, as its client found out when
/// it attached (`None`: the terminal did not say).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TerminalLook {
    pub foreground: Option<Rgb>,
    pub background: Option<Rgb>,
    pub cursor: Option<Rgb>,
    /// Palette entries by index.
    pub palette: Vec<(u8, Rgb)>,
    /// A cell's width and height in pixels (0: unknown).
    pub cell_pixels: (u16, u16),
}

/// The colours the program set (`None`: not set), and the viewer's.
#[derive(Debug, Clone, Default)]
pub(crate) struct Colors {
    /// Boxed: 256 entries a terminal rarely touches.
    pub(super) palette: Option<Box<[Option<Rgb>; 256]>>,
    pub(super) special: [Option<Rgb>; SPECIAL_COLORS],
    pub(super) dynamic: [Option<Rgb>; DYNAMIC_COLORS],
    /// The most recent client's terminal (a reset keeps it: it is no
    /// setting of the program's).
    pub viewer: TerminalLook,
}

impl Colors {
    /// OSC 10 + `n`: what the program set, else the viewer's colour, else
    /// the default. Those the viewer does not report (and the special
    /// colours) default to the viewer's foreground or background, as xterm's
    /// default to its own.
    fn dynamic(&self, n: usize) -> Rgb {
        let v = &self.viewer;
        let own = match n {
            0 => v.foreground,
            1 => v.background,
            2 => v.cursor,
            _ => None,
        };
        // Background, mouse background, Tektronix background, highlight text.
        let background = matches!(n, 1 | 4 | 6 | 9);
        self.dynamic[n]
            .or(own)
            .unwrap_or_else(|| self.base(background))
    }

    /// The viewer's foreground or background, else white on black.
    fn base(&self, background: bool) -> Rgb {
        if background {
            self.viewer.background.unwrap_or(Rgb::BLACK)
        } else {
            self.viewer.foreground.unwrap_or(Rgb::WHITE)
        }
    }

    /// Palette entry `index`: the program's, the viewer's, or xterm's.
    fn palette(&self, index: u8) -> Rgb {
        self.palette
            .as_ref()
            .and_then(|p| p[usize::from(index)])
            .or_else(|| {
                let viewer = self.viewer.palette.iter();
                viewer.rev().find(|(i, _)| *i == index).map(|(_, c)| *c)
            })
            .unwrap_or_else(|| default_palette(index))
    }

    /// Everything the program set back to the defaults (RIS).
    pub fn forget_program_colors(&mut self) {
        let viewer = std::mem::take(&mut self.viewer);
        *self = Colors {
            viewer,
            ..Colors::default()
        };
    }
}

/// xterm's default palette: 16 named colours, a 6×6×6 cube, 24 greys.
fn default_palette(index: u8) -> Rgb {
    const NAMED: [(u8, u8, u8); 16] = [
        (0x00, 0x00, 0x00),
        (0xcd, 0x00, 0x00),
        (0x00, 0xcd, 0x00),
        (0xcd, 0xcd, 0x00),
        (0x00, 0x00, 0xee),
        (0xcd, 0x00, 0xcd),
        (0x00, 0xcd, 0xcd),
        (0xe5, 0xe5, 0xe5),
        (0x7f, 0x7f, 0x7f),
        (0xff, 0x00, 0x00),
        (0x00, 0xff, 0x00),
        (0xff, 0xff, 0x00),
        (0x5c, 0x5c, 0xff),
        (0xff, 0x00, 0xff),
        (0x00, 0xff, 0xff),
        (0xff, 0xff, 0xff),
    ];
    match index {
        0..=15 => {
            let (r, g, b) = NAMED[usize::from(index)];
            Rgb::from_bytes(r, g, b)
        }
        16..=231 => {
            let level = |v: u8| if v == 0 { 0 } else { 55 + 40 * v };
            let i = index - 16;
            Rgb::from_bytes(level(i / 36), level(i / 6 % 6), level(i % 6))
        }
        _ => {
            let v = 8 + 10 * (index - 232);
            Rgb::from_bytes(v, v, v)
        }
    }
}

/// A colour the program sets, as xterm keeps it: 8 bits a channel (what a
/// display shows), each byte doubled when asked (`rgb:1234/…` reads back
/// `rgb:1212/…`, `#ff8000` reads back `rgb:ffff/8080/0000`).
fn program_color(spec: &[u8]) -> Option<Rgb> {
    let Rgb(r, g, b) = parse_color(spec)?;
    let byte = |c: u16| (c >> 8) as u8;
    Some(Rgb::from_bytes(byte(r), byte(g), byte(b)))
}

/// `rgb:rrrr/gggg/bbbb`, as xterm answers.
fn spec(c: Rgb) -> String {
    format!("rgb:{:04x}/{:04x}/{:04x}", c.0, c.1, c.2)
}

impl State {
    /// OSC 4 (`special` false) or OSC 5: pairs of an index and a colour or `?`.
    pub fn osc_palette(&mut self, args: &[&[u8]], special: bool, end: &str) {
        let osc = if special { 5 } else { 4 };
        for pair in args.chunks(2) {
            let [index, value] = pair else { return };
            let Some(index) = std::str::from_utf8(index)
                .ok()
                .and_then(|s| s.parse::<usize>().ok())
            else {
                continue;
            };
            let slot = if special {
                if index >= SPECIAL_COLORS {
                    continue;
                }
                &mut self.colors.special[index]
            } else {
                let Ok(index) = u8::try_from(index) else {
                    continue;
                };
                let palette = self
                    .colors
                    .palette
                    .get_or_insert_with(|| Box::new([None; 256]));
                &mut palette[usize::from(index)]
            };
            if *value == b"?" {
                let color = match (special, *slot) {
                    (_, Some(c)) => c,
                    (true, None) => self.colors.base(false),
                    (false, None) => self.colors.palette(index as u8),
                };
                let reply = format!("\x1b]{osc};{index};{}{end}", spec(color));
                self.reply(&reply);
            } else if let Some(color) = program_color(value) {
                *slot = Some(color);
            }
        }
    }

    /// OSC 10..=19 (`first`): each argument sets or asks for the next colour.
    pub fn osc_dynamic(&mut self, first: usize, args: &[&[u8]], end: &str) {
        for (n, value) in (first - 10..DYNAMIC_COLORS).zip(args) {
            if *value == b"?" {
                let color = self.colors.dynamic(n);
                let reply = format!("\x1b]{};{}{end}", n + 10, spec(color));
                self.reply(&reply);
            } else if let Some(color) = program_color(value) {
                self.colors.dynamic[n] = Some(color);
            }
        }
    }

    /// OSC 104 (`special` false) or 105: the listed entries back to their
    /// defaults, or all of them when none is listed.
    pub fn osc_reset_palette(&mut self, args: &[&[u8]], special: bool) {
        let indices: Vec<usize> = args
            .iter()
            .filter_map(|a| std::str::from_utf8(a).ok()?.parse().ok())
            .collect();
        let all = args.iter().all(|a| a.is_empty());
        if special {
            for (i, slot) in self.colors.special.iter_mut().enumerate() {
                if all || indices.contains(&i) {
                    *slot = None;
                }
            }
        } else if let Some(palette) = &mut self.colors.palette {
            for (i, slot) in palette.iter_mut().enumerate() {
                if all || indices.contains(&i) {
                    *slot = None;
                }
            }
        }
    }

    /// OSC 110..=119: that dynamic colour back to its default.
    pub fn osc_reset_dynamic(&mut self, n: usize) {
        if let Some(slot) = self.colors.dynamic.get_mut(n) {
            *slot = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xterms_default_palette() {
        assert_eq!(spec(default_palette(1)), "rgb:cdcd/0000/0000");
        assert_eq!(spec(default_palette(12)), "rgb:5c5c/5c5c/ffff");
        assert_eq!(spec(default_palette(16)), "rgb:0000/0000/0000");
        assert_eq!(spec(default_palette(196)), "rgb:ffff/0000/0000");
        assert_eq!(spec(default_palette(110)), "rgb:8787/afaf/d7d7");
        assert_eq!(spec(default_palette(232)), "rgb:0808/0808/0808");
        assert_eq!(spec(default_palette(255)), "rgb:eeee/eeee/eeee");
    }
}
