//! [`Shares`]: every share, its participants, secrets, counters and audit log,
//! behind one lock — the live access list that `authz` checks.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tonic::Status;
use wrapd_proto::pb;

use super::audit::AuditLog;
use super::audit_store::{self, Header};
use super::secret::SecretHash;
use super::store::RevocationStore;
use super::{PALETTE, Role};
use crate::session::{SessionId, now_ms};

/// Presence is re-sent for typing at most this often per participant.
pub const TYPING_RESOLUTION_MS: u64 = 1000;

/// Limits of a share (from `[share]` in the config).
#[derive(Debug, Clone, Copy)]
pub struct ShareLimits {
    pub max_participants: usize,
    pub max_session_bytes: u64,
    pub max_daily_bytes: u64,
}

/// How a participant came in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    Link,
    /// Invited by email; the invitation's secret is good once.
    Invite {
        secret: SecretHash,
        used: bool,
    },
    Team,
}

#[derive(Debug)]
pub struct Participant {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub via: Via,
    pub color: u32,
    /// Serials of the certificates issued to them.
    pub serials: Vec<String>,
    /// Attach streams open now.
    pub streams: u32,
    pub last_input_ms: u64,
    pub last_seen_ms: u64,
    pub control_requested: bool,
    pub selection: Option<pb::Selection>,
    pub removed: bool,
    /// Cancelled when they are removed (or the share stops): their streams end.
    pub token: CancellationToken,
}

#[derive(Debug)]
pub struct Share {
    pub id: String,
    pub session: SessionId,
    pub session_name: String,
    pub created_at_ms: u64,
    /// How the owner chose the starting point (`start_row`/`start_block` are
    /// what it came to).
    pub start: pb::ShareStart,
    /// Collaborators never see a row below this or a block below `start_block`.
    pub start_row: u64,
    pub start_block: u64,
    /// The first sequence number whose changes collaborators see (a title or
    /// working directory set before it is not sent), and the bells rung
    /// before it (they count from there). See `filter::Window`.
    pub start_seq: u64,
    pub start_bells: u64,
    pub link_role: Option<Role>,
    pub link_secret: Option<SecretHash>,
    pub team_role: Option<Role>,
    pub participants: Vec<Participant>,
    pub bytes_sent: u64,
    pub limit_reported: bool,
    pub audit: AuditLog,
    /// Cancelled when the share stops.
    pub token: CancellationToken,
    next_participant: u32,
    joined: usize,
}

impl Share {
    /// A share of `session`: collaborators see rows from `start_row` and
    /// blocks from `start_block` on.
    pub fn new(
        id: String,
        session: SessionId,
        session_name: String,
        start_row: u64,
        start_block: u64,
    ) -> Share {
        Share {
            id,
            session,
            session_name,
            created_at_ms: now_ms(),
            start_row,
            start_block,
            start_seq: 0,
            start_bells: 0,
            start: pb::ShareStart::default(),
            link_role: None,
            link_secret: None,
            team_role: None,
            participants: Vec::new(),
            bytes_sent: 0,
            limit_reported: false,
            audit: AuditLog::default(),
            token: CancellationToken::new(),
            next_participant: 0,
            joined: 0,
        }
    }

    pub fn participant(&self, id: &str) -> Option<&Participant> {
        self.participants.iter().find(|p| p.id == id)
    }

    pub fn participant_mut(&mut self, id: &str) -> Option<&mut Participant> {
        self.participants.iter_mut().find(|p| p.id == id)
    }

    /// A participant who is not removed, by id, else by email, else by display
    /// name (both without regard to case); a name or email that more than one
    /// participant has is an error that lists their ids.
    pub fn find_mut(&mut self, who: &str) -> Result<&mut Participant, String> {
        let live = || {
            self.participants
                .iter()
                .enumerate()
                .filter(|(_, p)| !p.removed)
        };
        let by_id: Vec<usize> = live()
            .filter(|(_, p)| p.id == who)
            .map(|(i, _)| i)
            .collect();
        let by_email: Vec<usize> = live()
            .filter(|(_, p)| p.email.eq_ignore_ascii_case(who))
            .map(|(i, _)| i)
            .collect();
        let by_name: Vec<usize> = live()
            .filter(|(_, p)| p.name.eq_ignore_ascii_case(who))
            .map(|(i, _)| i)
            .collect();
        let found = [by_id, by_email, by_name]
            .into_iter()
            .find(|m| !m.is_empty())
            .ok_or_else(|| {
                format!("no participant `{who}` in this share (`share ls` lists them)")
            })?;
        if let [i] = found[..] {
            return Ok(&mut self.participants[i]);
        }
        let ids: Vec<&str> = found
            .iter()
            .map(|&i| self.participants[i].id.as_str())
            .collect();
        Err(format!(
            "`{who}` names {} participants: say which by id ({})",
            ids.len(),
            ids.join(", ")
        ))
    }

    pub fn active_participants(&self) -> usize {
        self.participants.iter().filter(|p| !p.removed).count()
    }

    /// Record what participant `id` did ("" for the owner or the daemon).
    pub fn audit(&mut self, id: &str, action: &str, detail: String) {
        let e = self.audit_entry(id, action, detail);
        self.audit.record(e);
    }

    /// Note something participant `id` (or a stranger: "") can repeat at
    /// will; repeats are counted, not added (see `audit.rs`).
    pub fn audit_repeat(&mut self, id: &str, action: &str, detail: String) {
        let e = self.audit_entry(id, action, detail);
        self.audit.repeat(e);
    }

    fn audit_entry(&self, id: &str, action: &str, detail: String) -> pb::AuditEntry {
        let (name, email) = self
            .participant(id)
            .map(|p| (p.name.clone(), p.email.clone()))
            .unwrap_or_default();
        pb::AuditEntry {
            at_ms: now_ms(),
            participant_id: id.to_owned(),
            email,
            name,
            action: action.to_owned(),
            detail,
            ..Default::default()
        }
    }

    /// Apply a route's new role (`None`: the route is off) to everyone who
    /// came through it: off removes them (their streams end), viewer lowers
    /// editors at once. Returns the serials to revoke (link certificates
    /// name this share only; team certificates are not revoked elsewhere).
    pub fn apply_route_role(&mut self, team: bool, role: Option<Role>) -> Vec<String> {
        let mut revoke = Vec::new();
        let mut changed = Vec::new();
        for p in self.participants.iter_mut().filter(|p| !p.removed) {
            let on_route = if team {
                p.via == Via::Team
            } else {
                p.via == Via::Link
            };
            if !on_route {
                continue;
            }
            match role {
                None => {
                    p.removed = true;
                    p.control_requested = false;
                    p.selection = None;
                    p.token.cancel();
                    if !team {
                        revoke.extend(p.serials.iter().cloned());
                    }
                    changed.push((p.id.clone(), "remove"));
                }
                Some(Role::Viewer) if p.role == Role::Editor => {
                    p.role = Role::Viewer;
                    p.control_requested = false;
                    changed.push((p.id.clone(), "revoke-edit"));
                }
                _ => {}
            }
        }
        let why = if team { "the team" } else { "the link" };
        for (id, action) in changed {
            self.audit(&id, action, format!("{why} changed"));
        }
        revoke
    }

    /// Participants ever added (ids count on from it) and joined (colours):
    /// what a hand-over to a new binary carries over.
    pub fn counters(&self) -> (u32, usize) {
        (self.next_participant, self.joined)
    }

    pub fn set_counters(&mut self, next_participant: u32, joined: usize) {
        self.next_participant = next_participant;
        self.joined = joined;
    }

    /// The id the next participant coming `via` will get.
    pub fn next_participant_id(&self, via: &Via) -> String {
        match via {
            Via::Team => format!("t{}", self.next_participant + 1),
            _ => format!("p{}", self.next_participant + 1),
        }
    }

    /// Add a participant (the caller checked the limit).
    pub fn add_participant(
        &mut self,
        name: &str,
        email: &str,
        role: Role,
        via: Via,
    ) -> &mut Participant {
        let id = self.next_participant_id(&via);
        self.next_participant += 1;
        self.joined += 1;
        let color = PALETTE[self.joined % PALETTE.len()];
        self.participants.push(Participant {
            id,
            name: name.to_owned(),
            email: email.to_owned(),
            role,
            via,
            color,
            token: self.token.child_token(),
            ..Participant::blank()
        });
        self.participants.last_mut().expect("just pushed")
    }
}

impl Participant {
    fn blank() -> Participant {
        Participant {
            id: String::new(),
            name: String::new(),
            email: String::new(),
            role: Role::Viewer,
            via: Via::Link,
            color: 0,
            serials: Vec::new(),
            streams: 0,
            last_input_ms: 0,
            last_seen_ms: 0,
            control_requested: false,
            selection: None,
            removed: false,
            token: CancellationToken::new(),
        }
    }
}

/// The owner's activity in one session (local clients).
#[derive(Debug, Default)]
pub struct OwnerActivity {
    pub streams: u32,
    pub last_input_ms: u64,
    pub last_seen_ms: u64,
    pub selection: Option<pb::Selection>,
}

pub struct State {
    /// Oldest first.
    pub shares: Vec<Share>,
    pub revocations: RevocationStore,
    pub owner: HashMap<SessionId, OwnerActivity>,
    /// Bytes sent per collaborator (vouched email, else share/participant):
    /// (day number, bytes) — yesterday's count restarts at the first send today.
    pub daily: HashMap<String, (u64, u64)>,
}

impl State {
    pub fn share(&self, id: &str) -> Option<&Share> {
        self.shares.iter().find(|s| s.id == id)
    }

    pub fn share_mut(&mut self, id: &str) -> Option<&mut Share> {
        self.shares.iter_mut().find(|s| s.id == id)
    }

    pub fn share_of_session(&self, session: &SessionId) -> Option<&Share> {
        self.shares.iter().find(|s| &s.session == session)
    }
}

/// Every share of the daemon. One lock; nothing async happens under it.
pub struct Shares {
    state: Mutex<State>,
    /// Bumped on every change someone's presence shows.
    changed: watch::Sender<u64>,
    pub limits: Mutex<ShareLimits>,
    /// Where shares' audit logs are kept (none: in memory only).
    audit_dir: Option<PathBuf>,
}

impl Shares {
    pub fn new(revocations: RevocationStore, limits: ShareLimits) -> Shares {
        Shares {
            state: Mutex::new(State {
                shares: Vec::new(),
                revocations,
                owner: HashMap::new(),
                daily: HashMap::new(),
            }),
            changed: watch::channel(0).0,
            limits: Mutex::new(limits),
            audit_dir: None,
        }
    }

    /// Keep shares' audit logs in `dir` (see `audit_store.rs`).
    pub fn with_audit_dir(mut self, dir: PathBuf) -> Shares {
        self.audit_dir = Some(dir);
        self
    }

    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn limits(&self) -> ShareLimits {
        *self.limits.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wakes whoever shows presence.
    pub fn bump(&self) {
        self.changed.send_modify(|v| *v = v.wrapping_add(1));
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Register a new share (its audit log starts on disk).
    pub fn insert(&self, mut share: Share) {
        if let Some(dir) = &self.audit_dir {
            let live: Vec<String> = self.lock().shares.iter().map(|s| s.id.clone()).collect();
            let header = Header {
                share: share.id.clone(),
                session: share.session.0.clone(),
                session_name: share.session_name.clone(),
                created_at_ms: share.created_at_ms,
            };
            audit_store::start(&mut share.audit, dir, header, &live);
        }
        self.lock().shares.push(share);
        self.bump();
    }

    /// The audit log of a share no longer running, from its file (see
    /// `audit_store::stored`); `None`: no such log.
    pub fn stored_audit(&self, target: &str) -> Option<Result<Vec<pb::AuditEntry>, String>> {
        audit_store::stored(self.audit_dir.as_ref()?, target)
    }

    /// Stop a share: its collaborators are cut off, its certificates dead.
    pub fn stop(&self, id: &str) -> Option<String> {
        let mut st = self.lock();
        let i = st.shares.iter().position(|s| s.id == id)?;
        let mut share = st.shares.remove(i);
        share.audit("", "stop", "the owner stopped sharing".to_owned());
        share.token.cancel();
        st.revocations.revoke_share(&share.id);
        drop(st);
        tracing::info!(share = %share.id, session = %share.session, "share stopped");
        self.bump();
        Some(share.id)
    }

    /// Stop the shares of a session that ended.
    pub fn session_ended(&self, session: &SessionId) {
        let ids: Vec<String> = {
            let mut st = self.lock();
            st.owner.remove(session);
            st.shares
                .iter()
                .filter(|s| &s.session == session)
                .map(|s| s.id.clone())
                .collect()
        };
        for id in ids {
            self.stop(&id);
        }
    }

    /// Count `bytes` sent to a collaborator; refuse once a limit is reached.
    pub fn account(&self, share_id: &str, participant: &str, bytes: u64) -> Result<(), Status> {
        let limits = self.limits();
        let mut st = self.lock();
        let day = now_ms() / 86_400_000;
        let Some(share) = st.share(share_id) else {
            return Err(Status::permission_denied("this share has stopped"));
        };
        // By email only where the email is vouched for (an invitation, a
        // team certificate): anyone with a link may claim any address.
        let key = share
            .participant(participant)
            .filter(|p| p.via != Via::Link && !p.email.is_empty())
            .map(|p| p.email.to_ascii_lowercase())
            .unwrap_or_else(|| format!("{share_id}/{participant}"));
        if !st.daily.contains_key(&key) {
            // Counts of earlier days are of no use: they go before one is added.
            st.daily.retain(|_, (d, _)| *d == day);
        }
        let used = st.daily.entry(key).or_insert((day, 0));
        if used.0 != day {
            *used = (day, 0);
        }
        if used.1.saturating_add(bytes) > limits.max_daily_bytes {
            let msg = format!(
                "you have received {} from shared sessions today, the daily limit: try again tomorrow",
                wrapd_common::human::bytes(limits.max_daily_bytes)
            );
            // Refused again at each attach or request: counted, not re-added.
            let share = st.share_mut(share_id).expect("found above");
            share.audit_repeat(participant, "limit", msg.clone());
            return Err(Status::resource_exhausted(msg));
        }
        used.1 += bytes;
        let share = st.share_mut(share_id).expect("found above");
        if share.bytes_sent.saturating_add(bytes) > limits.max_session_bytes {
            let msg = format!(
                "this shared session has sent its limit of {} to collaborators; \
                 the owner can share it again to reset it",
                wrapd_common::human::bytes(limits.max_session_bytes)
            );
            if !share.limit_reported {
                share.limit_reported = true;
                share.audit("", "limit", msg.clone());
            }
            return Err(Status::resource_exhausted(msg));
        }
        share.bytes_sent += bytes;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shares(session_bytes: u64, daily: u64) -> Shares {
        Shares::new(
            RevocationStore::in_memory(),
            ShareLimits {
                max_participants: 10,
                max_session_bytes: session_bytes,
                max_daily_bytes: daily,
            },
        )
    }

    #[test]
    fn output_limits_per_share_and_per_collaborator_per_day() {
        let s = shares(1000, 600);
        let mut share = Share::new("s1".into(), SessionId("x".into()), "x".into(), 0, 0);
        let vouched = Via::Invite {
            secret: SecretHash::of("a"),
            used: true,
        };
        let a = share
            .add_participant("A", "a@x.org", Role::Viewer, vouched)
            .id
            .clone();
        let b = share
            .add_participant("B", "a@x.org", Role::Viewer, Via::Link)
            .id
            .clone();
        s.insert(share);
        s.account("s1", &a, 500).unwrap();
        // B claims A's email through a link: it does not count against A.
        s.account("s1", &b, 400).unwrap();
        let e = s.account("s1", &a, 200).unwrap_err();
        assert_eq!(e.code(), tonic::Code::ResourceExhausted);
        assert!(e.message().contains("today"), "{e:?}");
        let e = s.account("s1", &b, 150).unwrap_err();
        assert!(e.message().contains("this shared session"), "{e:?}");
        let st = s.lock();
        let share = st.share("s1").unwrap();
        assert_eq!(share.bytes_sent, 900);
        let entries = share.audit.entries();
        let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["limit", "limit"]);
    }

    #[test]
    fn a_collaborator_refused_by_the_daily_limit_again_and_again_fills_one_entry() {
        let s = shares(1_000_000, 100);
        let mut share = Share::new("s1".into(), SessionId("x".into()), "x".into(), 0, 0);
        let a = share
            .add_participant("A", "", Role::Viewer, Via::Link)
            .id
            .clone();
        share.audit(&a, "input", "recorded".to_owned());
        s.insert(share);
        for _ in 0..50_000 {
            s.account("s1", &a, 200).unwrap_err();
        }
        let st = s.lock();
        let entries = st.share("s1").unwrap().audit.entries();
        assert_eq!(entries.len(), 2, "{entries:?}");
        assert_eq!(entries[0].detail, "recorded");
        assert_eq!(
            (entries[1].action.as_str(), entries[1].count),
            ("limit", 50_000)
        );
    }

    #[test]
    fn counts_of_earlier_days_go_when_a_new_collaborator_is_counted() {
        let s = shares(1_000_000, 1_000_000);
        let mut share = Share::new("s1".into(), SessionId("x".into()), "x".into(), 0, 0);
        let a = share
            .add_participant("A", "", Role::Viewer, Via::Link)
            .id
            .clone();
        s.insert(share);
        s.lock().daily.insert("gone/p1".into(), (1, 10));
        s.account("s1", &a, 1).unwrap();
        let st = s.lock();
        let keys: Vec<&String> = st.daily.keys().collect();
        assert_eq!(keys, [&format!("s1/{a}")]);
    }

    #[test]
    fn stopping_cancels_everyone_and_revokes_the_share() {
        let s = shares(1000, 1000);
        let mut share = Share::new("s1".into(), SessionId("x".into()), "x".into(), 0, 0);
        let token = share
            .add_participant("A", "", Role::Editor, Via::Link)
            .token
            .clone();
        s.insert(share);
        s.session_ended(&SessionId("x".into()));
        assert!(token.is_cancelled());
        let st = s.lock();
        assert!(st.shares.is_empty());
        assert!(st.revocations.is_revoked("any", "s1"));
    }

    #[test]
    fn participants_are_found_by_id_email_or_name_and_ambiguity_is_an_error() {
        let mut share = Share::new("s1".into(), SessionId("x".into()), "x".into(), 0, 0);
        let ada = share
            .add_participant("Ada Lovelace", "ada@x.org", Role::Viewer, Via::Link)
            .id
            .clone();
        let bob = share
            .add_participant("Bob", "same@x.org", Role::Viewer, Via::Link)
            .id
            .clone();
        let bob2 = share
            .add_participant("Bob", "same@x.org", Role::Viewer, Via::Link)
            .id
            .clone();
        assert_eq!(share.find_mut(&ada).unwrap().id, ada);
        assert_eq!(share.find_mut("ADA@x.org").unwrap().id, ada);
        assert_eq!(share.find_mut("ada lovelace").unwrap().id, ada);
        let e = share.find_mut("bob").unwrap_err();
        assert!(e.contains(&bob) && e.contains(&bob2), "{e}");
        assert_eq!(share.find_mut(&bob2).unwrap().id, bob2);
        assert!(
            share
                .find_mut("nobody")
                .unwrap_err()
                .contains("no participant")
        );
        share.find_mut(&bob).unwrap().removed = true;
        assert_eq!(share.find_mut("Bob").unwrap().id, bob2);
    }

    #[test]
    fn turning_a_route_off_or_down_reaches_those_already_in() {
        let mut share = Share::new("s1".into(), SessionId("x".into()), "x".into(), 0, 0);
        let guest = share
            .add_participant("G", "", Role::Editor, Via::Link)
            .id
            .clone();
        share
            .participant_mut(&guest)
            .unwrap()
            .serials
            .push("aa".into());
        let member = share
            .add_participant("T", "t@x.org", Role::Editor, Via::Team)
            .id
            .clone();
        share
            .participant_mut(&member)
            .unwrap()
            .serials
            .push("bb".into());
        let invited = Via::Invite {
            secret: SecretHash::of("a"),
            used: true,
        };
        let inv = share
            .add_participant("I", "i@x.org", Role::Editor, invited)
            .id
            .clone();

        // Link down to viewer: the link guest is lowered, nobody else.
        assert!(share.apply_route_role(false, Some(Role::Viewer)).is_empty());
        assert_eq!(share.participant(&guest).unwrap().role, Role::Viewer);
        assert_eq!(share.participant(&member).unwrap().role, Role::Editor);
        assert_eq!(share.participant(&inv).unwrap().role, Role::Editor);

        // Link off: the guest is out, their certificate revoked, stream ended.
        let token = share.participant(&guest).unwrap().token.clone();
        assert_eq!(share.apply_route_role(false, None), vec!["aa".to_owned()]);
        assert!(share.participant(&guest).unwrap().removed);
        assert!(token.is_cancelled());

        // Team off: the member is out of this share; their team certificate
        // is not revoked (it is good for other shares).
        assert!(share.apply_route_role(true, None).is_empty());
        assert!(share.participant(&member).unwrap().removed);
        assert!(!share.participant(&inv).unwrap().removed);
    }
}
