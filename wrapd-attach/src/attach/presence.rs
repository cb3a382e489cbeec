//! Who is here: the participants of a shared session (from `Presence` on the
//! attach stream), our own role, and their highlights; drawn as avatar
//! badges on the status line and as coloured marks on the session.
//!
//! The badges, left to right: the owner first — always, marked `away` while
//! no client of theirs is attached — then everyone else connected, as the
//! daemon lists them, ourselves included. Prefix `1`..`9` counts them as
//! shown: `2` is the second badge, whoever it is (our own: our highlight).
//! What someone is doing (typing, idle, away) is the daemon's judgement,
//! sent when it changes: the client keeps no clock for it, and shows no mark
//! on our own badge (we know what we are doing).

use std::collections::HashSet;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;
use wrapd_proto::pb;

use super::blocks;
use crate::mirror::Mirror;

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

    /// Everyone with a badge, in badge order (what prefix 1..9 counts): the
    /// owner always, the others while connected; ourselves included.
    pub fn shown(&self) -> impl Iterator<Item = &pb::Participant> {
        self.participants
            .iter()
            .filter(|p| !p.removed && (p.connected || p.role() == pb::Role::Owner))
    }

    /// The others with a badge (whose highlights we draw).
    pub fn others(&self) -> impl Iterator<Item = &pb::Participant> {
        self.shown().filter(move |p| p.id != self.you)
    }

    /// The highlight of the participant with badge `n` (1-based).
    pub fn selection_of(&self, n: usize) -> Result<(&pb::Participant, &pb::Selection), String> {
        let p = self
            .shown()
            .nth(n.saturating_sub(1))
            .filter(|_| n > 0)
            .ok_or_else(|| format!("nobody at avatar {n}"))?;
        match &p.selection {
            // Someone away (the owner, detached) highlights nothing now.
            Some(s) if !is_empty(s) && p.connected => Ok((p, s)),
            _ if p.id == self.you => Err("you highlight nothing".to_owned()),
            _ => Err(format!("{} highlights nothing", p.name)),
        }
    }

    /// Whether the status line shows badges (someone else is here, or we
    /// joined someone's session: its owner always has a badge).
    pub fn shows_badges(&self) -> bool {
        self.others().next().is_some()
    }

    /// What of presence is on screen (badges, our role, the others'
    /// highlights): an update that leaves it alone needs no redraw — our own
    /// typing, say, or times that the daemon already judged.
    pub fn on_screen(&self) -> (pb::Role, Vec<pb::Participant>) {
        if !self.shows_badges() {
            return (self.role, vec![]);
        }
        let shown = self
            .shown()
            .map(|p| {
                let mut p = p.clone();
                (p.last_input_ms, p.last_seen_ms) = (0, 0);
                if p.id == self.you {
                    (p.activity, p.selection) = (0, None);
                }
                p
            })
            .collect();
        (self.role, shown)
    }

    /// Each badge's spans — `[AL] Ada:e✎` in their colour — with its avatar
    /// number (what prefix 1..9 and a click use); none while we are alone.
    /// `compact`: initials and marks only, for a narrow line.
    pub fn badge_groups(&self, compact: bool) -> Vec<(usize, Vec<Span<'static>>)> {
        if !self.shows_badges() {
            return vec![];
        }
        let mut groups = Vec::new();
        for (i, p) in self.shown().enumerate() {
            let color = rgb(p.color);
            let style = Style::default()
                .bg(color)
                .fg(contrast(p.color))
                .add_modifier(Modifier::BOLD);
            let me = p.id == self.you;
            let state = match p.activity() {
                _ if me => "",
                pb::Activity::Typing => "✎",
                pb::Activity::Idle => "z",
                pb::Activity::Away => " away",
                _ => "",
            };
            let role = match p.role() {
                pb::Role::Owner => "★",
                pb::Role::Editor => "e",
                _ => "v",
            };
            let ask = if p.control_requested { "?" } else { "" };
            let label = if compact {
                format!("{role}{ask}{state} ")
            } else {
                let name: String = p.name.chars().take(10).collect();
                let you = if me { "(you)" } else { "" };
                format!(" {name}{you}:{role}{ask}{state} ")
            };
            groups.push((
                i + 1,
                vec![
                    Span::styled(format!("{:<2}", p.initials), style),
                    Span::raw(label),
                ],
            ));
        }
        groups
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
        for p in self.others().filter(|p| p.connected) {
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

    fn badge_text(p: &Presence) -> String {
        let groups = p.badge_groups(false);
        let spans = groups.iter().flat_map(|(_, spans)| spans);
        spans.map(|s| s.content.to_string()).collect()
    }

    #[test]
    fn avatars_are_numbered_as_shown_ourselves_included() {
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
        assert_eq!(p.selection_of(1).unwrap_err(), "you highlight nothing");
        assert_eq!(p.selection_of(2).unwrap().1.block_id, 4);
        assert_eq!(p.selection_of(3).unwrap_err(), "BOB highlights nothing");
        assert!(p.selection_of(4).is_err());
        assert!(p.selection_of(0).is_err());
        let numbers: Vec<usize> = p.badge_groups(false).iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, [1, 2, 3]);
        let text = badge_text(&p);
        assert!(
            text.contains("OWNER(you):★") && text.contains("ADA:e"),
            "{text}"
        );
    }

    #[test]
    fn a_joiner_sees_the_detached_owner_away() {
        let mut p = Presence::new(Side::Collaborator("shared by OWNER".into()));
        let mut owner = participant("owner", pb::Role::Owner);
        owner.connected = false;
        owner.activity = pb::Activity::Away as i32;
        p.apply(pb::Presence {
            participants: vec![owner, participant("p1", pb::Role::Viewer)],
            you: "p1".into(),
            role: pb::Role::Viewer as i32,
        });
        assert!(p.shows_badges());
        let text = badge_text(&p);
        assert!(text.contains("OWNER:★ away"), "{text}");
        assert!(text.contains("P1(you):v"), "{text}");
        // A collaborator who left has no badge; the owner keeps theirs.
        let mut gone = participant("p2", pb::Role::Viewer);
        gone.connected = false;
        p.participants.push(gone);
        assert_eq!(p.shown().count(), 2);
    }

    #[test]
    fn our_own_badge_has_no_activity_mark_and_its_changes_draw_nothing() {
        let mut p = Presence::new(Side::Collaborator("x".into()));
        let update = |mine: pb::Activity, theirs: pb::Activity| {
            let mut owner = participant("owner", pb::Role::Owner);
            owner.activity = theirs as i32;
            let mut me = participant("p1", pb::Role::Viewer);
            me.activity = mine as i32;
            pb::Presence {
                participants: vec![owner, me],
                you: "p1".into(),
                role: pb::Role::Viewer as i32,
            }
        };
        p.apply(update(pb::Activity::Idle, pb::Activity::Active));
        let text = badge_text(&p);
        assert!(text.contains("P1(you):v "), "{text}");
        assert!(!text.contains('z'), "{text}");
        let before = p.on_screen();
        p.apply(update(pb::Activity::Typing, pb::Activity::Active));
        assert_eq!(
            p.on_screen(),
            before,
            "our own typing changes nothing shown"
        );
        p.apply(update(pb::Activity::Typing, pb::Activity::Idle));
        assert_ne!(p.on_screen(), before);
        assert!(badge_text(&p).contains("OWNER:★z"), "{}", badge_text(&p));
        p.apply(update(pb::Activity::Typing, pb::Activity::Typing));
        assert!(badge_text(&p).contains("OWNER:★✎"), "{}", badge_text(&p));
    }
}
