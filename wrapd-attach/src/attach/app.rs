//! The attached client's state and how input changes it. Pure: no I/O; the
//! loop in `attach` performs the returned [`Action`]s.

use std::ops::Range;

use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use wrapd_proto::pb;

use super::blocks;
use super::help;
use super::menu::{Item, ShareMenu, ShareOp};
use super::presence::{self, Presence, Side};
use super::range::TextRange;
use super::scroll::{Bounds, Scroll, SearchPrompt};
use wrapd_common::config::{Action as Binding, ClientConfig};

use crate::keys::{self, KeySpec};
use crate::mirror::Mirror;

/// What the loop must do for the app.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Bytes for the session's program.
    Input(Vec<u8>),
    /// The area the session is shown in changed size.
    Resize {
        cols: u16,
        rows: u16,
    },
    Detach,
    /// Fetch history rows (scroll mode shows rows the client does not have).
    FetchRows(Range<u64>),
    Search {
        query: String,
        from: u64,
        backwards: bool,
    },
    ListSessions,
    /// Attach to another session instead.
    Switch(String),
    /// Put text on the outer terminal's clipboard (OSC 52).
    Copy(String),
    /// Fetch a block's output and put it on the clipboard.
    CopyBlockOutput(u64),
    /// Ask the share's owner for control (collaborators).
    RequestControl,
    /// Highlight this for everyone (`None`: clear our highlight).
    Select(Option<pb::Selection>),
    /// Something of the share menu, through `ShareAdmin` (owner).
    Share(ShareOp),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    Normal,
    /// The prefix key was pressed: the next key is a command.
    Prefix,
    Scroll(Scroll),
    /// The session list (prefix `s`); `None` while it loads.
    Chooser {
        sessions: Option<Vec<pb::SessionInfo>>,
        selected: usize,
    },
    /// The help; `top`: its first row shown (it scrolls when it does not fit).
    Help {
        top: usize,
    },
    ShareMenu(ShareMenu),
}

pub struct App {
    pub mirror: Mirror,
    pub mode: Mode,
    pub prefix: KeySpec,
    /// Keys after the prefix and what they do (from the config).
    pub bindings: Vec<(KeySpec, Binding)>,
    pub read_only: bool,
    pub status_line: bool,
    /// A message for the status line, until the next key.
    pub notice: Option<String>,
    /// The stream broke: "reconnecting…", shown until it is back.
    pub connection: Option<String>,
    /// The outer terminal's size.
    pub outer: (u16, u16),
    /// Rows asked for and not yet received, so they are asked for once.
    pending_fetch: Option<Range<u64>>,
    /// Something of ours changed (a mode, a notice, the size, who is here):
    /// the next frame draws everything. (The session's own changes are the
    /// mirror's to tell: see [`App::needs_frame`].)
    pub dirty: bool,
    /// Who else is here, our role, their highlights.
    pub presence: Presence,
}

/// Wheel steps scroll this many rows.
const WHEEL_ROWS: i64 = 3;

impl App {
    pub fn new(config: &ClientConfig, read_only: bool, outer: (u16, u16)) -> App {
        App {
            mirror: Mirror::default(),
            mode: Mode::Normal,
            prefix: KeySpec::new(config.prefix),
            bindings: config
                .bindings
                .iter()
                .map(|(key, action)| (KeySpec::new(key), action))
                .collect(),
            read_only,
            status_line: config.status_line,
            notice: None,
            connection: None,
            outer,
            pending_fetch: None,
            // Nothing to draw before the first snapshot: a frame of nothing
            // would make the snapshot wait for the frame limiter.
            dirty: false,
            presence: Presence::default(),
        }
    }

    /// The area the session is drawn in: the outer terminal minus the status line.
    pub fn session_area(&self) -> (u16, u16) {
        let rows = self
            .outer
            .1
            .saturating_sub(u16::from(self.status_line))
            .max(1);
        (self.outer.0.max(1), rows)
    }

    fn bounds(&self) -> Bounds {
        Bounds {
            history_start: self.mirror.history_start(),
            screen_start: self.mirror.screen_start(),
            height: self.session_area().1,
        }
    }

    pub fn modes(&self) -> pb::Modes {
        self.mirror.modes()
    }

    /// Whether the outer terminal should report the mouse.
    pub fn wants_mouse(&self) -> bool {
        matches!(self.mode, Mode::Scroll(_))
            || (matches!(self.mode, Mode::Normal)
                && self.modes().mouse_tracking() != pb::MouseTracking::None)
    }

    /// The row index at the top of the view (the screen unless scrolling).
    pub fn view_top(&self) -> u64 {
        match &self.mode {
            Mode::Scroll(s) => s.top,
            _ => self.mirror.screen_start(),
        }
    }

    pub fn on_event(&mut self, event: Event) -> Vec<Action> {
        let mut actions = self.handle_event(event);
        actions.extend(self.sync_selection());
        actions
    }

    /// Our highlight is the block selected in scroll mode: tell the others
    /// when it changes (not in sessions nobody shares with us or from us).
    fn sync_selection(&mut self) -> Option<Action> {
        if self.presence.side == Side::None || self.presence.participants.len() < 2 {
            return None;
        }
        let now = self.highlight();
        if now == self.presence.sent_selection {
            return None;
        }
        self.presence.sent_selection = now;
        Some(Action::Select(now))
    }

    fn handle_event(&mut self, event: Event) -> Vec<Action> {
        if let Event::Key(k) = &event
            && k.kind != KeyEventKind::Release
            && self.only_typed(k)
        {
            // Nothing on screen changes until the session echoes the key:
            // a frame drawn now would make the echo wait for the next one.
            return self.on_key(*k);
        }
        self.dirty = true;
        match event {
            Event::Key(k) if k.kind != KeyEventKind::Release => {
                self.notice = None;
                self.on_key(k)
            }
            Event::Key(_) => vec![],
            Event::Paste(text) => self.on_paste(text),
            Event::Mouse(m) => self.on_mouse(m),
            Event::Resize(cols, rows) => {
                self.outer = (cols, rows);
                let (cols, rows) = self.session_area();
                let mut actions = vec![Action::Resize { cols, rows }];
                actions.extend(self.after_scroll());
                actions
            }
            Event::FocusGained | Event::FocusLost => {
                let gained = matches!(event, Event::FocusGained);
                match keys::encode_focus(gained, &self.modes()) {
                    Some(bytes) if !self.read_only => vec![Action::Input(bytes)],
                    _ => vec![],
                }
            }
        }
    }

    /// Whether `key` is only typed into the session (nothing of ours to redraw).
    fn only_typed(&self, key: &KeyEvent) -> bool {
        matches!(self.mode, Mode::Normal)
            && self.notice.is_none()
            && !self.read_only
            && !self.prefix.matches(key)
    }

    fn input(&mut self, bytes: Vec<u8>) -> Vec<Action> {
        if bytes.is_empty() {
            return vec![];
        }
        if self.read_only {
            self.notice = Some("read-only: input is not sent".to_owned());
            return vec![];
        }
        vec![Action::Input(bytes)]
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Action> {
        match &mut self.mode {
            Mode::Normal => {
                if self.prefix.matches(&key) {
                    self.mode = Mode::Prefix;
                    return vec![];
                }
                let bytes = keys::encode_key(&key, &self.modes());
                self.input(bytes)
            }
            Mode::Prefix => {
                self.mode = Mode::Normal;
                self.on_prefixed(key)
            }
            Mode::Scroll(_) => self.on_scroll_key(key),
            Mode::Chooser { sessions, selected } => {
                let count = sessions.as_ref().map_or(0, Vec::len);
                match key.code {
                    KeyCode::Up | KeyCode::Char('k') => *selected = selected.saturating_sub(1),
                    KeyCode::Down | KeyCode::Char('j') => {
                        *selected = (*selected + 1).min(count.saturating_sub(1))
                    }
                    KeyCode::Enter => {
                        let target = sessions
                            .as_ref()
                            .and_then(|s| s.get(*selected))
                            .map(|s| s.id.clone());
                        self.mode = Mode::Normal;
                        return target.map(Action::Switch).into_iter().collect();
                    }
                    KeyCode::Esc | KeyCode::Char('q') => self.mode = Mode::Normal,
                    _ if is_ctrl_c(&key) => self.mode = Mode::Normal,
                    _ => {}
                }
                vec![]
            }
            Mode::Help { top } => {
                let top = *top;
                self.on_help_key(key, top);
                vec![]
            }
            Mode::ShareMenu(menu) => {
                match key.code {
                    KeyCode::Up | KeyCode::Char('k') => menu.move_by(-1),
                    KeyCode::Down | KeyCode::Char('j') => menu.move_by(1),
                    KeyCode::Enter => {
                        let chosen = menu.chosen();
                        self.mode = Mode::Normal;
                        return match chosen {
                            Some(Item::Op(op)) => vec![Action::Share(op)],
                            Some(Item::CopyLink(url)) => vec![Action::Copy(url)],
                            None => vec![],
                        };
                    }
                    KeyCode::Esc | KeyCode::Char('q') => self.mode = Mode::Normal,
                    _ if is_ctrl_c(&key) => self.mode = Mode::Normal,
                    _ => {}
                }
                vec![]
            }
        }
    }

    /// The help as it is laid out in the session's area now.
    pub fn help_page(&self) -> help::Page {
        let (cols, rows) = self.session_area();
        let entries = help::entries(&self.prefix, &self.bindings);
        help::Page::new(&entries, ratatui::layout::Rect::new(0, 0, cols, rows))
    }

    /// Help that does not fit scrolls with the usual keys; any other key
    /// (any key at all, when it fits) closes it.
    fn on_help_key(&mut self, key: KeyEvent, top: usize) {
        let page = self.help_page();
        let (max, step) = (page.max_top(), page.visible().max(1));
        let moved = match key.code {
            KeyCode::Down | KeyCode::Char('j') => Some(top + 1),
            KeyCode::Up | KeyCode::Char('k') => Some(top.saturating_sub(1)),
            KeyCode::PageDown | KeyCode::Char(' ') => Some(top + step),
            KeyCode::PageUp => Some(top.saturating_sub(step)),
            KeyCode::Home | KeyCode::Char('g') => Some(0),
            KeyCode::End | KeyCode::Char('G') => Some(max),
            _ => None,
        };
        self.mode = match moved {
            Some(top) if max > 0 && key.modifiers.difference(KeyModifiers::SHIFT).is_empty() => {
                Mode::Help { top: top.min(max) }
            }
            _ => Mode::Normal,
        };
    }

    fn open_share_menu(&mut self) -> Vec<Action> {
        if self.presence.side != Side::Owner {
            self.notice = Some("only the session's owner shares it".to_owned());
            return vec![];
        }
        self.mode = Mode::ShareMenu(ShareMenu::new(self.selected_block()));
        vec![Action::Share(ShareOp::Load)]
    }

    /// The share's current state arrived (for the share menu).
    pub fn on_share_info(&mut self, info: Option<pb::ShareInfo>) {
        if let Mode::ShareMenu(menu) = &mut self.mode {
            menu.info = Some(info);
            menu.selected = 0;
            self.dirty = true;
        }
    }

    /// A share or a new link was made: the menu opens on its link.
    pub fn on_share_made(&mut self, info: pb::ShareInfo) {
        self.mode = Mode::ShareMenu(ShareMenu::made(info));
        self.notice = Some("shared: the link is in the menu (Enter copies it)".to_owned());
        self.dirty = true;
    }

    /// Prefix then a digit: show that participant's highlight.
    fn jump_to_participant(&mut self, n: usize) -> Vec<Action> {
        let target = match self.presence.selection_of(n) {
            Ok((p, sel)) => presence::first_row(&self.mirror, sel)
                .map(|row| (row, p.name.clone(), sel.block_id))
                .ok_or_else(|| format!("{}'s highlight is not in view", p.name)),
            Err(e) => Err(e),
        };
        match target {
            Ok((row, name, block)) => {
                let mut actions = self.enter_scroll(0);
                let b = self.bounds();
                if let Mode::Scroll(s) = &mut self.mode {
                    s.show_at_top(row, b);
                    if block != 0 {
                        s.selected_block = Some(block);
                    }
                }
                // Jumping is looking, not highlighting it ourselves.
                self.presence.sent_selection = self.highlight();
                self.notice = Some(format!("{name}'s highlight"));
                actions.extend(self.after_scroll());
                actions
            }
            Err(e) => {
                self.notice = Some(e);
                vec![]
            }
        }
    }

    fn on_prefixed(&mut self, key: KeyEvent) -> Vec<Action> {
        if self.prefix.matches(&key) {
            // Prefix twice sends the prefix key itself.
            let bytes = keys::encode_key(&key, &self.modes());
            return self.input(bytes);
        }
        let bound = self.bindings.iter().find(|(spec, _)| spec.matches(&key));
        match bound.map(|(_, action)| *action) {
            Some(Binding::Detach) => vec![Action::Detach],
            Some(Binding::ScrollMode) => self.enter_scroll(0),
            Some(Binding::ScrollPageUp) => self.enter_scroll(-i64::from(self.session_area().1)),
            Some(Binding::PreviousBlock) => {
                self.enter_scroll(0);
                self.jump_block(false)
            }
            Some(Binding::ChooseSession) => {
                self.mode = Mode::Chooser {
                    sessions: None,
                    selected: 0,
                };
                vec![Action::ListSessions]
            }
            Some(Binding::Help) => {
                self.mode = Mode::Help { top: 0 };
                vec![]
            }
            Some(Binding::SendPrefix) => {
                let bytes = keys::encode_key(&keys::key_event(self.prefix.name()), &self.modes());
                self.input(bytes)
            }
            Some(Binding::RequestControl) => {
                if self.presence.is_collaborator() {
                    vec![Action::RequestControl]
                } else {
                    self.notice = Some("this is your session: you have control".to_owned());
                    vec![]
                }
            }
            Some(Binding::ShareMenu) => self.open_share_menu(),
            Some(Binding::None) => vec![],
            None => match key.code {
                KeyCode::Char(c @ '1'..='9')
                    if key.modifiers.difference(KeyModifiers::SHIFT).is_empty() =>
                {
                    self.jump_to_participant(c as usize - '0' as usize)
                }
                _ => vec![],
            },
        }
    }

    fn enter_scroll(&mut self, delta: i64) -> Vec<Action> {
        let b = self.bounds();
        let mut s = Scroll::at_bottom(b);
        s.scroll_by(delta, b);
        self.mode = Mode::Scroll(s);
        self.after_scroll()
    }

    fn on_scroll_key(&mut self, key: KeyEvent) -> Vec<Action> {
        let b = self.bounds();
        let Mode::Scroll(s) = &mut self.mode else {
            return vec![];
        };
        if let Some(prompt) = &mut s.prompt {
            match key.code {
                KeyCode::Enter => {
                    let prompt = s.prompt.take().expect("checked");
                    if prompt.text.is_empty() {
                        return vec![];
                    }
                    s.found = None;
                    s.last_search = Some((prompt.text.clone(), prompt.backwards));
                    let from = s.search_from(prompt.backwards, b);
                    return vec![Action::Search {
                        query: prompt.text,
                        from,
                        backwards: prompt.backwards,
                    }];
                }
                KeyCode::Esc => s.prompt = None,
                KeyCode::Backspace => {
                    prompt.text.pop();
                }
                KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                    prompt.text.push(c)
                }
                _ if is_ctrl_c(&key) => s.prompt = None,
                _ => {}
            }
            return vec![];
        }
        let page = i64::from(b.height);
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('q') | KeyCode::Esc => {
                self.mode = Mode::Normal;
                return vec![];
            }
            _ if is_ctrl_c(&key) => {
                self.mode = Mode::Normal;
                return vec![];
            }
            KeyCode::Up | KeyCode::Char('k') if !ctrl => s.scroll_by(-1, b),
            KeyCode::Down | KeyCode::Char('j') if !ctrl => s.scroll_by(1, b),
            KeyCode::PageUp => s.scroll_by(-page, b),
            KeyCode::Char('b') if ctrl => s.scroll_by(-page, b),
            KeyCode::PageDown => s.scroll_by(page, b),
            KeyCode::Char('f') if ctrl => s.scroll_by(page, b),
            KeyCode::Char('u') if ctrl => s.scroll_by(-page / 2, b),
            KeyCode::Char('d') if ctrl => s.scroll_by(page / 2, b),
            KeyCode::Home | KeyCode::Char('g') => s.go_top(b),
            KeyCode::End | KeyCode::Char('G') => s.go_bottom(b),
            KeyCode::Char('/') => {
                s.prompt = Some(SearchPrompt {
                    text: String::new(),
                    backwards: false,
                })
            }
            KeyCode::Char('?') => {
                s.prompt = Some(SearchPrompt {
                    text: String::new(),
                    backwards: true,
                })
            }
            KeyCode::Char('S') => return self.open_share_menu(),
            KeyCode::Char('{') => return self.jump_block(false),
            KeyCode::Char('}') => return self.jump_block(true),
            KeyCode::Char('y') if s.range.is_some() => {
                let text = s.range.map(|r| r.text(&self.mirror)).unwrap_or_default();
                return vec![Action::Copy(text)];
            }
            KeyCode::Char('y') => {
                return match s.selected_block {
                    Some(id) => vec![Action::CopyBlockOutput(id)],
                    None => {
                        self.notice = Some("select a block first ({ or })".to_owned());
                        vec![]
                    }
                };
            }
            KeyCode::Char('Y') => {
                let command = s
                    .selected_block
                    .and_then(|id| self.mirror.block(id))
                    .map(|b| b.command.clone());
                return match command {
                    Some(c) => vec![Action::Copy(c)],
                    None => {
                        self.notice = Some("select a block first ({ or })".to_owned());
                        vec![]
                    }
                };
            }
            KeyCode::Char(c @ ('n' | 'N')) => {
                if let Some((query, backwards)) = s.last_search.clone() {
                    let backwards = backwards ^ (c == 'N');
                    let from = s.search_from(backwards, b);
                    return vec![Action::Search {
                        query,
                        from,
                        backwards,
                    }];
                }
            }
            _ => {}
        }
        self.after_scroll()
    }

    /// Scroll mode: select the next (or previous) block and show its prompt
    /// at the top.
    fn jump_block(&mut self, forward: bool) -> Vec<Action> {
        let b = self.bounds();
        let Mode::Scroll(s) = &mut self.mode else {
            return vec![];
        };
        let bottom = s.top + u64::from(b.height);
        let target = if forward {
            blocks::next(&self.mirror, s.selected_block, s.top)
        } else {
            blocks::previous(&self.mirror, s.selected_block, bottom)
        };
        match target {
            Some(block) => {
                s.selected_block = Some(block.id);
                s.range = None;
                s.show_at_top(block.prompt_row, b);
            }
            None if self.mirror.blocks().next().is_none() => {
                self.notice = Some("no blocks: this shell reports no commands".to_owned());
            }
            None => {
                let which = if forward { "last" } else { "first" };
                self.notice = Some(format!("this is the {which} block"));
            }
        }
        self.after_scroll()
    }

    /// What we highlight: the dragged range, else the selected block.
    pub fn highlight(&self) -> Option<pb::Selection> {
        match &self.mode {
            Mode::Scroll(s) => s.range.map(|r| r.selection()).or_else(|| {
                s.selected_block.map(|id| pb::Selection {
                    block_id: id,
                    ..Default::default()
                })
            }),
            _ => None,
        }
    }

    /// The dragged range (scroll mode).
    pub fn selected_range(&self) -> Option<TextRange> {
        match &self.mode {
            Mode::Scroll(s) => s.range,
            _ => None,
        }
    }

    /// The selected block (scroll mode).
    pub fn selected_block(&self) -> Option<u64> {
        match &self.mode {
            Mode::Scroll(s) => s.selected_block,
            _ => None,
        }
    }

    fn on_paste(&mut self, text: String) -> Vec<Action> {
        match &mut self.mode {
            Mode::Scroll(Scroll {
                prompt: Some(p), ..
            }) => {
                p.text.push_str(&text.replace(['\r', '\n'], " "));
                vec![]
            }
            Mode::Normal => {
                let bytes = keys::encode_paste(&text, self.modes().bracketed_paste);
                self.input(bytes)
            }
            _ => vec![],
        }
    }

    fn on_mouse(&mut self, m: MouseEvent) -> Vec<Action> {
        let b = self.bounds();
        match &mut self.mode {
            // A click on an avatar (status line) jumps to their highlight.
            Mode::Scroll(_)
                if m.kind == MouseEventKind::Down(MouseButton::Left)
                    && self.status_line
                    && m.row + 1 == self.outer.1 =>
            {
                match super::ui::avatar_at(self, m.column) {
                    Some(n) => {
                        self.mode = Mode::Normal;
                        self.jump_to_participant(n)
                    }
                    None => vec![],
                }
            }
            Mode::Scroll(s) => {
                match m.kind {
                    MouseEventKind::ScrollUp => s.scroll_by(-WHEEL_ROWS, b),
                    MouseEventKind::ScrollDown => s.scroll_by(WHEEL_ROWS, b),
                    // A click selects the block under it; a drag, text.
                    MouseEventKind::Down(MouseButton::Left) => {
                        let row = s.top + u64::from(m.row);
                        s.selected_block = blocks::at_row(&self.mirror, row).map(|b| b.id);
                        s.anchor = Some((row, m.column));
                        s.range = None;
                    }
                    MouseEventKind::Drag(MouseButton::Left) => {
                        let here = (s.top + u64::from(m.row), m.column);
                        if let Some(anchor) = s.anchor.filter(|&a| a != here) {
                            s.range = Some(TextRange::between(anchor, here));
                            s.selected_block = None;
                        }
                    }
                    _ => return vec![],
                }
                self.after_scroll()
            }
            Mode::Normal => match keys::encode_mouse(&m, &self.modes(), (0, 0)) {
                Some(bytes) => self.input(bytes),
                None if m.kind == MouseEventKind::ScrollUp => self.enter_scroll(-WHEEL_ROWS),
                None => vec![],
            },
            _ => vec![],
        }
    }

    /// After the view moved: fetch the history rows it shows that we lack.
    fn after_scroll(&mut self) -> Vec<Action> {
        let Mode::Scroll(s) = &self.mode else {
            return vec![];
        };
        let b = self.bounds();
        let want = s.top.max(b.history_start)..(s.top + u64::from(b.height)).min(b.screen_start);
        if want.is_empty() {
            return vec![];
        }
        let Some(missing) = self.mirror.missing(want).into_iter().next() else {
            return vec![];
        };
        if self
            .pending_fetch
            .as_ref()
            .is_some_and(|p| p.start <= missing.start && missing.end <= p.end)
        {
            return vec![];
        }
        // Fetch a page more than needed in the direction of travel.
        let extra = u64::from(b.height) * 2;
        let range = missing.start.saturating_sub(extra).max(b.history_start)..missing.end;
        self.pending_fetch = Some(range.clone());
        vec![Action::FetchRows(range)]
    }

    /// Fetch the newest `rows` rows of history we lack, ahead of scroll mode
    /// (the first snapshot carries none, so the first frame waits for no
    /// history it does not show).
    pub fn prefetch_history(&mut self, rows: u64) -> Vec<Action> {
        if self.pending_fetch.is_some() {
            return vec![];
        }
        let b = self.bounds();
        let want = b.screen_start.saturating_sub(rows).max(b.history_start)..b.screen_start;
        let gaps = self.mirror.missing(want);
        let (Some(first), Some(last)) = (gaps.first(), gaps.last()) else {
            return vec![];
        };
        let range = first.start..last.end;
        self.pending_fetch = Some(range.clone());
        vec![Action::FetchRows(range)]
    }

    /// Rows fetched for scroll mode arrived.
    pub fn on_rows(&mut self, rows: &pb::ReadRowsResponse) -> Vec<Action> {
        self.mirror.insert_history(rows);
        self.pending_fetch = None;
        self.dirty = true;
        self.after_scroll()
    }

    /// A search answered.
    pub fn on_search(&mut self, found: Option<pb::SearchMatch>, query: &str) -> Vec<Action> {
        let b = self.bounds();
        let Mode::Scroll(s) = &mut self.mode else {
            return vec![];
        };
        self.dirty = true;
        match found {
            Some(m) => {
                s.found = Some((m.row, m.col as u16, m.len as u16));
                s.reveal(m.row, b);
                self.after_scroll()
            }
            None => {
                self.notice = Some(format!("not found: {query}"));
                vec![]
            }
        }
    }

    pub fn on_sessions(&mut self, list: Vec<pb::SessionInfo>, current: &str) {
        if let Mode::Chooser { sessions, selected } = &mut self.mode {
            *selected = list.iter().position(|s| s.id == current).unwrap_or(0);
            *sessions = Some(list);
            self.dirty = true;
        }
    }

    /// An update from the daemon.
    pub fn on_update(&mut self, update: pb::ScreenUpdate) {
        self.mirror.apply(update);
        let b = self.bounds();
        if let Mode::Scroll(s) = &mut self.mode {
            s.clamp(b);
        }
    }

    /// Whether there is something to draw: ours, or the session's.
    pub fn needs_frame(&self) -> bool {
        self.dirty || self.mirror.changed()
    }
}

fn is_ctrl_c(key: &KeyEvent) -> bool {
    key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL)
}

#[cfg(test)]
#[path = "app_tests.rs"]
mod tests;
