//! The owner's share menu (prefix `S`): share this session (with or without
//! scrollback, or from the selected block), copy the link, grant, revoke or
//! remove participants, answer requests for control, stop sharing.
//!
//! Every whole link this client knows (one made here: the daemon keeps only
//! hashes of secrets) is shown in the menu itself, above its choices, to be
//! read or selected by hand — copying through OSC 52 is offered too, but
//! many terminals (and tmux by default) drop it.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{
    Block, Borders, Clear, List, ListItem, ListState, Paragraph, StatefulWidget, Widget,
};
use wrapd_proto::pb;
use wrapd_proto::pb::update_access_request::Change;

/// What the menu asks the loop to do through `ShareAdmin`.
#[derive(Debug, Clone, PartialEq)]
pub enum ShareOp {
    /// Fetch the current session's share (to fill the menu).
    Load,
    Start(pb::ShareStart),
    Access(Change),
    Answer {
        participant: String,
        grant: bool,
    },
    Stop,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Op(ShareOp),
    CopyLink(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ShareMenu {
    /// `None` while loading; `Some(None)`: the session is not shared.
    pub info: Option<Option<pb::ShareInfo>>,
    pub selected: usize,
    /// The block selected in scroll mode when the menu opened.
    pub from_block: Option<u64>,
}

impl ShareMenu {
    pub fn new(from_block: Option<u64>) -> ShareMenu {
        ShareMenu {
            info: None,
            selected: 0,
            from_block,
        }
    }

    /// The menu of a share just made (or given a new link): its link shown,
    /// "copy link" selected.
    pub fn made(info: pb::ShareInfo) -> ShareMenu {
        ShareMenu {
            info: Some(Some(info)),
            selected: 0,
            from_block: None,
        }
    }

    /// The whole links to show above the choices, each after a line saying
    /// what it is, cut into rows of `width` columns (a link has no spaces
    /// to wrap at).
    pub fn link_lines(&self, width: usize) -> Vec<String> {
        let Some(Some(info)) = &self.info else {
            return vec![];
        };
        let width = width.max(1);
        let mut lines = Vec::new();
        for l in info.links.iter().filter(|l| can_give_out(l)) {
            let role = crate::share::admin::role_name(l.role());
            lines.push(match l.kind.as_str() {
                "link" => format!("Link ({role}): give it to whoever should join"),
                "team" => format!("Team link ({role}): for members of your team"),
                email => format!("Invitation for {email} ({role}):"),
            });
            let chars: Vec<char> = l.url.chars().collect();
            lines.extend(chars.chunks(width).map(|c| c.iter().collect::<String>()));
        }
        lines
    }

    pub fn items(&self) -> Vec<(String, Item)> {
        use pb::share_start::From;
        let start = |from| Item::Op(ShareOp::Start(pb::ShareStart { from: Some(from) }));
        let mut items = Vec::new();
        match &self.info {
            None => {}
            Some(None) => {
                items.push((
                    "share with scrollback".to_owned(),
                    start(From::Scrollback(true)),
                ));
                items.push((
                    "share without scrollback".to_owned(),
                    start(From::NoScrollback(true)),
                ));
                if let Some(id) = self.from_block {
                    items.push((
                        format!("share from block {id} onward"),
                        start(From::BlockId(id)),
                    ));
                }
            }
            Some(Some(info)) => {
                for l in &info.links {
                    let role = crate::share::admin::role_name(l.role());
                    if can_give_out(l) {
                        items.push((
                            format!("copy link to the clipboard: {} ({role})", l.kind),
                            Item::CopyLink(l.url.clone()),
                        ));
                    } else if l.kind == "link" {
                        // Its secret was shown once: a new one replaces it.
                        items.push((
                            format!("new link ({role}; the old one stops working)"),
                            Item::Op(ShareOp::Access(Change::LinkRole(l.role))),
                        ));
                    }
                }
                for p in info
                    .participants
                    .iter()
                    .filter(|p| p.role() != pb::Role::Owner && !p.removed)
                {
                    let who = if p.email.is_empty() { &p.id } else { &p.email };
                    if p.control_requested {
                        items.push((
                            format!("allow control: {}", p.name),
                            Item::Op(ShareOp::Answer {
                                participant: p.id.clone(),
                                grant: true,
                            }),
                        ));
                        items.push((
                            format!("deny control: {}", p.name),
                            Item::Op(ShareOp::Answer {
                                participant: p.id.clone(),
                                grant: false,
                            }),
                        ));
                    }
                    if p.role() == pb::Role::Editor {
                        items.push((
                            format!("revoke edit: {} <{who}>", p.name),
                            Item::Op(ShareOp::Access(Change::RevokeEdit(p.id.clone()))),
                        ));
                    } else {
                        items.push((
                            format!("grant edit: {} <{who}>", p.name),
                            Item::Op(ShareOp::Access(Change::GrantEdit(p.id.clone()))),
                        ));
                    }
                    items.push((
                        format!("remove: {} <{who}>", p.name),
                        Item::Op(ShareOp::Access(Change::Remove(p.id.clone()))),
                    ));
                }
                items.push(("stop sharing".to_owned(), Item::Op(ShareOp::Stop)));
            }
        }
        items
    }

    /// Move the selection, wrapping around (Up from the first item is the
    /// last: "stop sharing").
    pub fn move_by(&mut self, delta: isize) {
        let n = self.items().len() as isize;
        if n > 0 {
            self.selected = (self.selected as isize + delta).rem_euclid(n) as usize;
        }
    }

    pub fn chosen(&self) -> Option<Item> {
        self.items().into_iter().nth(self.selected).map(|(_, i)| i)
    }

    pub fn draw(&self, buf: &mut Buffer, area: Rect) {
        let items: Vec<ListItem> = match &self.info {
            None => vec![ListItem::new(" loading…")],
            _ => self
                .items()
                .into_iter()
                .map(|(label, _)| ListItem::new(format!(" {label}")))
                .collect(),
        };
        let title = match &self.info {
            Some(Some(i)) => format!(" shared: {} (Enter, q to close) ", i.session_name),
            _ => " share this session (Enter, q to close) ".to_owned(),
        };
        // Wide enough for a whole link on one row where the terminal is.
        let longest = self
            .link_lines(usize::MAX)
            .iter()
            .map(|l| l.chars().count())
            .max();
        let w = (longest.unwrap_or(0) as u16 + 2)
            .clamp(72, 250)
            .min(area.width);
        let links = self.link_lines(usize::from(w.saturating_sub(2)));
        let links_height = if links.is_empty() {
            0
        } else {
            links.len() as u16 + 1
        };
        let h = (items.len() as u16 + links_height + 2).min(area.height);
        let rect = Rect::new(
            area.x + (area.width - w) / 2,
            area.y + (area.height - h) / 2,
            w,
            h,
        );
        Clear.render(rect, buf);
        let block = Block::default().borders(Borders::ALL).title(title);
        let inner = block.inner(rect);
        block.render(rect, buf);
        let [links_area, items_area] =
            Layout::vertical([Constraint::Length(links_height), Constraint::Min(0)]).areas(inner);
        let lines: Vec<Line> = links.into_iter().map(Line::from).collect();
        Paragraph::new(lines).render(links_area, buf);
        let list =
            List::new(items).highlight_style(Style::default().add_modifier(Modifier::REVERSED));
        let mut state = ListState::default().with_selected(Some(self.selected));
        StatefulWidget::render(list, items_area, buf, &mut state);
    }
}

/// A link someone can join with: one with its secret, or a team link.
fn can_give_out(l: &pb::ShareLink) -> bool {
    l.url.contains('#') || l.kind == "team"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unshared_session_offers_the_three_ways_to_share() {
        let mut m = ShareMenu::new(Some(9));
        assert!(m.items().is_empty());
        m.info = Some(None);
        let labels: Vec<String> = m.items().into_iter().map(|(l, _)| l).collect();
        assert_eq!(labels.len(), 3);
        assert!(labels[2].contains("block 9"));
        m.move_by(-1);
        assert_eq!(
            m.chosen(),
            Some(Item::Op(ShareOp::Start(pb::ShareStart {
                from: Some(pb::share_start::From::BlockId(9))
            })))
        );
    }

    #[test]
    fn a_shared_session_lists_links_participants_requests_and_stop() {
        let mut m = ShareMenu::new(None);
        m.info = Some(Some(pb::ShareInfo {
            links: vec![pb::ShareLink {
                kind: "link".into(),
                role: pb::Role::Viewer as i32,
                url: "wrapd://x#s".into(),
                ..Default::default()
            }],
            participants: vec![
                pb::Participant {
                    id: "owner".into(),
                    role: pb::Role::Owner as i32,
                    ..Default::default()
                },
                pb::Participant {
                    id: "p1".into(),
                    name: "Ada".into(),
                    email: "ada@x.org".into(),
                    role: pb::Role::Viewer as i32,
                    control_requested: true,
                    ..Default::default()
                },
            ],
            ..Default::default()
        }));
        let items = m.items();
        let labels: Vec<&str> = items.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(
            labels,
            [
                "copy link to the clipboard: link (viewer)",
                "allow control: Ada",
                "deny control: Ada",
                "grant edit: Ada <ada@x.org>",
                "remove: Ada <ada@x.org>",
                "stop sharing"
            ]
        );
        assert_eq!(m.chosen(), Some(Item::CopyLink("wrapd://x#s".into())));
        // The link itself is shown, cut to the menu's width.
        assert_eq!(
            m.link_lines(6),
            [
                "Link (viewer): give it to whoever should join",
                "wrapd:",
                "//x#s"
            ]
        );
        // Listed without its secret: a new link is offered instead.
        if let Some(Some(info)) = &mut m.info {
            info.links[0].url = "wrapd://x".into();
        }
        assert!(m.items()[0].0.starts_with("new link (viewer"));
        assert!(m.link_lines(80).is_empty(), "nothing to give out");
    }
}
