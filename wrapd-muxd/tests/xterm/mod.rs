//! xterm as the reference: the oracle (xterm under Xvfb), its screen read
//! back, the corpus, and the comparison with the model.

pub mod cases;
pub mod charsets;
pub mod oracle;
pub mod print;
pub mod queries;
pub mod random;

use wrapd_muxd::term::{Style, Term};

use crate::term_cells;
use print::{Page, printable};

/// How our screen differs from xterm's, one message per row that differs
/// (empty: they agree). Blanks are compared by text only (see print.rs);
/// the soft-wrap flag of every row but the last is compared.
pub fn screen_differences(ours: &Term, theirs: &Page) -> Vec<String> {
    let lines = term_cells::screen_lines(ours);
    if lines.len() != theirs.len() {
        return vec![format!(
            "xterm printed {} rows, ours has {}",
            theirs.len(),
            lines.len()
        )];
    }
    let mut out = Vec::new();
    for (y, (line, printed)) in lines.iter().zip(theirs).enumerate() {
        let a: Vec<(String, Style)> = term_cells::cells(line).into_iter().map(printable).collect();
        let b = &printed.cells;
        let first = (0..a.len().max(b.len())).find(|&x| !same_cell(a.get(x), b.get(x)));
        if let Some(x) = first {
            out.push(format!(
                "row {y}, column {x}: ours {:?}, xterm {:?}\n    ours:  {:?}\n    xterm: {:?}",
                a.get(x),
                b.get(x),
                row_text(&a),
                row_text(b),
            ));
        }
        if y + 1 < lines.len() && line.wrapped != printed.wrapped {
            out.push(format!(
                "row {y}: soft-wrapped in ours: {}, in xterm: {}",
                line.wrapped, printed.wrapped
            ));
        }
    }
    out
}

fn same_cell(a: Option<&(String, Style)>, b: Option<&(String, Style)>) -> bool {
    let blank = (" ".to_owned(), Style::default());
    let (a, b) = (a.unwrap_or(&blank), b.unwrap_or(&blank));
    a.0 == b.0 && (a.0 == " " || a.1 == b.1)
}

fn row_text(cells: &[(String, Style)]) -> String {
    cells.iter().map(|(text, _)| text.as_str()).collect()
}
