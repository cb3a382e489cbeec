//! Participants and shares as the wire shows them.

use wrapd_proto::pb;

use super::filter::Window;
use super::state::{Participant, Share, State, Via};
use super::{PALETTE, initials, role_pb};
use crate::session::SessionId;

/// The owner as others see them.
#[derive(Debug, Clone)]
pub struct Owner {
    pub name: String,
    pub email: String,
}

impl Owner {
    /// From `[identity]`, else the login name and host.
    pub fn from_config(identity: &crate::config::IdentityConfig) -> Owner {
        let name = if identity.name.is_empty() {
            let login = identity.display_name();
            match std::fs::read_to_string("/proc/sys/kernel/hostname") {
                Ok(h) if !h.trim().is_empty() => format!("{login}@{}", h.trim()),
                _ => login,
            }
        } else {
            identity.name.clone()
        };
        Owner {
            name,
            email: identity.email.clone(),
        }
    }
}

pub const OWNER_ID: &str = "owner";

fn owner_participant(st: &State, session: &SessionId, owner: &Owner) -> pb::Participant {
    let activity = st.owner.get(session);
    pb::Participant {
        id: OWNER_ID.to_owned(),
        name: owner.name.clone(),
        email: owner.email.clone(),
        role: pb::Role::Owner as i32,
        color: PALETTE[0],
        initials: initials(&owner.name, &owner.email),
        connected: activity.is_some_and(|a| a.streams > 0),
        last_input_ms: activity.map_or(0, |a| a.last_input_ms),
        last_seen_ms: activity.map_or(0, |a| a.last_seen_ms),
        control_requested: false,
        selection: activity.and_then(|a| a.selection),
        removed: false,
    }
}

pub fn participant(p: &Participant) -> pb::Participant {
    pb::Participant {
        id: p.id.clone(),
        name: p.name.clone(),
        email: p.email.clone(),
        role: p.role.to_pb() as i32,
        color: p.color,
        initials: initials(&p.name, &p.email),
        connected: p.streams > 0,
        last_input_ms: p.last_input_ms,
        last_seen_ms: p.last_seen_ms,
        control_requested: p.control_requested,
        selection: p.selection,
        removed: p.removed,
    }
}

/// Everyone in `session` for a client that is `you` (participant id).
pub fn presence(st: &State, session: &SessionId, owner: &Owner, you: &str) -> pb::Presence {
    let mut participants = vec![owner_participant(st, session, owner)];
    let mut role = pb::Role::Owner as i32;
    if let Some(share) = st.share_of_session(session) {
        for p in share.participants.iter().filter(|p| !p.removed) {
            participants.push(participant(p));
        }
        if you != OWNER_ID {
            role = share
                .participant(you)
                .filter(|p| !p.removed)
                .map_or(pb::Role::Unspecified as i32, |p| p.role.to_pb() as i32);
            // Nothing from before the share's start: see `Window::participant`.
            let window = Window::of(share);
            for p in &mut participants {
                window.participant(p, share.created_at_ms);
            }
        }
    }
    pb::Presence {
        participants,
        you: you.to_owned(),
        role,
    }
}

/// A share for its owner. `links` are the ones to show (with secrets only
/// right after they were made: only their hashes are kept).
pub fn share_info(
    st: &State,
    share: &Share,
    owner: &Owner,
    links: Vec<pb::ShareLink>,
    bytes_limit: u64,
) -> pb::ShareInfo {
    let mut participants = vec![owner_participant(st, &share.session, owner)];
    participants.extend(share.participants.iter().map(participant));
    pb::ShareInfo {
        share_id: share.id.clone(),
        session_id: share.session.0.clone(),
        session_name: share.session_name.clone(),
        created_at_ms: share.created_at_ms,
        start_row: share.start_row,
        start_block: share.start_block,
        start: Some(share.start),
        link_role: role_pb(share.link_role),
        team_role: role_pb(share.team_role),
        links,
        participants,
        bytes_sent: share.bytes_sent,
        bytes_limit,
    }
}

/// The links of a share without their secrets (what `ListShares` shows):
/// the link and team kinds, and each pending invitation.
pub fn secretless_links(share: &Share, url: impl Fn(Option<&str>) -> String) -> Vec<pb::ShareLink> {
    let mut links = Vec::new();
    if let Some(role) = share.link_role {
        links.push(pb::ShareLink {
            kind: "link".to_owned(),
            role: role.to_pb() as i32,
            url: url(None),
            ..Default::default()
        });
    }
    if let Some(role) = share.team_role {
        links.push(pb::ShareLink {
            kind: "team".to_owned(),
            role: role.to_pb() as i32,
            url: url(None),
            ..Default::default()
        });
    }
    for p in &share.participants {
        if let Via::Invite { used: false, .. } = &p.via
            && !p.removed
        {
            links.push(pb::ShareLink {
                kind: p.email.clone(),
                role: p.role.to_pb() as i32,
                url: url(None),
                ..Default::default()
            });
        }
    }
    links
}
