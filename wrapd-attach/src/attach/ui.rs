//! Drawing the attached client: the session, the status line, and the
//! overlays of scroll mode, the session list and help.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Borders, Clear, List, ListItem, ListState, Paragraph, StatefulWidget, Widget,
};

use super::app::{App, Mode};
use super::blocks;
use super::presence::Side;
use crate::render::SessionView;
use crate::share::admin::role_name;
use wrapd_proto::pb;

/// Which lines of the session's area a frame draws (the status line is
/// always drawn, and the overlays when all lines are).
pub enum Lines<'a> {
    All,
    /// `true` for each line to draw, by its place in the session's area.
    Only(&'a [bool]),
}

impl Lines<'_> {
    fn has(&self, y: u16) -> bool {
        match self {
            Lines::All => true,
            Lines::Only(lines) => lines.get(usize::from(y)).copied().unwrap_or(false),
        }
    }
}

/// Where the session and the status line go in the outer terminal's `area`.
pub fn areas(area: Rect, app: &App) -> (Rect, Option<Rect>) {
    if app.status_line && area.height > 1 {
        let [a, b] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
        (a, Some(b))
    } else {
        (area, None)
    }
}

/// The view of the session the app shows.
pub fn session_view(app: &App) -> SessionView<'_> {
    let view = SessionView::new(&app.mirror).top(app.view_top());
    match &app.mode {
        Mode::Scroll(s) if let Some((row, col, len)) = s.found => view.highlight(row, col, len),
        _ => view,
    }
}

/// Draw `lines` of the app into `buf` (the outer terminal's area); returns
/// where the cursor shows, if anywhere.
pub fn draw(buf: &mut Buffer, app: &App, lines: &Lines) -> Option<Position> {
    let (session_area, status_area) = areas(buf.area, app);
    let view = session_view(app);
    view.render_lines(session_area, buf, |y| lines.has(y));
    let row_y = |row| view.row_y(row, session_area).filter(|y| lines.has(*y));
    blocks::draw_marks(&app.mirror, app.selected_block(), session_area, row_y, buf);
    if let Some(range) = app.selected_range() {
        range.draw(session_area, row_y, buf);
    }
    app.presence
        .draw_highlights(&app.mirror, session_area, row_y, buf);

    if let Some(status_area) = status_area {
        status_line(app).render(status_area, buf);
    }
    if matches!(lines, Lines::All) {
        match &app.mode {
            Mode::Help { top } => app.help_page().draw(buf, *top),
            Mode::Chooser { sessions, selected } => {
                draw_chooser(buf, session_area, sessions.as_deref(), *selected)
            }
            Mode::ShareMenu(menu) => menu.draw(buf, session_area),
            _ => {}
        }
    }
    match app.mode {
        Mode::Normal | Mode::Prefix => view.cursor_position(session_area),
        _ => None,
    }
}

const STATUS: Style = Style::new().bg(Color::Green).fg(Color::Black);

/// The status line's left part: session, mode, role, exit, notice, title.
fn status_left(app: &App) -> Vec<Span<'static>> {
    let m = &app.mirror;
    let base = STATUS;
    let mut left = vec![Span::styled(
        format!("[{}] ", m.session_name()),
        base.add_modifier(Modifier::BOLD),
    )];
    // First, so that the badges never crowd it out.
    if let Some(c) = &app.connection {
        left.insert(
            0,
            Span::styled(format!("[{c}] "), base.bg(Color::Red).fg(Color::White)),
        );
    }
    match &app.mode {
        Mode::Prefix => left.push(Span::styled(
            "(prefix) ",
            base.add_modifier(Modifier::REVERSED),
        )),
        Mode::Scroll(s) => {
            if let Some(b) = s.selected_block.and_then(|id| m.block(id)) {
                let status = match (b.state(), b.exit_code) {
                    (wrapd_proto::pb::BlockState::Running, _) => "running".to_owned(),
                    (_, Some(code)) => format!("exit {code}"),
                    _ => "interrupted".to_owned(),
                };
                left.push(Span::styled(
                    format!("[block {}: {status}] ", b.id),
                    base.bg(Color::Cyan),
                ));
            }
            let from_bottom = m.screen_start().saturating_sub(s.top);
            let text = match &s.prompt {
                Some(p) => format!("{}{}", if p.backwards { "?" } else { "/" }, p.text),
                None => format!(
                    "[scroll {from_bottom}/{}] ",
                    m.screen_start().saturating_sub(m.history_start())
                ),
            };
            left.push(Span::styled(text, base.bg(Color::Yellow)));
        }
        _ => {}
    }
    if app.read_only {
        left.push(Span::styled("[read-only] ", base));
    }
    if let Side::Collaborator(label) = &app.presence.side {
        let role = match app.presence.role {
            pb::Role::Unspecified => "joining".to_owned(),
            r => role_name(r).to_owned(),
        };
        left.push(Span::styled(
            format!("[{role} · {label}] "),
            base.bg(Color::Magenta).fg(Color::White),
        ));
    }
    if let Some(exit) = m.exited() {
        left.push(Span::styled(
            format!("[{}] ", crate::commands::exit_text(exit)),
            base.bg(Color::Red),
        ));
    }
    if let Some(n) = &app.notice {
        left.push(Span::styled(format!("{n} "), base.bg(Color::Yellow)));
    }
    left.push(Span::styled(m.title().to_owned(), base));
    left
}

fn status_line(app: &App) -> Paragraph<'static> {
    let base = STATUS;
    let layout = StatusLayout::new(app, status_left(app));
    let mut line = layout.left;
    line.push(Span::styled(" ".repeat(layout.pad), base));
    line.extend(layout.badges.into_iter().flat_map(|(_, g)| g).map(|b| {
        let style = base.patch(b.style);
        b.style(style)
    }));
    line.push(Span::styled(layout.right, base));
    Paragraph::new(Line::from(line)).style(base)
}

/// The status line fitted to the terminal's width. The badges come first:
/// the left part (name, mode, notice, title) is cut to make room for them,
/// never the other way round; then the size and clients at the right end
/// go, and last the badges' names (initials and marks stay).
struct StatusLayout {
    left: Vec<Span<'static>>,
    /// Blanks between the left part and the badges.
    pad: usize,
    /// Each badge with its avatar number.
    badges: Vec<(usize, Vec<Span<'static>>)>,
    right: String,
}

fn spans_width(spans: &[Span]) -> usize {
    spans.iter().map(Span::width).sum()
}

impl StatusLayout {
    fn new(app: &App, left: Vec<Span<'static>>) -> StatusLayout {
        let width = usize::from(app.outer.0);
        let groups_width =
            |g: &[(usize, Vec<Span>)]| -> usize { g.iter().map(|(_, s)| spans_width(s)).sum() };
        let mut badges = app.presence.badge_groups(false);
        let mut right = right_text(app);
        let right_width = |r: &str| unicode_width::UnicodeWidthStr::width(r);
        // Reconnecting: the size and clients are stale, the state is not.
        if groups_width(&badges) + right_width(&right) > width || app.connection.is_some() {
            right.clear();
        }
        if groups_width(&badges) > width {
            badges = app.presence.badge_groups(true);
        }
        let room = width.saturating_sub(groups_width(&badges) + right_width(&right));
        // Cut, the left part keeps a blank before the badges.
        let left = if spans_width(&left) > room {
            cut_to_width(left, room.saturating_sub(1))
        } else {
            left
        };
        let pad = room - spans_width(&left);
        StatusLayout {
            left,
            pad,
            badges,
            right,
        }
    }

    /// Where the badges begin.
    fn badges_at(&self) -> usize {
        spans_width(&self.left) + self.pad
    }
}

/// The first `width` columns of `spans` (the last ones are cut).
fn cut_to_width(spans: Vec<Span<'static>>, width: usize) -> Vec<Span<'static>> {
    let mut used = 0;
    let mut out = Vec::new();
    for span in spans {
        let w = span.width();
        if used + w <= width {
            used += w;
            out.push(span);
            continue;
        }
        let mut text = String::new();
        for c in span.content.chars() {
            let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
            if used + cw > width {
                break;
            }
            used += cw;
            text.push(c);
        }
        out.push(Span::styled(text, span.style));
        break;
    }
    out
}

/// The status line's right end: the session's size and its clients.
fn right_text(app: &App) -> String {
    let (cols, rows) = app.mirror.size();
    let clients = match app.mirror.clients() {
        1 => "1 client".to_owned(),
        n => format!("{n} clients"),
    };
    format!(" {cols}x{rows} · {clients} ")
}

/// The avatar number of the badge at column `x` of the status line.
pub fn avatar_at(app: &App, x: u16) -> Option<usize> {
    let layout = StatusLayout::new(app, status_left(app));
    let mut at = layout.badges_at();
    for (avatar, spans) in &layout.badges {
        let w = spans_width(spans);
        if (at..at + w).contains(&usize::from(x)) {
            return Some(*avatar);
        }
        at += w;
    }
    None
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn draw_chooser(
    buf: &mut Buffer,
    area: Rect,
    sessions: Option<&[wrapd_proto::pb::SessionInfo]>,
    selected: usize,
) {
    let items: Vec<ListItem> = match sessions {
        None => vec![ListItem::new(" loading…")],
        Some([]) => vec![ListItem::new(" no sessions")],
        Some(list) => list
            .iter()
            .map(|s| {
                let attached = if s.clients > 0 { " (attached)" } else { "" };
                ListItem::new(format!(
                    " {}: {} [{}x{}]{attached}",
                    s.name,
                    s.command.join(" "),
                    s.cols,
                    s.rows
                ))
            })
            .collect(),
    };
    let rect = centered(area, 70, items.len() as u16 + 2);
    Clear.render(rect, buf);
    let list = List::new(items)
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title(" sessions (Enter to switch, q to close) "),
        )
        .highlight_style(Style::default().add_modifier(Modifier::REVERSED));
    let mut state = ListState::default().with_selected(Some(selected));
    StatefulWidget::render(list, rect, buf, &mut state);
}
