//! Who is calling, and what they may do: the one place that decides.
//!
//! A caller on the Unix socket is the owner (same uid, checked at accept). On
//! the share port a caller is who its certificate says (see `tls`), and a
//! request passes only if two locks open: the certificate's (its share, its
//! participant, not revoked, not expired) and the live access list's (the
//! share still runs, the participant is not removed; their role *now* — which
//! is checked again for every input message, not once at attach).
//!
//! The role written in a certificate is the one it was issued with; the owner
//! can raise it live (grant edit, answer a request for control) without a new
//! certificate, so what a collaborator may do is always the live list's role.
//! A certificate's share and participant must match the live list, and its
//! serial must be one the share issued to that participant.

use std::sync::Arc;
use std::time::SystemTime;

use tokio_util::sync::CancellationToken;
use tonic::{Request, Status};

use super::filter::Window;
use super::identity::PeerCert;
use super::state::Via;
use super::tls::{PeerIdentity, PeerInfo};
use super::{Role, Shares};
use crate::registry::Registry;
use crate::session::{SessionId, now_ms};

/// The RPCs collaborators may call; every other one is the owner's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rpc {
    Attach,
    ReadRows,
    SearchRows,
    ListBlocks,
    GetBlockOutput,
    WatchBlocks,
    Whoami,
    RequestControl,
    /// Anything else, by name (for the refusal's message).
    OwnerOnly(&'static str),
}

#[derive(Debug, Clone)]
pub enum Caller {
    Owner,
    Peer(Arc<PeerIdentity>),
}

impl Caller {
    /// The caller of `req`: on the share port (`remote`), whoever its TLS
    /// connection says; a request without that information is anonymous.
    pub fn of<T>(req: &Request<T>, remote: bool) -> Caller {
        if !remote {
            return Caller::Owner;
        }
        match req.extensions().get::<PeerInfo>() {
            Some(info) => Caller::Peer(info.identity.clone()),
            None => Caller::Peer(Arc::new(PeerIdentity::Anonymous)),
        }
    }
}

/// What a collaborator proves who they are with; refusals name it, so that a
/// browser is told about its credential and a native client its certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    Certificate,
    /// A web credential (a cookie), standing for a certificate.
    Credential,
}

impl Proof {
    pub fn noun(self) -> &'static str {
        match self {
            Proof::Certificate => "certificate",
            Proof::Credential => "credential",
        }
    }
}

/// What a collaborator's request may touch.
#[derive(Debug, Clone)]
pub struct Collab {
    pub share_id: String,
    pub participant_id: String,
    pub session: SessionId,
    /// What of the session they may see (the share's starting point).
    pub window: Window,
    /// Cancelled when they are removed or the share stops (and, for a
    /// stream, when their certificate expires: [`Collab::expire_with_certificate`]).
    pub token: CancellationToken,
    /// When their certificate expires.
    pub expires: SystemTime,
    /// A certificate or a browser's credential.
    pub proof: Proof,
}

impl Collab {
    /// For a stream that outlives this request's check: from now on `token`
    /// also fires when the certificate expires, so the stream ends then, like
    /// any request made after it. The timer stops with `stop`.
    pub fn expire_with_certificate(&mut self, stop: CancellationToken) {
        let token = self.token.child_token();
        let left = self
            .expires
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        let fire = token.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = tokio::time::sleep(left) => fire.cancel(),
                _ = fire.cancelled() => {}
                _ = stop.cancelled() => {}
            }
        });
        self.token = token;
    }

    pub fn expired(&self) -> bool {
        self.expires <= SystemTime::now()
    }

    /// Why their stream ended, when it was cut off.
    pub fn cut_off_status(&self, shares: &Shares) -> Status {
        if self.expired() {
            return Status::unauthenticated(expired_message(
                shares,
                &self.share_id,
                &self.participant_id,
                self.proof,
            ));
        }
        live_role(shares, self)
            .err()
            .unwrap_or_else(|| Status::permission_denied("your access to this share has ended"))
    }
}

pub enum Access {
    Owner,
    Collaborator(Collab),
}

/// Decide whether `caller` may call `rpc` on `target` (a session; empty: the
/// shared one). Every RPC on the share port calls this first.
pub fn authorize(
    shares: &Shares,
    registry: &Registry,
    caller: &Caller,
    rpc: Rpc,
    target: &str,
) -> Result<Access, Status> {
    let peer = match caller {
        Caller::Owner => return Ok(Access::Owner),
        Caller::Peer(p) => p,
    };
    let (cert, team, proof) = match peer.as_ref() {
        PeerIdentity::Anonymous => {
            return Err(Status::unauthenticated(
                "no client certificate: enroll first (`wrapd-attach LINK` with the share link)",
            ));
        }
        PeerIdentity::Refused(why) => return Err(Status::unauthenticated(why.clone())),
        PeerIdentity::Enrolled(c) => (c, false, Proof::Certificate),
        PeerIdentity::Browser(c) => (c, false, Proof::Credential),
        PeerIdentity::Team(c) => (c, true, Proof::Certificate),
    };
    if let Rpc::OwnerOnly(name) = rpc {
        return Err(Status::permission_denied(format!(
            "`{name}` is for the session's owner: collaborators may attach to the shared \
             session, read and search its rows and list its blocks"
        )));
    }
    if cert.not_after < SystemTime::now() {
        let (share_id, participant_id) = cert
            .share
            .as_ref()
            .map_or(("", ""), |(s, p, _)| (s.as_str(), p.as_str()));
        return Err(Status::unauthenticated(expired_message(
            shares,
            share_id,
            participant_id,
            proof,
        )));
    }
    // The session the target names, if any (it must be the shared one).
    let named = if target.is_empty() {
        None
    } else {
        Some(registry.resolve(target).map_err(|_| not_shared())?.id)
    };
    let collab = if team {
        team_member(shares, cert, named.as_ref())?
    } else {
        enrolled(shares, cert, proof, named.as_ref())?
    };
    Ok(Access::Collaborator(collab))
}

/// Why an expired certificate (or credential) is refused, and what its
/// holder can do: a link joiner enrolls anew with the link; an invitation
/// works only once.
pub fn expired_message(
    shares: &Shares,
    share_id: &str,
    participant_id: &str,
    proof: Proof,
) -> String {
    let invited = {
        let st = shares.lock();
        st.share(share_id)
            .and_then(|s| s.participant(participant_id))
            .is_some_and(|p| matches!(p.via, Via::Invite { used: true, .. }))
    };
    let noun = proof.noun();
    if invited {
        format!(
            "your {noun} has expired and your invitation has been used (it works once): \
             ask the owner for a new invitation"
        )
    } else {
        format!("your {noun} has expired: join again with a share link (it enrolls you anew)")
    }
}

fn enrolled(
    shares: &Shares,
    cert: &PeerCert,
    proof: Proof,
    named: Option<&SessionId>,
) -> Result<Collab, Status> {
    let noun = proof.noun();
    let Some((share_id, participant_id, _issued_role)) = &cert.share else {
        return Err(Status::unauthenticated(format!(
            "your {noun} does not name a share"
        )));
    };
    let mut st = shares.lock();
    if st.revocations.is_revoked(&cert.serial, share_id) {
        return Err(Status::permission_denied(format!(
            "your {noun} has been revoked: the owner removed you or stopped sharing"
        )));
    }
    let share = st.share_mut(share_id).ok_or_else(|| {
        Status::permission_denied("this share is no longer active: the owner stopped sharing")
    })?;
    if named.is_some_and(|s| s != &share.session) {
        return Err(not_shared());
    }
    let (session, window) = (share.session.clone(), Window::of(share));
    let p = share
        .participant_mut(participant_id)
        .ok_or_else(|| Status::permission_denied("you are not a participant of this share"))?;
    if p.removed {
        return Err(Status::permission_denied(
            "the owner removed you from this share",
        ));
    }
    if !p.serials.contains(&cert.serial) {
        return Err(Status::permission_denied(format!(
            "this {noun} is not one this share issued to you: join again with the link"
        )));
    }
    p.last_seen_ms = now_ms();
    Ok(Collab {
        share_id: share_id.clone(),
        participant_id: participant_id.clone(),
        session,
        window,
        token: p.token.clone(),
        expires: cert.not_after,
        proof,
    })
}

fn team_member(
    shares: &Shares,
    cert: &PeerCert,
    named: Option<&SessionId>,
) -> Result<Collab, Status> {
    let limits = shares.limits();
    let mut st = shares.lock();
    if st.revocations.revoked.serials.contains(&cert.serial) {
        return Err(Status::permission_denied(
            "your team certificate has been revoked here: the owner removed you",
        ));
    }
    let share = st
        .shares
        .iter_mut()
        .rev()
        .filter(|s| s.team_role.is_some())
        .find(|s| named.is_none_or(|n| n == &s.session))
        .ok_or_else(|| match named {
            Some(_) => not_shared(),
            None => Status::permission_denied("no session is shared with your team here"),
        })?;
    let role = share.team_role.unwrap_or(Role::Viewer);
    let existing = share
        .participants
        .iter()
        .position(|p| p.via == Via::Team && p.email.eq_ignore_ascii_case(&cert.email));
    let i = match existing {
        Some(i) if share.participants[i].removed => {
            return Err(Status::permission_denied(
                "the owner removed you from this share",
            ));
        }
        Some(i) => i,
        None => {
            if share.active_participants() >= limits.max_participants {
                share.audit_repeat(
                    "",
                    "limit",
                    format!("team member {} refused: the share is full", cert.email),
                );
                return Err(Status::resource_exhausted(format!(
                    "this share already has {}, its limit",
                    wrapd_common::human::count(limits.max_participants as u64, "participant")
                )));
            }
            let p = share.add_participant(&cert.name, &cert.email, role, Via::Team);
            let id = p.id.clone();
            share.audit(&id, "join", format!("team member, as {}", role.name()));
            share.participants.len() - 1
        }
    };
    let (share_id, session, window) = (share.id.clone(), share.session.clone(), Window::of(share));
    let p = &mut share.participants[i];
    if !p.serials.contains(&cert.serial) {
        p.serials.push(cert.serial.clone());
    }
    p.last_seen_ms = now_ms();
    let collab = Collab {
        share_id,
        participant_id: p.id.clone(),
        session,
        window,
        token: p.token.clone(),
        expires: cert.not_after,
        proof: Proof::Certificate,
    };
    drop(st);
    shares.bump();
    Ok(collab)
}

/// The one refusal for a session that is not the caller's, whether or not it
/// exists: names of other sessions cannot be probed.
fn not_shared() -> Status {
    Status::permission_denied(
        "that session is not shared with you: leave the target empty for the shared session",
    )
}

/// A collaborator's role now (their live entry), or why they have none.
pub fn live_role(shares: &Shares, c: &Collab) -> Result<Role, Status> {
    let st = shares.lock();
    let share = st
        .share(&c.share_id)
        .ok_or_else(|| Status::permission_denied("the owner stopped sharing this session"))?;
    match share.participant(&c.participant_id) {
        Some(p) if !p.removed => Ok(p.role),
        _ => Err(Status::permission_denied(
            "the owner removed you from this share",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::share::secret::SecretHash;
    use crate::share::state::Share;
    use crate::share::state::ShareLimits;

    #[test]
    fn an_expired_invitee_is_told_to_ask_for_a_new_invitation_not_to_use_a_link() {
        let shares = Shares::new(
            crate::share::store::RevocationStore::in_memory(),
            ShareLimits {
                max_participants: 10,
                max_session_bytes: u64::MAX,
                max_daily_bytes: u64::MAX,
            },
        );
        let mut share = Share::new("s1".into(), SessionId("x".into()), "x".into(), 0, 0);
        let invited = Via::Invite {
            secret: SecretHash::of("a"),
            used: true,
        };
        let inv = share
            .add_participant("I", "i@x.org", Role::Viewer, invited)
            .id
            .clone();
        let guest = share
            .add_participant("G", "", Role::Viewer, Via::Link)
            .id
            .clone();
        shares.insert(share);
        let m = expired_message(&shares, "s1", &inv, Proof::Certificate);
        assert!(m.contains("ask the owner for a new invitation"), "{m}");
        assert!(!m.contains("share link"), "{m}");
        let m = expired_message(&shares, "s1", &guest, Proof::Certificate);
        assert!(
            m.contains("certificate has expired: join again with a share link"),
            "{m}"
        );
        // A browser is told about its credential.
        let m = expired_message(&shares, "s1", &guest, Proof::Credential);
        assert!(m.starts_with("your credential has expired"), "{m}");
    }
}
