//! Sharing sessions with other people over mutual TLS.
//!
//! The owner starts shares on the Unix socket (`ShareAdmin`); collaborators
//! enroll on the TLS port (`Share.Enroll`: a link's secret and a certificate
//! request become a client certificate from the daemon's CA) and then use `Mux`
//! there, within what [`authz::authorize`] lets them.
//!
//! Layout:
//! - `ca`: the daemon's CA, server and client certificates, team CAs.
//! - `control`: a collaborator asks for control (either door).
//! - `credentials`: browsers' credentials (kept hashed), each standing for a
//!   certificate; handed over to a new binary with the rest of the state.
//! - `enroll`: a secret becomes a participant and their credential (either door).
//! - `identity`: what a certificate says about its holder.
//! - `port`: the share port, opened when the first share starts.
//! - `tls`: the share port's TLS (acceptor, deferred client verification, peer info).
//! - `state`: [`Shares`], the one owner of every share, participant and audit log.
//! - `audit`: a share's audit log in memory (bounded; repeats counted, not added).
//! - `audit_store`: the audit log on disk, readable after the share and the daemon.
//! - `presence`: participants as the wire shows them; share infos.
//! - `authz`: who the caller is and what they may do — the one place that decides.
//! - `filter`: nothing before a share's starting point reaches collaborators.
//! - `redact`: secrets masked in what collaborators receive.
//! - `store`: revocations kept across restarts.
//! - `secret`: random secrets, stored hashed.
//! - `team`: `wrapd-muxd team init|issue` (a team CA and member identities).
//! - `invite_mail`: invitations emailed through the `[mail]` relay.

pub mod audit;
pub mod audit_store;
pub mod authz;
pub mod ca;
pub mod control;
pub mod credentials;
pub mod enroll;
pub mod filter;
pub mod identity;
pub mod invite_mail;
pub mod port;
pub mod presence;
pub mod redact;
pub mod secret;
pub mod state;
pub mod store;
pub mod team;
pub mod tls;

pub use state::Shares;

use wrapd_proto::pb;

/// A collaborator's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Viewer,
    Editor,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "editor" => Some(Role::Editor),
            _ => None,
        }
    }

    /// From the wire: UNSPECIFIED is `None` ("off"); OWNER is not a
    /// collaborator's role.
    pub fn from_pb(r: i32) -> Result<Option<Role>, tonic::Status> {
        match pb::Role::try_from(r) {
            Ok(pb::Role::Unspecified) => Ok(None),
            Ok(pb::Role::Viewer) => Ok(Some(Role::Viewer)),
            Ok(pb::Role::Editor) => Ok(Some(Role::Editor)),
            _ => Err(tonic::Status::invalid_argument(format!(
                "role {r} is not viewer or editor"
            ))),
        }
    }

    pub fn to_pb(self) -> pb::Role {
        match self {
            Role::Viewer => pb::Role::Viewer,
            Role::Editor => pb::Role::Editor,
        }
    }
}

pub fn role_pb(r: Option<Role>) -> i32 {
    r.map_or(pb::Role::Unspecified, Role::to_pb) as i32
}

/// Participants' colours (0xRRGGBB), by join order; the owner has the first.
pub const PALETTE: [u32; 12] = [
    0x4e79a7, 0xf28e2b, 0x59a14f, 0xe15759, 0xb07aa1, 0x76b7b2, 0xedc948, 0xff9da7, 0x9c755f,
    0x17becf, 0xbcbd22, 0x8c564b,
];

/// One or two letters for an avatar: initials of the name, else of the email.
pub fn initials(name: &str, email: &str) -> String {
    let source = if name.trim().is_empty() { email } else { name };
    let words: Vec<&str> = source
        .split(|c: char| c.is_whitespace() || c == '.' || c == '@' || c == '_' || c == '-')
        .filter(|w| !w.is_empty())
        .collect();
    let first = |w: &str| {
        w.chars()
            .next()
            .map(|c| c.to_uppercase().to_string())
            .unwrap_or_default()
    };
    match words.as_slice() {
        [] => "?".to_owned(),
        [one] => one.chars().take(2).collect::<String>().to_uppercase(),
        [a, b, ..] if source == name => first(a) + &first(b),
        [a, ..] => first(a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avatar_initials() {
        assert_eq!(initials("Ada Lovelace", ""), "AL");
        assert_eq!(initials("ada", ""), "AD");
        assert_eq!(initials("", "grace.hopper@navy.mil"), "G");
        assert_eq!(initials("", ""), "?");
    }
}
