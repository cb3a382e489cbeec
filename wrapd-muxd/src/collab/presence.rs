//! One attach stream as a participant: counted as connected while it lasts,
//! its input, refusals and selections recorded, and who is here sent to it
//! whenever that changes.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tonic::Status;
use wrapd_proto::pb;
use wrapd_proto::pb::attach_event::Msg as Event;

use crate::daemon::Daemon;
use crate::session::Attachment;
use crate::session::{SessionId, now_ms};
use crate::share::Role;
use crate::share::authz::{self, Collab};
use crate::share::presence::{OWNER_ID, presence};
use crate::share::state::TYPING_RESOLUTION_MS;

/// Input recorded in one audit entry at most (longer input is cut).
const AUDIT_INPUT_CHARS: usize = 1000;
/// Input within this long of the previous input joins its audit entry.
const AUDIT_JOIN_MS: u64 = 2000;

pub struct Presence {
    daemon: Arc<Daemon>,
    session: SessionId,
    collab: Option<Collab>,
}

impl Presence {
    /// A stream joins: count it (and say so in the audit log).
    pub fn join(daemon: Arc<Daemon>, session: SessionId, collab: Option<Collab>) -> Presence {
        {
            let mut st = daemon.shares.lock();
            let now = now_ms();
            match &collab {
                None => {
                    let o = st.owner.entry(session.clone()).or_default();
                    o.streams += 1;
                    o.last_seen_ms = now;
                }
                Some(c) => {
                    if let Some(share) = st.share_mut(&c.share_id) {
                        if let Some(p) = share.participant_mut(&c.participant_id) {
                            p.streams += 1;
                            p.last_seen_ms = now;
                        }
                        share.audit_repeat(&c.participant_id, "join", "attached".to_owned());
                    }
                }
            }
        }
        daemon.shares.bump();
        Presence {
            daemon,
            session,
            collab,
        }
    }

    pub fn collab(&self) -> Option<&Collab> {
        self.collab.as_ref()
    }

    /// Cancelled when this collaborator's access ends (never for the owner).
    pub fn cut_off(&self) -> CancellationToken {
        self.collab
            .as_ref()
            .map_or_else(CancellationToken::new, |c| c.token.clone())
    }

    pub fn role(&self) -> Result<Role, Status> {
        match &self.collab {
            None => Ok(Role::Editor),
            Some(c) => authz::live_role(&self.daemon.shares, c),
        }
    }

    pub fn you(&self) -> &str {
        self.collab
            .as_ref()
            .map_or(OWNER_ID, |c| c.participant_id.as_str())
    }

    /// They typed `data`: the time (typing), and the audit log for collaborators.
    pub fn typed(&self, data: &[u8]) {
        let now = now_ms();
        let mut bump = false;
        {
            let mut st = self.daemon.shares.lock();
            match &self.collab {
                None => {
                    let o = st.owner.entry(self.session.clone()).or_default();
                    bump = now.saturating_sub(o.last_input_ms) >= TYPING_RESOLUTION_MS;
                    o.last_input_ms = now;
                    o.last_seen_ms = now;
                }
                Some(c) => {
                    let Some(share) = st.share_mut(&c.share_id) else {
                        return;
                    };
                    if let Some(p) = share.participant_mut(&c.participant_id) {
                        bump = now.saturating_sub(p.last_input_ms) >= TYPING_RESOLUTION_MS;
                        p.last_input_ms = now;
                        p.last_seen_ms = now;
                    }
                    let text = data.escape_ascii().to_string();
                    match share.audit.last_record_mut() {
                        Some(e)
                            if e.action == "input"
                                && e.participant_id == c.participant_id
                                && now.saturating_sub(e.at_ms) < AUDIT_JOIN_MS
                                && e.detail.len() + text.len() <= AUDIT_INPUT_CHARS =>
                        {
                            e.detail.push_str(&text);
                            share.audit.record_grew(text.len());
                        }
                        _ => {
                            let text: String = text.chars().take(AUDIT_INPUT_CHARS).collect();
                            share.audit(&c.participant_id, "input", text);
                        }
                    }
                }
            }
        }
        if bump {
            self.daemon.shares.bump();
        }
    }

    /// The daemon refused their `what` (a viewer typing or resizing).
    pub fn refused(&self, what: &str) {
        let Some(c) = &self.collab else { return };
        let mut st = self.daemon.shares.lock();
        if let Some(share) = st.share_mut(&c.share_id) {
            share.audit_repeat(
                &c.participant_id,
                "refused",
                format!("{what}: a viewer may not write"),
            );
        }
    }

    /// They highlight `sel` (all zero: nothing).
    pub fn select(&self, sel: pb::Selection) {
        let sel = (sel != pb::Selection::default()).then_some(sel);
        {
            let mut st = self.daemon.shares.lock();
            match &self.collab {
                None => st.owner.entry(self.session.clone()).or_default().selection = sel,
                Some(c) => {
                    if let Some(p) = st
                        .share_mut(&c.share_id)
                        .and_then(|s| s.participant_mut(&c.participant_id))
                    {
                        p.selection = sel;
                        p.last_seen_ms = now_ms();
                    }
                }
            }
        }
        self.daemon.shares.bump();
    }

    /// Who is here now, and when that changes next by time alone.
    fn current(&self) -> (pb::Presence, Option<u64>) {
        let owner = self.daemon.owner();
        let clock = self.daemon.presence_clock();
        let st = self.daemon.shares.lock();
        presence(&st, &self.session, &owner, self.you(), clock)
    }
}

impl Drop for Presence {
    fn drop(&mut self) {
        {
            let mut st = self.daemon.shares.lock();
            match &self.collab {
                None => {
                    if let Some(o) = st.owner.get_mut(&self.session) {
                        o.streams = o.streams.saturating_sub(1);
                    }
                }
                Some(c) => {
                    if let Some(share) = st.share_mut(&c.share_id) {
                        if let Some(p) = share.participant_mut(&c.participant_id) {
                            p.streams = p.streams.saturating_sub(1);
                            p.last_seen_ms = now_ms();
                        }
                        share.audit_repeat(&c.participant_id, "leave", "detached".to_owned());
                    }
                }
            }
        }
        self.daemon.shares.bump();
    }
}

/// Send presence now and whenever it changes, until `done`: at every change
/// of the shares, and when someone's typing ends or idleness begins (timed
/// changes are the daemon's to send, so every client shows them at once).
/// A collaborator's role change also changes, at once, whether their client
/// counts as a writer in the session (and may size it).
pub async fn presence_task(
    me: Arc<Presence>,
    attachment: Arc<Attachment>,
    read_only: bool,
    tx: mpsc::Sender<Result<pb::AttachEvent, Status>>,
    done: CancellationToken,
) {
    let mut changed = me.daemon.shares.subscribe();
    let cut_off = me.cut_off();
    let mut last: Option<pb::Presence> = None;
    loop {
        changed.borrow_and_update();
        let (now, changes_at) = me.current();
        if last.as_ref() != Some(&now) {
            if me.collab.is_some() && last.as_ref().is_some_and(|l| l.role != now.role) {
                let writer = now.role == pb::Role::Editor as i32 && !read_only;
                let _ = attachment.set_read_only(!writer).await;
            }
            if let Some(text) = last.as_ref().and_then(|l| role_change(l, &now)) {
                let n = pb::Notice {
                    code: "Ok".to_owned(),
                    message: text.to_owned(),
                };
                if tx
                    .send(Ok(pb::AttachEvent {
                        msg: Some(Event::Notice(n)),
                    }))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            let msg = Ok(pb::AttachEvent {
                msg: Some(Event::Presence(now.clone())),
            });
            let sent = tokio::select! {
                r = tx.send(msg) => r.is_ok(),
                _ = done.cancelled() => false,
            };
            if !sent {
                return;
            }
            last = Some(now);
        }
        let timed_change = async {
            match changes_at {
                Some(at) => {
                    tokio::time::sleep(Duration::from_millis(at.saturating_sub(now_ms()))).await
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            r = changed.changed() => if r.is_err() { return },
            _ = timed_change => {}
            _ = done.cancelled() => return,
            _ = cut_off.cancelled() => return,
        }
    }
}

/// What to tell a collaborator whose role or request changed, if anything.
fn role_change(before: &pb::Presence, now: &pb::Presence) -> Option<&'static str> {
    if now.you == OWNER_ID {
        return None;
    }
    let requested = |p: &pb::Presence| {
        p.participants
            .iter()
            .find(|x| x.id == p.you)
            .is_some_and(|x| x.control_requested)
    };
    let editor = pb::Role::Editor as i32;
    let viewer = pb::Role::Viewer as i32;
    match (before.role, now.role) {
        (b, n) if b != editor && n == editor => {
            Some("the owner gave you control: you can type now")
        }
        (b, n) if b == editor && n == viewer => {
            Some("the owner took back control: you are a viewer now")
        }
        (b, n) if b == n && requested(before) && !requested(now) && n == viewer => {
            Some("the owner declined your request for control")
        }
        _ => None,
    }
}
