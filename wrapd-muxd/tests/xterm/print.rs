//! xterm's media copy read back into cells.
//!
//! With `printAttributes: 2` xterm prints each row as its size (`ESC # 5`,
//! single), `SGR 0`, the row's
//! characters with an SGR wherever attributes or colours change, `SGR 0`,
//! CR, and LF unless the row wraps into the next (`printerNewLine: false`;
//! the last row gets none). An empty row is a bare CR (and LF). A cell's
//! combining characters follow it; the second column of a wide character
//! prints as U+FFFF (xterm's placeholder), which gives the columns exactly.
//! A cell never written prints as a space in whatever attributes came
//! before it, so blanks are compared by text only; so does a concealed
//! character (SGR 8): xterm keeps no text for it.
//!
//! xterm writes an SGR before every character whose attributes are not
//! plain, and before every change of colour, but none before a plain
//! character after an attributed one of the same colours: a character with
//! no SGR right before it has no attributes, and the colours of the last SGR.

use unicode_width::UnicodeWidthChar;
use wrapd_muxd::term::{Attrs, Color, Style};

/// xterm's placeholder in the second column of a wide character.
const WIDE_TAIL: char = '\u{ffff}';

/// One printed row: (text, style) per column (a wide character's second
/// column has empty text); whether it wraps into the next row (unknown for
/// the last row: false).
#[derive(Debug, Clone, Default)]
pub struct PrintedRow {
    pub cells: Vec<(String, Style)>,
    pub wrapped: bool,
}

pub type Page = Vec<PrintedRow>;

pub fn parse_page(bytes: &[u8]) -> Page {
    let text = String::from_utf8(bytes.to_vec())
        .unwrap_or_else(|_| panic!("xterm printed something not UTF-8: {bytes:?}"));
    let mut page = Vec::new();
    let mut row = PrintedRow::default();
    // The last SGR, and whether it came right before this character.
    let mut sgr = Style::default();
    let mut fresh = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => match chars.next() {
                Some('[') => {
                    let mut params = String::new();
                    for p in chars.by_ref() {
                        if p == 'm' {
                            break;
                        }
                        assert!(
                            p.is_ascii_digit() || p == ';' || p == ':',
                            "unexpected control sequence in xterm's print: {text:?}"
                        );
                        params.push(p);
                    }
                    sgr = parse_sgr(&params);
                    fresh = true;
                }
                // Every row starts with its size: single (DECSWL, `#5`); wrapd
                // has no double-width or double-height rows, nor does a case.
                Some('#') => assert_eq!(
                    chars.next(),
                    Some('5'),
                    "a double-size row in xterm's print: {text:?}"
                ),
                other => panic!("unexpected ESC {other:?} in xterm's print: {text:?}"),
            },
            // Shift in/out for the DEC graphics (not used in UTF-8 mode).
            '\x0e' | '\x0f' => {}
            '\r' => {
                row.wrapped = chars.peek() != Some(&'\n');
                if !row.wrapped {
                    chars.next();
                }
                page.push(std::mem::take(&mut row));
            }
            WIDE_TAIL => row.cells.push((String::new(), style_of(sgr, &mut fresh))),
            c if c.width() == Some(0) && !row.cells.is_empty() => {
                let base = row
                    .cells
                    .iter_mut()
                    .rev()
                    .find(|(text, _)| !text.is_empty())
                    .expect("a base character");
                base.0.push(c);
            }
            c => row.cells.push((c.to_string(), style_of(sgr, &mut fresh))),
        }
    }
    if let Some(last) = page.last_mut() {
        // The last row ends with CR alone whether or not it wraps.
        last.wrapped = false;
    }
    for row in &mut page {
        while row.cells.last().is_some_and(|(text, _)| text == " ") {
            row.cells.pop();
        }
    }
    page
}

/// The style of a printed character: the SGR's if one came right before it,
/// else the SGR's colours with no attributes.
fn style_of(sgr: Style, fresh: &mut bool) -> Style {
    if std::mem::take(fresh) {
        sgr
    } else {
        Style {
            attrs: Attrs::empty(),
            ..sgr
        }
    }
}

/// The SGR parameters xterm prints (`xtermFormatSGR`): attributes, then the
/// colours as 30-37/90-97, `38:5:n` or `38:2::r:g:b` (and the same for the
/// background).
fn parse_sgr(params: &str) -> Style {
    let mut style = Style::default();
    for p in params.split(';') {
        let fields: Vec<&str> = p.split(':').collect();
        let number = |i: usize| -> u8 {
            fields[i]
                .parse()
                .unwrap_or_else(|_| panic!("SGR {params:?} from xterm"))
        };
        let color = |fields: &[&str]| match fields.get(1) {
            Some(&"5") => Color::Indexed(number(2)),
            Some(&"2") => Color::Rgb(number(3), number(4), number(5)),
            _ => panic!("colour {p:?} in SGR {params:?} from xterm"),
        };
        match number(0) {
            0 => {}
            1 => style.attrs |= Attrs::BOLD,
            2 => style.attrs |= Attrs::DIM,
            3 => style.attrs |= Attrs::ITALIC,
            4 => style.attrs |= Attrs::UNDERLINE,
            5 => style.attrs |= Attrs::BLINK,
            7 => style.attrs |= Attrs::INVERSE,
            8 => style.attrs |= Attrs::HIDDEN,
            9 => style.attrs |= Attrs::STRIKETHROUGH,
            21 => style.attrs |= Attrs::DOUBLE_UNDERLINE,
            n @ 30..=37 => style.fg = Color::Indexed(n - 30),
            n @ 90..=97 => style.fg = Color::Indexed(n - 90 + 8),
            n @ 40..=47 => style.bg = Color::Indexed(n - 40),
            n @ 100..=107 => style.bg = Color::Indexed(n - 100 + 8),
            38 => style.fg = color(&fields),
            48 => style.bg = color(&fields),
            _ => panic!("SGR {params:?} from xterm: {p:?} unknown"),
        }
    }
    style
}

/// wrapd's cell as xterm's print can show it: a concealed character's text
/// is a blank; no overline, no underline colour or style (xterm draws every
/// underline style as one line), no protection.
pub fn printable((text, mut style): (String, Style)) -> (String, Style) {
    if style.attrs.contains(Attrs::HIDDEN) && !text.is_empty() {
        return (" ".to_owned(), style);
    }
    style.underline_color = Color::Default;
    let styled_underlines =
        Attrs::CURLY_UNDERLINE | Attrs::DOTTED_UNDERLINE | Attrs::DASHED_UNDERLINE;
    if style.attrs.intersects(styled_underlines) {
        style.attrs -= styled_underlines;
        style.attrs |= Attrs::UNDERLINE;
    }
    style.attrs -= Attrs::OVERLINE | Attrs::PROTECTED;
    (text, style)
}
