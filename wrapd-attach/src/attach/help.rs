//! The help overlay (prefix `?`): every key in effect — the bindings after
//! the prefix (the user's `[client.bindings]` included), the digits, scroll
//! mode's keys — laid out for any size. A description too long for its row
//! wraps under itself; rows that do not fit scroll (↑ ↓, PgUp PgDn, g G).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
use wrapd_common::config::Action as Binding;

use crate::keys::KeySpec;

/// A row of the help before layout.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    Heading(String),
    Key { keys: String, does: String },
}

fn key(keys: impl Into<String>, does: impl Into<String>) -> Entry {
    Entry::Key {
        keys: keys.into(),
        does: does.into(),
    }
}

/// What the help lists, for this prefix and these bindings.
pub fn entries(prefix: &KeySpec, bindings: &[(KeySpec, Binding)]) -> Vec<Entry> {
    let mut list = vec![Entry::Heading(format!("After the prefix {prefix}:"))];
    for (k, action) in bindings {
        list.push(key(format!("{prefix} {k}"), action.describe()));
    }
    list.push(key(
        format!("{prefix} {prefix}"),
        "send the prefix key itself",
    ));
    // A digit the user bound does what they bound it to (listed above).
    let free: Vec<char> = ('1'..='9')
        .filter(|d| !bindings.iter().any(|(k, _)| k.to_string() == d.to_string()))
        .collect();
    if !free.is_empty() {
        list.push(key(
            format!("{prefix} {}", digit_ranges(&free)),
            "in a shared session: jump to the highlight of the participant \
             with that badge (counted left to right as shown, yours included)",
        ));
    }
    list.push(Entry::Heading("In scroll mode:".to_owned()));
    list.extend([
        key("↑ ↓  k j", "scroll a row (or the mouse wheel)"),
        key(
            "PgUp PgDn",
            "scroll a page (also C-b C-f; C-u C-d half a page)",
        ),
        key("g G", "the top, the bottom (also Home End)"),
        key(
            "/ ?",
            "search forward, backward; n N the next match either way",
        ),
        key(
            "{ }",
            "the previous, next block (command); a click selects one",
        ),
        key(
            "y",
            "copy the selected block's output, or the text dragged over",
        ),
        key("Y", "copy the selected block's command"),
        key("S", "the share menu"),
        key("q  Esc", "leave scroll mode"),
    ]);
    list
}

/// `1..9`, or the digits left, as ranges: `1..4 6..9`.
fn digit_ranges(digits: &[char]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < digits.len() {
        let start = digits[i];
        while i + 1 < digits.len() && digits[i + 1] as u32 == digits[i] as u32 + 1 {
            i += 1;
        }
        parts.push(if digits[i] == start {
            start.to_string()
        } else {
            format!("{start}..{}", digits[i])
        });
        i += 1;
    }
    parts.join(" ")
}

/// The help laid out for an area: where its box goes and all its rows.
#[derive(Debug)]
pub struct Page {
    /// The box (inside the area given).
    pub rect: Rect,
    pub bordered: bool,
    /// Every row, wrapped to the box's inner width.
    pub rows: Vec<Line<'static>>,
}

/// The widest box: wider reads worse.
const MAX_WIDTH: usize = 78;
const TITLE: &str = " wrapd keys (any key closes) ";

impl Page {
    pub fn new(entries: &[Entry], area: Rect) -> Page {
        // Borders only where they leave room for the text.
        let bordered = area.width >= 24 && area.height >= 6;
        let frame = if bordered { 2 } else { 0 };
        let keys_width = entries
            .iter()
            .map(|e| match e {
                Entry::Key { keys, .. } => keys.width(),
                Entry::Heading(_) => 0,
            })
            .max()
            .unwrap_or(0);
        let natural = entries
            .iter()
            .map(|e| match e {
                Entry::Heading(h) => h.width(),
                Entry::Key { does, .. } => 1 + keys_width + 2 + does.width(),
            })
            .max()
            .unwrap_or(0)
            .max(TITLE.width());
        let inner = natural
            .min(MAX_WIDTH)
            .min(usize::from(area.width).saturating_sub(frame))
            .max(1);
        let rows = lay_out(entries, keys_width, inner);
        let width = (inner + frame) as u16;
        let height = (rows.len() + frame).min(usize::from(area.height)) as u16;
        let rect = Rect::new(
            area.x + area.width.saturating_sub(width) / 2,
            area.y + area.height.saturating_sub(height) / 2,
            width.min(area.width),
            height,
        );
        Page {
            rect,
            bordered,
            rows,
        }
    }

    /// How many rows show at once.
    pub fn visible(&self) -> usize {
        usize::from(self.rect.height).saturating_sub(if self.bordered { 2 } else { 0 })
    }

    /// The highest first row shown.
    pub fn max_top(&self) -> usize {
        self.rows.len().saturating_sub(self.visible())
    }

    /// Draw it with row `top` first.
    pub fn draw(self, buf: &mut Buffer, top: usize) {
        let top = top.min(self.max_top());
        let visible = self.visible();
        let total = self.rows.len();
        let shown: Vec<Line> = self.rows.into_iter().skip(top).take(visible).collect();
        Clear.render(self.rect, buf);
        let mut text = Paragraph::new(shown);
        if self.bordered {
            let mut block = Block::default().borders(Borders::ALL).title(TITLE);
            if total > visible {
                let last = top + visible;
                block = block.title_bottom(format!(" {}-{last} of {total}, ↑ ↓ scroll ", top + 1));
            }
            text = text.block(block);
        }
        text.render(self.rect, buf);
    }
}

/// The entries as rows `width` wide: keys in a column, each description
/// wrapped beside them (or, when too narrow for that, under them).
fn lay_out(entries: &[Entry], keys_width: usize, width: usize) -> Vec<Line<'static>> {
    let side_by_side = 1 + keys_width + 2 + 12 <= width;
    let mut rows = Vec::new();
    for entry in entries {
        match entry {
            Entry::Heading(h) => {
                let bold = Style::default().add_modifier(Modifier::BOLD);
                rows.extend(wrap(h, width).into_iter().map(|l| Line::styled(l, bold)));
            }
            Entry::Key { keys, does } if side_by_side => {
                let indent = 1 + keys_width + 2;
                for (i, part) in wrap(does, width - indent).into_iter().enumerate() {
                    let lead = if i == 0 {
                        format!(" {keys}{}  ", " ".repeat(keys_width - keys.width()))
                    } else {
                        " ".repeat(indent)
                    };
                    rows.push(Line::from(format!("{lead}{part}")));
                }
            }
            Entry::Key { keys, does } => {
                rows.extend(wrap(keys, width).into_iter().map(Line::from));
                let indent = if width > 8 { 2 } else { 0 };
                for part in wrap(does, width - indent) {
                    rows.push(Line::from(format!("{}{part}", " ".repeat(indent))));
                }
            }
        }
    }
    rows
}

/// `text` in lines at most `width` columns wide, broken between words (a
/// word wider than that is broken anywhere).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let gap = usize::from(!line.is_empty());
        if line.width() + gap + word.width() <= width {
            if gap == 1 {
                line.push(' ');
            }
            line.push_str(word);
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        for c in word.chars() {
            if line.width() + c.width().unwrap_or(0) > width {
                lines.push(std::mem::take(&mut line));
            }
            line.push(c);
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use wrapd_common::config::Config;

    fn bindings(config: &str) -> (KeySpec, Vec<(KeySpec, Binding)>) {
        let client = Config::parse(config).unwrap().client;
        let bindings = client
            .bindings
            .iter()
            .map(|(k, a)| (KeySpec::new(k), a))
            .collect();
        (KeySpec::new(client.prefix), bindings)
    }

    fn text(page: &Page) -> Vec<String> {
        page.rows.iter().map(|l| l.to_string()).collect()
    }

    /// Everything the rows say, in order, without the spaces.
    fn words(page: &Page) -> String {
        text(page).concat().split_whitespace().collect()
    }

    #[test]
    fn lists_the_users_bindings_the_digits_left_and_scroll_mode() {
        let (prefix, bound) = bindings(
            "[client]\nprefix = \"C-a\"\n[client.bindings]\nx = \"detach\"\n5 = \"help\"\nd = \"none\"\n",
        );
        let list = entries(&prefix, &bound);
        assert!(list.contains(&key("C-a x", "detach (the session keeps running)")));
        assert!(list.contains(&key("C-a 5", "this help")));
        assert!(
            !list
                .iter()
                .any(|e| matches!(e, Entry::Key { keys, .. } if keys == "C-a d"))
        );
        assert!(
            list.iter()
                .any(|e| matches!(e, Entry::Key { keys, .. } if keys == "C-a 1..4 6..9"))
        );
        assert!(list.contains(&key("C-a C-a", "send the prefix key itself")));
        assert!(
            list.iter()
                .any(|e| matches!(e, Entry::Key { keys, .. } if keys == "q  Esc"))
        );
        assert_eq!(digit_ranges(&['1', '2', '3', '7', '9']), "1..3 7 9");
    }

    #[test]
    fn fits_any_size_and_loses_no_word() {
        let (prefix, bound) = bindings("");
        let list = entries(&prefix, &bound);
        let all = Page::new(&list, Rect::new(0, 0, 200, 100));
        let everything = words(&all);
        assert!(all.max_top() == 0 && all.bordered);
        for (cols, rows) in [
            (200, 100),
            (80, 24),
            (40, 12),
            (30, 8),
            (12, 5),
            (3, 2),
            (1, 1),
        ] {
            let area = Rect::new(0, 0, cols, rows);
            let page = Page::new(&list, area);
            assert!(area.contains(page.rect.as_position()) && page.rect.right() <= cols);
            assert!(page.rect.bottom() <= rows, "{cols}x{rows}");
            let inner = usize::from(page.rect.width) - if page.bordered { 2 } else { 0 };
            for row in text(&page) {
                assert!(
                    row.width() <= inner,
                    "{cols}x{rows}: {row:?} is wider than {inner}"
                );
            }
            assert_eq!(words(&page), everything, "{cols}x{rows}");
            assert_eq!(page.max_top() == 0, page.rows.len() <= page.visible());
        }
        // Beside its keys, a description wraps under itself.
        let page = Page::new(&list, Rect::new(0, 0, 40, 12));
        let rows = text(&page);
        let at = rows.iter().position(|r| r.starts_with(" C-b {")).unwrap();
        assert!(rows[at + 1].starts_with(&" ".repeat(12)), "{rows:#?}");
    }

    #[test]
    fn drawn_scrolled_it_says_which_rows_show() {
        let (prefix, bound) = bindings("");
        let list = entries(&prefix, &bound);
        let page = || Page::new(&list, Rect::new(0, 0, 40, 10));
        let total = page().rows.len();
        let mut buf = Buffer::empty(Rect::new(0, 0, 40, 10));
        page().draw(&mut buf, usize::MAX);
        let screen = format!("{buf:?}");
        assert!(
            screen.contains(&format!("{}-{total} of {total}", total - 7)),
            "{screen}"
        );
        assert!(screen.contains("leave scroll mode"), "{screen}");
    }
}
