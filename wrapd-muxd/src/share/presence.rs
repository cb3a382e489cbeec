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
    pub fn from_config(identity: &wrapd_common::config::IdentityConfig) -> Owner {
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

/// Typed within this long: "typing".
pub const TYPING_MS: u64 = 3_000;

/// When presence is judged: the time now and how long without any activity
/// makes someone idle (`share.idle_after`).
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    pub now_ms: u64,
    pub idle_after_ms: u64,
}

/// What `p` is doing at `clock.now_ms`, counting nothing from before
/// `since_ms` (a collaborator's view starts at the share's start: nobody is
/// idle just because the share is new).
fn activity(p: &pb::Participant, since_ms: u64, clock: Clock) -> pb::Activity {
    if !p.connected {
        pb::Activity::Away
    } else if typing_until(p, since_ms).is_some_and(|t| clock.now_ms < t) {
        pb::Activity::Typing
    } else if clock.now_ms >= idle_at(p, since_ms, clock) {
        pb::Activity::Idle
    } else {
        pb::Activity::Active
    }
}

fn typing_until(p: &pb::Participant, since_ms: u64) -> Option<u64> {
    (p.last_input_ms > 0 && p.last_input_ms >= since_ms).then(|| p.last_input_ms + TYPING_MS)
}

fn idle_at(p: &pb::Participant, since_ms: u64, clock: Clock) -> u64 {
    p.last_seen_ms
        .max(since_ms)
        .saturating_add(clock.idle_after_ms)
}

/// When `p`'s activity changes next by time alone (typing ends, idleness
/// begins), if it will.
fn next_change(p: &pb::Participant, since_ms: u64, clock: Clock) -> Option<u64> {
    if !p.connected {
        return None;
    }
    [typing_until(p, since_ms), Some(idle_at(p, since_ms, clock))]
        .into_iter()
        .flatten()
        .filter(|&t| t > clock.now_ms)
        .min()
}

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
        activity: pb::Activity::Unspecified as i32,
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
        activity: pb::Activity::Unspecified as i32,
    }
}

/// Everyone in `session` for a client that is `you` (participant id), as
/// of `clock`; and when it changes next by time alone (wake up then: the
/// daemon sends presence changes, clients keep no clock).
pub fn presence(
    st: &State,
    session: &SessionId,
    owner: &Owner,
    you: &str,
    clock: Clock,
) -> (pb::Presence, Option<u64>) {
    let mut participants = vec![owner_participant(st, session, owner)];
    let mut role = pb::Role::Owner as i32;
    let mut since_ms = 0;
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
            since_ms = share.created_at_ms;
        }
    }
    let mut changes_at = None;
    for p in &mut participants {
        p.activity = activity(p, since_ms, clock) as i32;
        changes_at = changes_at
            .into_iter()
            .chain(next_change(p, since_ms, clock))
            .min();
    }
    let presence = pb::Presence {
        participants,
        you: you.to_owned(),
        role,
    };
    (presence, changes_at)
}

/// A share for its owner. `links` are the ones to show (with secrets only
/// right after they were made: only their hashes are kept).
pub fn share_info(
    st: &State,
    share: &Share,
    owner: &Owner,
    links: Vec<pb::ShareLink>,
    bytes_limit: u64,
    clock: Clock,
) -> pb::ShareInfo {
    let mut participants = vec![owner_participant(st, &share.session, owner)];
    participants.extend(share.participants.iter().map(participant));
    for p in &mut participants {
        p.activity = activity(p, 0, clock) as i32;
    }
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
/// the link and team kinds, and each pending invitation. `url(team)`
/// formats one.
pub fn secretless_links(share: &Share, url: impl Fn(bool) -> String) -> Vec<pb::ShareLink> {
    let mut links = Vec::new();
    if let Some(role) = share.link_role {
        links.push(pb::ShareLink {
            kind: "link".to_owned(),
            role: role.to_pb() as i32,
            url: url(false),
            ..Default::default()
        });
    }
    if let Some(role) = share.team_role {
        links.push(pb::ShareLink {
            kind: "team".to_owned(),
            role: role.to_pb() as i32,
            url: url(true),
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
                url: url(false),
                ..Default::default()
            });
        }
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::share::Role;
    use crate::share::state::{ShareLimits, Shares};
    use crate::share::store::RevocationStore;

    /// A share of session "x" made at `at_ms`, with Ada (connected, seen at
    /// `at_ms`); the owner never attached.
    fn shares(at_ms: u64) -> (Shares, String) {
        let shares = Shares::new(
            RevocationStore::in_memory(),
            ShareLimits {
                max_participants: 10,
                max_session_bytes: 1000,
                max_daily_bytes: 1000,
            },
        );
        let mut share = Share::new("s1".into(), SessionId("x".into()), "x".into(), 0, 0);
        share.created_at_ms = at_ms;
        let ada = share.add_participant("Ada", "", Role::Editor, Via::Link);
        ada.streams = 1;
        ada.last_seen_ms = at_ms;
        let id = ada.id.clone();
        shares.insert(share);
        (shares, id)
    }

    fn owner() -> Owner {
        Owner {
            name: "Olive".into(),
            email: String::new(),
        }
    }

    fn at(now_ms: u64) -> Clock {
        Clock {
            now_ms,
            idle_after_ms: 60_000,
        }
    }

    #[test]
    fn the_detached_owner_is_away_and_timed_changes_say_when() {
        let (shares, ada) = shares(1_000_000);
        let st = shares.lock();
        let session = SessionId("x".into());
        let (p, next) = presence(&st, &session, &owner(), &ada, at(1_000_500));
        assert_eq!(p.participants[0].activity(), pb::Activity::Away);
        assert!(!p.participants[0].connected);
        assert_eq!(p.participants[1].activity(), pb::Activity::Active);
        // Ada turns idle a minute after she was last seen: wake up then.
        assert_eq!(next, Some(1_060_000));
        let (p, _) = presence(&st, &session, &owner(), &ada, at(1_060_000));
        assert_eq!(p.participants[1].activity(), pb::Activity::Idle);
        drop(st);

        // She types: typing for three seconds, then active again.
        let mut st = shares.lock();
        let p = st.share_mut("s1").unwrap().participant_mut(&ada).unwrap();
        (p.last_input_ms, p.last_seen_ms) = (1_100_000, 1_100_000);
        let (p, next) = presence(&st, &session, &owner(), OWNER_ID, at(1_101_000));
        assert_eq!(p.participants[1].activity(), pb::Activity::Typing);
        assert_eq!(next, Some(1_100_000 + TYPING_MS));
        let (p, _) = presence(&st, &session, &owner(), OWNER_ID, at(1_103_000));
        assert_eq!(p.participants[1].activity(), pb::Activity::Active);
    }

    #[test]
    fn nobody_is_idle_for_collaborators_just_because_the_share_is_new() {
        let (shares, ada) = shares(1_000_000);
        let mut st = shares.lock();
        // The owner attached long before sharing and has done nothing since.
        let o = st.owner.entry(SessionId("x".into())).or_default();
        (o.streams, o.last_seen_ms) = (1, 1);
        let session = SessionId("x".into());
        let (p, next) = presence(&st, &session, &owner(), &ada, at(1_000_500));
        assert_eq!(p.participants[0].activity(), pb::Activity::Active);
        assert_eq!(next, Some(1_060_000));
        // The owner, who saw it all, sees themselves idle.
        let (p, _) = presence(&st, &session, &owner(), OWNER_ID, at(1_000_500));
        assert_eq!(p.participants[0].activity(), pb::Activity::Idle);
    }
}
