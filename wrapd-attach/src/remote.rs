//! `wrapd-attach ssh://[user@]host[:port][/session]`: attach as the owner to
//! your own sessions on another machine. `ssh` runs `wrapd-muxd bridge` there,
//! which connects to that machine's daemon (starting it if needed); the gRPC
//! connection runs over ssh's stdin/stdout.

use std::str::FromStr;

use anyhow::Result;
use wrapd_common::bridge::GREETING;

use crate::connect::{self, Client};
use crate::ssh::{Remote, SshHost, Tunnel};

/// What runs on the remote host (found on its PATH).
pub const REMOTE_PROGRAM: &str = "wrapd-muxd";

/// A parsed `ssh://` address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshUrl {
    pub host: SshHost,
    /// The session to attach to (created if missing); `None`: the most recent.
    pub session: Option<String>,
}

impl FromStr for SshUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<SshUrl, String> {
        let rest = s
            .strip_prefix("ssh://")
            .ok_or_else(|| format!("`{s}` does not start with ssh://"))?;
        let (host, session) = match rest.split_once('/') {
            Some((h, sess)) => (h, Some(sess.trim_end_matches('/'))),
            None => (rest, None),
        };
        Ok(SshUrl {
            host: host.parse()?,
            session: session.filter(|s| !s.is_empty()).map(str::to_owned),
        })
    }
}

/// Reach the daemon on `host` through ssh and the remote bridge (ssh runs
/// again whenever the connection breaks, so an attached client reconnects).
pub async fn connect(host: &SshHost) -> Result<Client> {
    let host = host.clone();
    connect::over_streams(move || {
        let host = host.clone();
        async move { bridge(&host).await.map_err(std::io::Error::other) }
    })
    .await
}

/// One ssh connection running the remote bridge, once it greets us.
async fn bridge(host: &SshHost) -> Result<Tunnel, crate::ssh::SshError> {
    let argv = vec![REMOTE_PROGRAM.to_owned(), "bridge".to_owned()];
    let mut tunnel = Tunnel::open(host, Remote::Run(argv))?;
    tunnel.expect(GREETING).await?;
    Ok(tunnel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse() {
        let u: SshUrl = "ssh://ada@box:2200/work".parse().unwrap();
        assert_eq!(u.host.to_string(), "ada@box:2200");
        assert_eq!(u.session.as_deref(), Some("work"));
        let u: SshUrl = "ssh://box/".parse().unwrap();
        assert_eq!(u.session, None);
        assert!("ssh://-oProxyCommand=evil/x".parse::<SshUrl>().is_err());
        assert!("wrapd://box".parse::<SshUrl>().is_err());
    }
}
