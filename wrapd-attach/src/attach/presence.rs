//! Who is here: the participants of a shared session (from `Presence` on the
//! attach stream), our own role, and their highlights; drawn as avatar
//! badges on the status line and as coloured marks on the session.

use std::collections::HashSet;
use std::time::{SystemTime, UNIX_EPOCH};

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;
use wrapd_proto::pb;

use super::blocks;
use crate::mirror::Mirror;

/// Typed within this long: "typing".
const TYPING_MS: u64 = 3_000;
/// Nothing at all for this long: "idle".
const IDLE_MS: u64 = 5 * 60_000;

/// Which side of sharing this client is on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Side {
    #[default]
    None,
    Owner,
    /// Joined someone's share; the label names it ("shared by Ada").
    Collaborator(String),
}

#[derive(Debug, Clone, Default)]
pub struct Presence {
    pub side: Side,
    /// Everyone here, the owner first (as the daemon sends them).
    pub participants: Vec<pb::Participant>,
    /// Our participant id.
    pub you: String,
    /// Our role now (Unspecified until the daemon says).
    pub role: pb::Role,
    /// Requests for control already announced, so each is told once.
    announced: HashSet<String>,
    /// The highlight we last sent, so it is sent only when it changes.
    pub sent_selection: Option<pb::Selection>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Presence {
    pub fn new(side: Side) -> Presence {
        Presence {
            side,
            ..Presence::default()
        }
    }

    pub fn is_collaborator(&self) -> bool {
        matches!(self.side, Side::Collaborator(_))
    }

    /// A presence update; returns a notice for the user, if any (a new
    /// request for control, for the owner; a changed role, for us).
    pub fn apply(&mut self, p: pb::Presence) -> Option<String> {
        let old_role = self.role;
        self.role = p.role();
        self.participants = p.participants;
        self.you = p.you;
        let mut notice = None;
        if self.is_collaborator() && old_role != pb::Role::Unspecified && old_role != self.role {
            notice = Some(match self.role {
                pb::Role::Editor => "you may type now (editor)".to_owned(),
                pb::Role::Viewer => "you are a viewer now: the owner took control back".to_owned(),
                r => format!("your role is now {}", crate::share::admin::role_name(r)),
            });
        }
        if self.role == pb::Role::Owner {
            let asking: Vec<_> = self
                .participants
                .iter()
                .filter(|p| p.control_requested)
                .map(|p| (p.id.clone(), p.name.clone()))
                .collect();
            // Requests answered since (here or from the CLI): say how.
            let answered: Vec<String> = self
                .announced
                .iter()
                .filter(|id| !asking.iter().any(|(a, _)| a == *id))
                .cloned()
                .collect();
            for id in answered {
                self.announced.remove(&id);
                if let Some(p) = self.participants.iter().find(|p| p.id == id) {
                    notice = Some(if p.role() == pb::Role::Editor {
                        format!("{} has control now", p.name)
                    } else {
                        format!("{} did not get control", p.name)
                    });
                }
            }
            for (id, name) in asking {
                if self.announced.insert(id) {
                    notice = Some(format!("{name} asks for control: prefix S to answer"));
                }
            }
        }
        notice
    }

    /// The others, in avatar order (what prefix 1..9 counts).
    pub fn others(&self) -> impl Iterator<Item = &pb::Participant> {
        self.participants
            .iter()
            .filter(move |p| p.id != self.you && p.connected && !p.removed)
    }

    /// The n-th other participant's highlight (1-based).
    pub fn selection_of(&self, n: usize) -> Result<(&pb::Participant, &pb::Selection), String> {
        let p = self
            .others()
            .nth(n.saturating_sub(1))
            .ok_or_else(|| format!("nobody at avatar {n}"))?;
        match &p.selection {
            Some(s) if !is_empty(s) => Ok((p, s)),
            _ => Err(format!("{} highlights nothing", p.name)),
        }
    }

    /// Whether the status line shows badges (someone else is here).
    pub fn shows_badges(&self) -> bool {
        self.others().next().is_some()
    }

    /// Status line badges: `[AL] Ada ✎` in each one's colour (none while
    /// we are alone).
    pub fn badges(&self) -> Vec<Span<'static>> {
        self.badge_groups()
            .into_iter()
            .flat_map(|(_, spans)| spans)
            .collect()
    }

    /// Each participant's badge spans, with their avatar number among the
    /// others (what prefix 1..9 and a click use; `None` for ourselves).
    pub fn badge_groups(&self) -> Vec<(Option<usize>, Vec<Span<'static>>)> {
        let now = now_ms();
        if self.others().next().is_none() {
            return vec![];
        }
        let mut groups = Vec::new();
        for p in self
            .participants
            .iter()
            .filter(|p| p.connected && !p.removed)
        {
            let color = rgb(p.color);
            let style = Style::default()
                .bg(color)
                .fg(contrast(p.color))
                .add_modifier(Modifier::BOLD);
            let state = if self.is_typing(p, now) {
                "✎"
            } else if now.saturating_sub(p.last_seen_ms) > IDLE_MS {
                "z"
            } else {
                ""
            };
            let role = match p.role() {
                pb::Role::Owner => "★",
                pb::Role::Editor => "e",
                _ => "v",
            };
            let me = if p.id == self.you { "(you)" } else { "" };
            let ask = if p.control_requested { "?" } else { "" };
            let name: String = p.name.chars().take(10).collect();
            let avatar = self.others().position(|o| o.id == p.id).map(|i| i + 1);
            groups.push((
                avatar,
                vec![
                    Span::styled(format!("{:<2}", p.initials), style),
                    Span::raw(format!(" {name}{me}:{role}{ask}{state} ")),
                ],
            ));
        }
        groups
    }

    fn is_typing(&self, p: &pb::Participant, now: u64) -> bool {
        now.saturating_sub(p.last_input_ms) < TYPING_MS
    }

    /// Someone's "typing" mark is on: redraw soon to take it off in time.
    pub fn someone_typing(&self) -> bool {
        let now = now_ms();
        self.others().next().is_some() && self.participants.iter().any(|p| self.is_typing(p, now))
    }

    /// Draw the others' highlights: a text range gets their colour behind
    /// it; a block a bar of their colour at its left edge.
    pub fn draw_highlights(
        &self,
        mirror: &Mirror,
        area: Rect,
        row_y: impl Fn(u64) -> Option<u16>,
        buf: &mut Buffer,
    ) {
        let screen_end = mirror.screen_start() + u64::from(mirror.size().1);
        for p in self.others() {
            let Some(sel) = p.selection.as_ref().filter(|s| !is_empty(s)) else {
                continue;
            };
            let color = rgb(p.color);
            if sel.block_id != 0 {
                let Some(block) = mirror.block(sel.block_id) else {
                    continue;
                };
                for row in blocks::rows(block, screen_end) {
                    if let Some(y) = row_y(row) {
                        buf[(area.x, area.y + y)].set_bg(color);
                    }
                }
                continue;
            }
            for row in sel.start_row..=sel.end_row {
                let Some(y) = row_y(row) else { continue };
                let from = if row == sel.start_row {
                    sel.start_col
                } else {
                    0
                };
                let to = if row == sel.end_row {
                    sel.end_col
                } else {
                    u32::from(area.width)
                };
                for x in from..=to.min(u32::from(area.width).saturating_sub(1)) {
                    buf[(area.x + x as u16, area.y + y)].set_bg(color);
                }
            }
        }
    }
}

pub fn is_empty(s: &pb::Selection) -> bool {
    *s == pb::Selection::default()
}

/// The first row of a selection (where jumping to it goes).
pub fn first_row(mirror: &Mirror, s: &pb::Selection) -> Option<u64> {
    if s.block_id != 0 {
        mirror.block(s.block_id).map(|b| b.prompt_row)
    } else {
        Some(s.start_row)
    }
}

fn rgb(c: u32) -> Color {
    Color::Rgb((c >> 16) as u8, (c >> 8) as u8, c as u8)
}

/// Black or white, whichever reads on that colour.
fn contrast(c: u32) -> Color {
    let (r, g, b) = ((c >> 16) & 0xff, (c >> 8) & 0xff, c & 0xff);
    if r * 299 + g * 587 + b * 114 > 128_000 {
        Color::Black
    } else {
        Color::White
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn participant(id: &str, role: pb::Role) -> pb::Participant {
        pb::Participant {
            id: id.into(),
            name: id.to_uppercase(),
            role: role as i32,
            connected: true,
            initials: id[..1].to_uppercase(),
            color: 0xff8800,
            ..Default::default()
        }
    }

    #[test]
    fn a_request_for_control_is_announced_once() {
        let mut p = Presence::new(Side::Owner);
        let mut ada = participant("ada", pb::Role::Viewer);
        let update = |list: Vec<pb::Participant>| pb::Presence {
            participants: list,
            you: "owner".into(),
            role: pb::Role::Owner as i32,
        };
        assert_eq!(p.apply(update(vec![ada.clone()])), None);
        ada.control_requested = true;
        let n = p.apply(update(vec![ada.clone()])).unwrap();
        assert!(n.contains("ADA asks for control"), "{n}");
        assert_eq!(p.apply(update(vec![ada.clone()])), None);
        ada.control_requested = false;
        ada.role = pb::Role::Editor as i32;
        let n = p.apply(update(vec![ada.clone()])).unwrap();
        assert_eq!(n, "ADA has control now");
    }

    #[test]
    fn a_collaborator_is_told_when_its_role_changes() {
        let mut p = Presence::new(Side::Collaborator("shared by X".into()));
        let update = |role: pb::Role| pb::Presence {
            participants: vec![],
            you: "p1".into(),
            role: role as i32,
        };
        assert_eq!(p.apply(update(pb::Role::Viewer)), None);
        assert!(p.apply(update(pb::Role::Editor)).unwrap().contains("type"));
        assert_eq!(p.role, pb::Role::Editor);
    }

    #[test]
    fn avatars_count_the_others_and_find_their_highlight() {
        let mut p = Presence::new(Side::Owner);
        let mut ada = participant("ada", pb::Role::Editor);
        ada.selection = Some(pb::Selection {
            block_id: 4,
            ..Default::default()
        });
        p.apply(pb::Presence {
            participants: vec![
                participant("owner", pb::Role::Owner),
                ada,
                participant("bob", pb::Role::Viewer),
            ],
            you: "owner".into(),
            role: pb::Role::Owner as i32,
        });
        assert_eq!(p.selection_of(1).unwrap().1.block_id, 4);
        assert!(
            p.selection_of(2)
                .unwrap_err()
                .contains("BOB highlights nothing")
        );
        assert!(p.selection_of(3).is_err());
        let text: String = p.badges().iter().map(|s| s.content.to_string()).collect();
        assert!(
            text.contains("OWNER(you):★") && text.contains("ADA:e"),
            "{text}"
        );
    }
}
