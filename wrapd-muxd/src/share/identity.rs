//! Who a certificate says its holder is.
//!
//! A certificate the daemon's CA issues at enrollment names its holder (CN:
//! display name, an email SAN) and carries one URI SAN,
//! `wrapd:share/SHARE/participant/ID/role/ROLE`: the share it belongs to, the
//! participant and the role it was issued for. A team member's certificate
//! (from a trusted team CA) has a name and an email, and no such URI.

use std::time::SystemTime;

use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use super::Role;

const URI_PREFIX: &str = "wrapd:share/";

/// What the daemon writes into a collaborator's certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertIdentity {
    pub share_id: String,
    pub participant_id: String,
    pub role: Role,
    pub name: String,
    pub email: String,
}

impl CertIdentity {
    pub fn uri(&self) -> String {
        format!(
            "{URI_PREFIX}{}/participant/{}/role/{}",
            self.share_id,
            self.participant_id,
            self.role.name()
        )
    }
}

/// The parts of a verified peer certificate the daemon uses.
#[derive(Debug, Clone)]
pub struct PeerCert {
    /// Lower-case hex of the serial number (what revocations list).
    pub serial: String,
    pub name: String,
    pub email: String,
    /// `(share, participant, role)` from the URI SAN, if any.
    pub share: Option<(String, String, Role)>,
    pub not_after: SystemTime,
}

impl PeerCert {
    /// Read a certificate (already verified by the TLS layer).
    pub fn parse(der: &[u8]) -> Option<PeerCert> {
        let (_, cert) = X509Certificate::from_der(der).ok()?;
        let name = cert
            .subject()
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .unwrap_or_default()
            .to_owned();
        let mut email = String::new();
        let mut share = None;
        if let Ok(Some(san)) = cert.subject_alternative_name() {
            for n in &san.value.general_names {
                match n {
                    GeneralName::RFC822Name(e) => email = (*e).to_owned(),
                    GeneralName::URI(u) => share = share.or_else(|| parse_uri(u)),
                    _ => {}
                }
            }
        }
        let secs = cert.validity().not_after.timestamp().max(0) as u64;
        Some(PeerCert {
            serial: super::ca::hex(cert.raw_serial()),
            name,
            email,
            share,
            not_after: SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs),
        })
    }
}

fn parse_uri(uri: &str) -> Option<(String, String, Role)> {
    let rest = uri.strip_prefix(URI_PREFIX)?;
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.as_slice() {
        [share, "participant", id, "role", role] => {
            Some(((*share).to_owned(), (*id).to_owned(), Role::parse(role)?))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_round_trips() {
        let id = CertIdentity {
            share_id: "abc".into(),
            participant_id: "p3".into(),
            role: Role::Editor,
            name: "Ada".into(),
            email: "ada@example.org".into(),
        };
        assert_eq!(
            parse_uri(&id.uri()),
            Some(("abc".into(), "p3".into(), Role::Editor))
        );
        assert_eq!(parse_uri("wrapd:share/abc/participant/p3/role/god"), None);
        assert_eq!(parse_uri("https://example.org"), None);
    }
}
