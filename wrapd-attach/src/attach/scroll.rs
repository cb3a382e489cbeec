//! Scroll mode: a view of the session's history that moves with the keyboard
//! and the mouse wheel, and searches the daemon's copy of it.

/// Where the scroll-mode view is and what it is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scroll {
    /// Stable index of the row at the top of the view.
    pub top: u64,
    /// A search being typed (`/` forwards, `?` backwards).
    pub prompt: Option<SearchPrompt>,
    /// The last search, for `n` / `N`.
    pub last_search: Option<(String, bool)>,
    /// The current match: row, column, width.
    pub found: Option<(u64, u16, u16)>,
    /// The block selected by moving between blocks (`{` / `}`), by id.
    pub selected_block: Option<u64>,
    /// Where a mouse press started, and the text range dragged from it.
    pub anchor: Option<(u64, u16)>,
    pub range: Option<super::range::TextRange>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchPrompt {
    pub text: String,
    pub backwards: bool,
}

/// The bounds scroll mode moves within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// The oldest row the daemon keeps.
    pub history_start: u64,
    /// The screen's top row: the view at the bottom starts here.
    pub screen_start: u64,
    /// Rows the view shows.
    pub height: u16,
}

impl Bounds {
    /// The topmost `top` (the oldest row).
    pub fn min_top(&self) -> u64 {
        self.history_start.min(self.screen_start)
    }
}

impl Scroll {
    /// Enter scroll mode at the bottom (the live screen).
    pub fn at_bottom(b: Bounds) -> Scroll {
        Scroll {
            top: b.screen_start,
            prompt: None,
            last_search: None,
            found: None,
            selected_block: None,
            anchor: None,
            range: None,
        }
    }

    /// Move by `delta` rows (negative: back in history), within the bounds.
    pub fn scroll_by(&mut self, delta: i64, b: Bounds) {
        let top = self.top as i64 + delta;
        self.top = (top.max(b.min_top() as i64) as u64).min(b.screen_start);
    }

    pub fn go_top(&mut self, b: Bounds) {
        self.top = b.min_top();
    }

    pub fn go_bottom(&mut self, b: Bounds) {
        self.top = b.screen_start;
    }

    /// Keep the view inside bounds that moved (history trimmed).
    pub fn clamp(&mut self, b: Bounds) {
        self.scroll_by(0, b);
    }

    /// Put `row` (a block's prompt) at the top of the view, as far as it goes.
    pub fn show_at_top(&mut self, row: u64, b: Bounds) {
        self.top = row;
        self.clamp(b);
    }

    /// Show `row` (a search match), roughly centred.
    pub fn reveal(&mut self, row: u64, b: Bounds) {
        let visible = self.top..self.top + u64::from(b.height);
        if !visible.contains(&row) {
            self.top = row.saturating_sub(u64::from(b.height / 2));
        }
        self.clamp(b);
    }

    /// Where the next search starts: after/before the current match, else from
    /// the view's bottom/top edge.
    pub fn search_from(&self, backwards: bool, b: Bounds) -> u64 {
        match (self.found, backwards) {
            (Some((row, _, _)), _) => row,
            (None, true) => self.top + u64::from(b.height),
            (None, false) => self.top.saturating_sub(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: Bounds = Bounds {
        history_start: 100,
        screen_start: 1000,
        height: 24,
    };

    #[test]
    fn scrolling_stays_in_bounds() {
        let mut s = Scroll::at_bottom(B);
        assert_eq!(s.top, 1000);
        s.scroll_by(5, B);
        assert_eq!(s.top, 1000);
        s.scroll_by(-24, B);
        assert_eq!(s.top, 976);
        s.scroll_by(-10_000, B);
        assert_eq!(s.top, 100);
        s.go_bottom(B);
        assert_eq!(s.top, 1000);
        s.go_top(B);
        assert_eq!(s.top, 100);
    }

    #[test]
    fn reveal_centres_a_far_row() {
        let mut s = Scroll::at_bottom(B);
        s.reveal(500, B);
        assert_eq!(s.top, 488);
        s.reveal(495, B);
        assert_eq!(s.top, 488, "already visible: no jump");
    }
}
