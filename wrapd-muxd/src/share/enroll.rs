//! Enrollment: a link's (or an invitation's) secret becomes a credential naming
//! a participant of a share. The one place that decides who a secret lets in,
//! whichever door it comes through: a native client gets a certificate from the
//! daemon's CA (`rpc::share`), a browser gets a web credential (`web`). The
//! door only says how to issue; the checks, the participant and the audit entry
//! are the same for both. Also who an enrolled collaborator is now
//! ([`whoami`]), which both doors answer.

use tonic::Status;
use wrapd_proto::pb;

use super::authz::Collab;
use super::identity::CertIdentity;
use super::state::{Share, ShareLimits, State, Via};
use super::{Role, Shares};

/// Longest display name or email taken from a joiner.
const MAX_NAME: usize = 100;

/// What a joiner presents.
#[derive(Debug, Clone, Default)]
pub struct Joiner {
    pub share_id: String,
    pub secret: String,
    /// Their display name and email; the invitation fixes the email, and an
    /// empty name gets a default.
    pub name: String,
    pub email: String,
}

/// Which door a joiner came through (for the audit log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    Native,
    Browser,
}

/// What a door issued: its credential and that credential's serial (the one
/// revocations list and the participant keeps).
pub struct Issued<T> {
    pub credential: T,
    pub serial: String,
}

/// Enroll `joiner` in their share: find who the secret names (an invitation,
/// good once; else the share's link, while the share has room), let `issue`
/// make their credential, and only then add the participant (or mark the
/// invitation used), record the serial and audit the join. Nothing changes if
/// anything fails. Returns the credential and who it names (the owner's name
/// is the caller's to add).
pub fn enroll<T>(
    shares: &Shares,
    joiner: &Joiner,
    door: Door,
    issue: impl FnOnce(&CertIdentity) -> Result<Issued<T>, Status>,
) -> Result<(T, pb::WhoamiResponse), Status> {
    let limits = shares.limits();
    let name = clean(&joiner.name);
    let email = clean(&joiner.email);
    let mut st = shares.lock();
    let (share, named) = named(&mut st, &joiner.share_id, &joiner.secret, &name, &limits)?;
    let invited = match named {
        Named::Invitation(i) => Some(i),
        Named::Link(_) => None,
    };
    // Who the credential will name; nothing changes until it is issued.
    let who = match named {
        Named::Invitation(i) => {
            let p = &share.participants[i];
            let mut display = if name.is_empty() {
                p.name.clone()
            } else {
                name
            };
            if display.is_empty() {
                display = p.email.split('@').next().unwrap_or("guest").to_owned();
            }
            CertIdentity {
                share_id: share.id.clone(),
                participant_id: p.id.clone(),
                role: p.role,
                name: display,
                email: p.email.clone(),
            }
        }
        Named::Link(role) => CertIdentity {
            share_id: share.id.clone(),
            participant_id: share.next_participant_id(&Via::Link),
            role,
            name: if name.is_empty() {
                "guest".to_owned()
            } else {
                name
            },
            email,
        },
    };
    let issued = issue(&who)?;
    // Issued: now the participant exists (or their invitation is used).
    let p = match invited {
        Some(i) => &mut share.participants[i],
        None => share.add_participant(&who.name, &who.email, who.role, Via::Link),
    };
    debug_assert_eq!(p.id, who.participant_id);
    p.name = who.name.clone();
    if let Via::Invite { used, .. } = &mut p.via {
        *used = true;
    }
    p.serials.push(issued.serial);
    let kind = match p.via {
        Via::Invite { .. } => "invitation",
        Via::Link => "link",
        Via::Team => "team",
    };
    let from = match door {
        Door::Native => "",
        Door::Browser => ", from a browser",
    };
    let detail = format!(
        "enrolled with the {kind} as {} ({}){from}",
        p.role.name(),
        p.name
    );
    let pid = p.id.clone();
    share.audit(&pid, "join", detail);
    tracing::info!(share = %who.share_id, participant = %who.participant_id, role = who.role.name(), ?door, "enrolled a collaborator");
    let whoami = pb::WhoamiResponse {
        share_id: share.id.clone(),
        session_id: share.session.0.clone(),
        session_name: share.session_name.clone(),
        participant_id: who.participant_id.clone(),
        name: who.name.clone(),
        email: who.email.clone(),
        role: who.role.to_pb() as i32,
        owner_name: String::new(),
    };
    drop(st);
    shares.bump();
    Ok((issued.credential, whoami))
}

/// Whom a secret names in a share.
#[derive(Clone, Copy)]
enum Named {
    /// The invitation of the share's participant at this position.
    Invitation(usize),
    /// The share's link, with the role it gives.
    Link(Role),
}

/// Whom `secret` names in share `share_id` — an invitation (good once), else
/// the share's link (while the share has room) — or the refusal a joiner
/// gets, the same whatever is wrong with a share id or secret. What the
/// owner should know of (a used invitation presented again, a full share)
/// goes into the audit log; `name` is the joiner's, if they gave one.
fn named<'s>(
    st: &'s mut State,
    share_id: &str,
    secret: &str,
    name: &str,
    limits: &ShareLimits,
) -> Result<(&'s mut Share, Named), Status> {
    if st.revocations.revoked.shares.contains(share_id) {
        return Err(refused_link());
    }
    let share = st.share_mut(share_id).ok_or_else(refused_link)?;
    // An invitation's secret first (good once), then the link's.
    let invited = share.participants.iter().position(|p| match &p.via {
        Via::Invite { secret: s, .. } => s.matches(secret),
        _ => false,
    });
    if let Some(i) = invited {
        let p = &share.participants[i];
        if p.removed {
            return Err(Status::permission_denied(
                "the owner withdrew this invitation",
            ));
        }
        if matches!(p.via, Via::Invite { used: true, .. }) {
            let id = p.id.clone();
            share.audit_repeat(
                &id,
                "refused",
                "a used invitation was presented again".to_owned(),
            );
            return Err(Status::permission_denied(
                "this invitation has already been used: an invitation link works once — \
                 ask the owner for a new one",
            ));
        }
        return Ok((share, Named::Invitation(i)));
    }
    let (Some(role), Some(hash)) = (share.link_role, &share.link_secret) else {
        return Err(refused_link());
    };
    if !hash.matches(secret) {
        return Err(refused_link());
    }
    if share.active_participants() >= limits.max_participants {
        let who = if name.is_empty() { "a joiner" } else { name };
        share.audit_repeat("", "limit", format!("{who} refused: the share is full"));
        return Err(Status::resource_exhausted(format!(
            "this share already has {}, its limit",
            wrapd_common::human::count(limits.max_participants as u64, "participant")
        )));
    }
    Ok((share, Named::Link(role)))
}

/// What a link asks of its joiner before they join: known before the secret
/// is traded for a credential, so that a page asks only for what the link
/// does not fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asks {
    /// The secret is an invitation's (it fixes the email; it works once).
    pub invitation: bool,
    /// The role joining gives.
    pub role: Role,
    /// The joiner is asked for a display name (an invitation with a name
    /// fixes that too).
    pub name: bool,
    /// The joiner is asked for an email: a link's joiners, as the native
    /// client sends one (optional: it proves nothing, but the owner sees it
    /// and can name them by it in `access`); an invitation fixes it.
    pub email: bool,
}

/// What joining share `share_id` with `secret` asks of the joiner, or the
/// refusal enrolling would meet now (the same refusals, audited alike).
/// Tells nothing that enrolling with the secret would not: not who was
/// invited, nor anything of the share.
pub fn asks(shares: &Shares, share_id: &str, secret: &str) -> Result<Asks, Status> {
    let limits = shares.limits();
    let mut st = shares.lock();
    let (share, named) = named(&mut st, share_id, secret, "", &limits)?;
    Ok(match named {
        Named::Invitation(i) => {
            let p = &share.participants[i];
            Asks {
                invitation: true,
                role: p.role,
                name: p.name.is_empty(),
                email: false,
            }
        }
        Named::Link(role) => Asks {
            invitation: false,
            role,
            name: true,
            email: true,
        },
    })
}

/// Who collaborator `c` is now, as the live list says (the owner may have
/// changed their role since they enrolled); the owner's name is the caller's
/// to add.
pub fn whoami(shares: &Shares, c: &Collab) -> Result<pb::WhoamiResponse, Status> {
    let st = shares.lock();
    let share = st
        .share(&c.share_id)
        .ok_or_else(|| Status::permission_denied("the owner stopped sharing this session"))?;
    let p = share
        .participant(&c.participant_id)
        .ok_or_else(|| Status::permission_denied("you are not a participant of this share"))?;
    Ok(pb::WhoamiResponse {
        share_id: share.id.clone(),
        session_id: share.session.0.clone(),
        session_name: share.session_name.clone(),
        participant_id: p.id.clone(),
        name: p.name.clone(),
        email: p.email.clone(),
        role: p.role.to_pb() as i32,
        owner_name: String::new(),
    })
}

/// Printable, trimmed, bounded.
fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// The one refusal for a share or secret that is wrong, whichever it is.
fn refused_link() -> Status {
    Status::permission_denied(
        "this share link is not valid (any more): the owner stopped sharing, turned the link \
         off or gave you a different one — ask them for a new link",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::SessionId;
    use crate::share::Role;
    use crate::share::secret::SecretHash;
    use crate::share::state::{Share, ShareLimits};
    use crate::share::store::RevocationStore;

    fn shares_with_link(max_participants: usize) -> Shares {
        let shares = Shares::new(
            RevocationStore::in_memory(),
            ShareLimits {
                max_participants,
                max_session_bytes: u64::MAX,
                max_daily_bytes: u64::MAX,
            },
        );
        let mut share = Share::new("s1".into(), SessionId("x".into()), "x".into(), 0, 0);
        share.link_role = Some(Role::Viewer);
        share.link_secret = Some(SecretHash::of("link"));
        share.add_participant(
            "",
            "ada@x.org",
            Role::Editor,
            Via::Invite {
                secret: SecretHash::of("invite"),
                used: false,
            },
        );
        shares.insert(share);
        shares
    }

    fn joiner(secret: &str) -> Joiner {
        Joiner {
            share_id: "s1".into(),
            secret: secret.into(),
            name: "Bob\u{7}".into(),
            email: "bob@x.org".into(),
        }
    }

    fn issue(serial: &str) -> impl FnOnce(&CertIdentity) -> Result<Issued<String>, Status> {
        let serial = serial.to_owned();
        move |who| {
            Ok(Issued {
                credential: who.participant_id.clone(),
                serial,
            })
        }
    }

    #[test]
    fn a_link_adds_a_participant_and_an_invitation_works_once_through_either_door() {
        let shares = shares_with_link(10);
        let (pid, who) = enroll(&shares, &joiner("link"), Door::Browser, issue("w1")).unwrap();
        assert_eq!(
            (who.name.as_str(), who.role),
            ("Bob", pb::Role::Viewer as i32)
        );
        let (inv, who) = enroll(&shares, &joiner("invite"), Door::Native, issue("c1")).unwrap();
        // The invitation fixes the email and the role.
        assert_eq!(who.email, "ada@x.org");
        assert_eq!(who.role, pb::Role::Editor as i32);
        let e = enroll(&shares, &joiner("invite"), Door::Browser, issue("w2"))
            .err()
            .unwrap();
        assert!(e.message().contains("already been used"), "{e:?}");
        let st = shares.lock();
        let share = st.share("s1").unwrap();
        assert_eq!(share.participant(&pid).unwrap().serials, ["w1"]);
        assert_eq!(share.participant(&inv).unwrap().serials, ["c1"]);
        let joins: Vec<String> = share
            .audit
            .entries()
            .into_iter()
            .filter(|e| e.action == "join")
            .map(|e| e.detail)
            .collect();
        assert!(joins[0].ends_with("from a browser"), "{joins:?}");
        assert!(!joins[1].contains("browser"), "{joins:?}");
    }

    #[test]
    fn a_wrong_secret_or_a_failed_issue_changes_nothing() {
        let shares = shares_with_link(10);
        let e = enroll(&shares, &joiner("nope"), Door::Browser, issue("w1"))
            .err()
            .unwrap();
        assert_eq!(e.code(), tonic::Code::PermissionDenied);
        let failed =
            |_: &CertIdentity| -> Result<Issued<String>, Status> { Err(Status::internal("no")) };
        assert!(enroll(&shares, &joiner("link"), Door::Browser, failed).is_err());
        let st = shares.lock();
        assert_eq!(st.share("s1").unwrap().participants.len(), 1);
    }

    #[test]
    fn what_a_link_asks_is_known_before_joining_and_only_with_its_secret() {
        let shares = shares_with_link(10);
        let link = asks(&shares, "s1", "link").unwrap();
        assert!(!link.invitation && link.name && link.email);
        assert_eq!(link.role, Role::Viewer);
        let invite = asks(&shares, "s1", "invite").unwrap();
        assert!(invite.invitation && invite.name && !invite.email);
        assert_eq!(invite.role, Role::Editor);
        // Asking changes nothing: the invitation still works, once.
        enroll(&shares, &joiner("invite"), Door::Browser, issue("w1")).unwrap();
        let used = asks(&shares, "s1", "invite").unwrap_err();
        assert!(used.message().contains("already been used"), "{used:?}");
        // A wrong secret or share: the one refusal, as enrolling gives.
        for (share, secret) in [("s1", "nope"), ("s2", "link")] {
            let e = asks(&shares, share, secret).unwrap_err();
            assert_eq!(e.message(), refused_link().message());
        }
    }

    #[test]
    fn a_full_share_refuses_a_link_joiner() {
        let shares = shares_with_link(1);
        let e = enroll(&shares, &joiner("link"), Door::Browser, issue("w1"))
            .err()
            .unwrap();
        assert_eq!(e.code(), tonic::Code::ResourceExhausted);
    }
}
