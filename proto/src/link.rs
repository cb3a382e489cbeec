//! Share links: `wrapd://HOST:PORT/s/SHARE_ID?ca=sha256:HEX[&via=DEST]#SECRET`,
//! and team links: `…?ca=sha256:HEX[&via=DEST]&team=1` (no secret).
//!
//! The daemon formats them, the client parses them; both use this one type.
//! The secret sits in the fragment (never sent anywhere but to `Enroll`); a team
//! link has none, and says it is one — so a link that lost its secret (as
//! `share ls` prints links) is told apart from it. See `share.proto` for what
//! each part means.

use std::fmt;

use crate::percent::{percent_decode, percent_encode};

pub const SCHEME: &str = "wrapd://";
/// The DNS name every daemon's TLS certificate carries, and that clients
/// verify, whatever address they reach the daemon at.
pub const SERVER_NAME: &str = "wrapd-muxd";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareLink {
    /// `host:port` (IPv6 hosts in brackets).
    pub addr: String,
    pub share_id: String,
    /// SHA-256 of the CA certificate (DER), 64 lower-case hex digits.
    pub ca_sha256: String,
    /// `[user@]host[:port]` to reach `addr` through `ssh -W`.
    pub via: Option<String>,
    pub secret: Option<String>,
    /// Team members join with their team identity (`team=1`).
    pub team: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a wrapd share link: {0}")]
pub struct LinkError(String);

fn bad(why: impl Into<String>) -> LinkError {
    LinkError(why.into())
}

impl ShareLink {
    pub fn looks_like_link(s: &str) -> bool {
        s.starts_with(SCHEME)
    }

    pub fn parse(s: &str) -> Result<ShareLink, LinkError> {
        let rest = s
            .strip_prefix(SCHEME)
            .ok_or_else(|| bad(format!("it does not start with {SCHEME}")))?;
        let (rest, secret) = match rest.split_once('#') {
            Some((r, f)) => (r, Some(f.to_owned()).filter(|f| !f.is_empty())),
            None => (rest, None),
        };
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (addr, path) = rest
            .split_once('/')
            .ok_or_else(|| bad("it has no /s/SHARE_ID path"))?;
        if addr.is_empty() || !addr.contains(':') {
            return Err(bad("it has no HOST:PORT"));
        }
        let share_id = path
            .strip_prefix("s/")
            .filter(|id| !id.is_empty() && !id.contains('/'))
            .ok_or_else(|| bad("its path is not /s/SHARE_ID"))?
            .to_owned();
        let mut ca = None;
        let mut via = None;
        let mut team = false;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("ca", v)) => ca = Some(v),
                Some(("via", v)) if !v.is_empty() => via = Some(percent_decode(v)),
                Some(("team", v)) => team = v == "1",
                // Later versions may add parameters: ignore what we do not know.
                _ => {}
            }
        }
        let ca = ca.ok_or_else(|| bad("it has no ca=sha256:… pin"))?;
        let hex = ca
            .strip_prefix("sha256:")
            .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| bad("its ca= pin is not sha256: and 64 hex digits"))?;
        Ok(ShareLink {
            addr: addr.to_owned(),
            share_id,
            ca_sha256: hex.to_ascii_lowercase(),
            via,
            secret,
            team,
        })
    }
}

impl fmt::Display for ShareLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{SCHEME}{}/s/{}?ca=sha256:{}",
            self.addr, self.share_id, self.ca_sha256
        )?;
        if let Some(via) = &self.via {
            write!(f, "&via={}", percent_encode(via))?;
        }
        if self.team {
            write!(f, "&team=1")?;
        }
        if let Some(secret) = &self.secret {
            write!(f, "#{secret}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PIN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn round_trips() {
        let link = ShareLink {
            addr: "example.org:7443".into(),
            share_id: "k3j4h5".into(),
            ca_sha256: PIN.into(),
            via: Some("me@jump host:2222".into()),
            secret: Some("s3cr3t".into()),
            team: false,
        };
        let text = link.to_string();
        assert_eq!(
            text,
            format!(
                "wrapd://example.org:7443/s/k3j4h5?ca=sha256:{PIN}&via=me@jump%20host:2222#s3cr3t"
            )
        );
        assert_eq!(ShareLink::parse(&text).unwrap(), link);
    }

    #[test]
    fn team_links_say_so_and_have_no_secret() {
        let text = format!("wrapd://[::1]:7443/s/x?ca=sha256:{PIN}&team=1");
        let link = ShareLink::parse(&text).unwrap();
        assert_eq!(link.addr, "[::1]:7443");
        assert_eq!((link.secret, link.via, link.team), (None, None, true));
        assert_eq!(ShareLink::parse(&text).unwrap().to_string(), text);
        // A link without its secret is not a team link.
        let bare = ShareLink::parse(&format!("wrapd://[::1]:7443/s/x?ca=sha256:{PIN}")).unwrap();
        assert_eq!((bare.secret, bare.team), (None, false));
    }

    #[test]
    fn bad_links_say_why() {
        for (text, why) in [
            ("http://x:1/s/a?ca=sha256:00", "does not start"),
            ("wrapd://x:1?ca=sha256:00", "no /s/SHARE_ID"),
            ("wrapd://x/s/a?ca=sha256:00", "no HOST:PORT"),
            ("wrapd://x:1/t/a?ca=sha256:00", "not /s/SHARE_ID"),
            ("wrapd://x:1/s/a#sec", "no ca="),
            ("wrapd://x:1/s/a?ca=md5:00#sec", "not sha256:"),
            ("wrapd://x:1/s/a?ca=sha256:0011#sec", "64 hex"),
        ] {
            let err = ShareLink::parse(text).unwrap_err().to_string();
            assert!(err.contains(why), "{text}: {err}");
        }
    }
}
