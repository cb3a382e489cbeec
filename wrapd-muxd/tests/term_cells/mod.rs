//! The model's screen as cells, for tests that compare it with another
//! terminal's (tmux, xterm).
#![allow(dead_code)]

use unicode_width::UnicodeWidthChar;
use wrapd_muxd::term::{Line, RowIndex, Style, Term};

/// A row as cells: (grapheme, style) per column, the second column of a wide
/// cell with empty text, trailing blanks dropped (whatever their colour).
pub fn cells(line: &Line) -> Vec<(String, Style)> {
    let mut out = Vec::new();
    for span in &line.spans {
        if span.cluster {
            out.push((span.text.clone(), span.style));
            if span.wide {
                out.push((String::new(), span.style));
            }
            continue;
        }
        let mut chars = span.text.chars().peekable();
        while let Some(c) = chars.next() {
            let mut g = c.to_string();
            while let Some(&z) = chars.peek() {
                if z.width() == Some(0) {
                    g.push(z);
                    chars.next();
                } else {
                    break;
                }
            }
            out.push((g, span.style));
            if span.wide {
                out.push((String::new(), span.style));
            }
        }
    }
    while out.last().is_some_and(|(g, _)| g == " ") {
        out.pop();
    }
    out
}

/// The visible screen's rows.
pub fn screen_lines(t: &Term) -> Vec<Line> {
    (0..u64::from(t.rows()))
        .map(|y| t.line(RowIndex(t.screen_start().0 + y)).unwrap_or_default())
        .collect()
}
