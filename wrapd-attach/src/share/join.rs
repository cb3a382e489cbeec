//! `wrapd-attach wrapd://…`: join a shared session.
//!
//! 1. A certificate: the one stored for this share if it is still valid,
//!    else enroll (a fresh P-256 key, a CSR, the link's secret), else — a
//!    team link — the team identity from the config.
//! 2. A mutual-TLS channel to the daemon that trusts only the pinned CA.
//! 3. `Whoami`, then attach to the shared session as what we are.

use anyhow::{Context, Result, anyhow, bail};
use tonic::transport::Channel;
use wrapd_proto::link::ShareLink;
use wrapd_proto::pb;
use wrapd_proto::pb::share_client::ShareClient;

use super::store::{self, JoinedShare};
use super::tls::{self, ClientIdentity, Target};
use wrapd_common::config::{Config, IdentityConfig};

use crate::attach::{self, AttachOptions, Outcome, ShareSide};
use crate::connect;
use crate::ssh::SshHost;

/// What the command line says about joining.
#[derive(Debug, Clone, Default)]
pub struct JoinArgs {
    pub link: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub via: Option<String>,
    pub read_only: bool,
}

/// A connection to a share, ready to attach.
pub struct Joined {
    pub channel: Channel,
    pub whoami: pb::WhoamiResponse,
}

pub async fn run(args: JoinArgs, config: &Config) -> Result<Outcome> {
    let joined = join(&args, config).await?;
    let who = &joined.whoami;
    let opts = AttachOptions {
        target: who.session_id.clone(),
        read_only: args.read_only,
        create: None,
        share: ShareSide::Collaborator {
            client: ShareClient::new(joined.channel.clone()),
            label: format!("shared by {}", who.owner_name),
        },
    };
    attach::run(connect::client(joined.channel), opts, &config.client).await
}

/// Get a certificate (stored or new), connect with it and ask who we are.
pub async fn join(args: &JoinArgs, config: &Config) -> Result<Joined> {
    join_storing_in(args, config, &store::data_dir()).await
}

/// [`join`], keeping the certificate under `data_dir` instead of
/// `$XDG_DATA_HOME/wrapd` (one process joining as several participants: the
/// benchmark's viewers).
pub async fn join_storing_in(
    args: &JoinArgs,
    config: &Config,
    data_dir: &std::path::Path,
) -> Result<Joined> {
    let link = ShareLink::parse(&args.link)?;
    let via = match args.via.as_deref().or(link.via.as_deref()) {
        Some(v) => Some(
            v.parse::<SshHost>()
                .map_err(|e| anyhow!("--via: {e} (expected [user@]host[:port])"))?,
        ),
        None => None,
    };
    let base = Target {
        addr: link.addr.clone(),
        via,
        pin: link.ca_sha256.clone(),
        known_ca_pem: None,
        identity: None,
    };
    for dir in store::prune_expired(data_dir) {
        tracing::debug!("removed {}: its certificate has expired", dir.display());
    }
    let joined = JoinedShare::under(data_dir, &link);
    let stored = joined
        .load()
        .filter(|s| s.is_current() && ca_matches(&s.ca_pem, &link.ca_sha256));

    if let Some(stored) = stored {
        let target = Target {
            known_ca_pem: Some(stored.ca_pem.clone()),
            identity: Some(stored.identity.clone()),
            ..base.clone()
        };
        match connect_and_ask(target).await {
            Ok(j) => return Ok(j),
            // The stored certificate is refused: a link's secret may still
            // enroll again (an invitation's cannot).
            Err(e) if link.secret.is_none() => return Err(e),
            Err(e) => tracing::debug!("stored certificate refused ({e:#}); enrolling again"),
        }
    }

    let (identity, known_ca) = match &link.secret {
        Some(secret) => {
            let e = enroll(&base, &link, secret, args, &config.identity).await?;
            joined.save(&e.identity.key_pem, &e.identity.certificate_pem, &e.ca_pem)?;
            (e.identity, Some(e.ca_pem))
        }
        None if link.team => (team_identity(&config.identity)?, None),
        None => bail!("{SECRETLESS_LINK}"),
    };
    connect_and_ask(Target {
        known_ca_pem: known_ca,
        identity: Some(identity),
        ..base
    })
    .await
}

fn ca_matches(ca_pem: &str, pin: &str) -> bool {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    CertificateDer::from_pem_slice(ca_pem.as_bytes()).is_ok_and(|der| tls::fingerprint(&der) == pin)
}

async fn connect_and_ask(target: Target) -> Result<Joined> {
    let channel = tls::channel(target).await?;
    let whoami = ShareClient::new(channel.clone())
        .whoami(pb::WhoamiRequest {})
        .await
        .map_err(|s| {
            anyhow!(
                "{}",
                tls::certificate_refused(&s).unwrap_or_else(|| connect::status_message(&s))
            )
        })?
        .into_inner();
    Ok(Joined { channel, whoami })
}

struct Enrolled {
    identity: ClientIdentity,
    ca_pem: String,
}

/// A new key pair and a certificate for it from the daemon's CA.
async fn enroll(
    base: &Target,
    link: &ShareLink,
    secret: &str,
    args: &JoinArgs,
    config: &IdentityConfig,
) -> Result<Enrolled> {
    let (name, email) = who_am_i(args, config);
    let key = rcgen::KeyPair::generate().context("making a key pair")?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name.clone());
    let csr = params
        .serialize_request(&key)
        .context("making a certificate request")?;
    let channel = tls::channel(base.clone()).await?;
    let reply = ShareClient::new(channel)
        .enroll(pb::EnrollRequest {
            share_id: link.share_id.clone(),
            secret: secret.to_owned(),
            csr_der: csr.der().to_vec(),
            name,
            email,
        })
        .await
        .map_err(|s| {
            anyhow!(
                "the daemon refused to enroll us: {}",
                connect::status_message(&s)
            )
        })?
        .into_inner();
    if !ca_matches(&reply.ca_pem, &link.ca_sha256) {
        bail!("{}", tls::PIN_MISMATCH);
    }
    if store::not_after(&reply.certificate_pem).is_none() {
        bail!("the daemon sent a certificate that cannot be read");
    }
    Ok(Enrolled {
        identity: ClientIdentity {
            certificate_pem: reply.certificate_pem,
            key_pem: key.serialize_pem(),
        },
        ca_pem: reply.ca_pem,
    })
}

/// Name and email: flags, else the config, else login name and LOGIN@HOST.
pub fn who_am_i(args: &JoinArgs, config: &IdentityConfig) -> (String, String) {
    let name = args
        .name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| config.display_name());
    let email = args
        .email
        .clone()
        .filter(|e| !e.trim().is_empty())
        .or_else(|| Some(config.email.clone()).filter(|e| !e.is_empty()))
        .unwrap_or_else(|| {
            let login = nix::unistd::User::from_uid(nix::unistd::getuid())
                .ok()
                .flatten()
                .map_or_else(|| "user".to_owned(), |u| u.name);
            let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
                .map(|h| h.trim().to_owned())
                .unwrap_or_else(|_| "localhost".to_owned());
            format!("{login}@{host}")
        });
    (name, email)
}

/// Joining with a link that is neither a team link nor has its secret.
const SECRETLESS_LINK: &str = "this link has no secret (the part after `#`): it is a link as \
     `wrapd-attach share ls` lists it, which cannot let you in. Ask the owner for the whole \
     link, as it was shown when they made it; if they no longer have it, they can make a new \
     one with `wrapd-attach access -t SESSION --link viewer` (the old one then stops working), \
     or invite you with `wrapd-attach access -t SESSION --invite YOUR_EMAIL`";

/// The team identity the config names (`[identity] certificate`, `key`).
fn team_identity(config: &IdentityConfig) -> Result<ClientIdentity> {
    if config.certificate.as_os_str().is_empty() || config.key.as_os_str().is_empty() {
        bail!(
            "this is a team link: set `[identity] certificate` and `key` \
             in the config to your team identity (made by `wrapd-muxd team issue EMAIL`)"
        );
    }
    let read = |p: &std::path::Path| {
        std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))
    };
    Ok(ClientIdentity {
        certificate_pem: read(&config.certificate)?,
        key_pem: read(&config.key)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_and_email_come_from_flags_then_config_then_login() {
        let config = IdentityConfig {
            name: "Ada".into(),
            email: "ada@example.org".into(),
            ..Default::default()
        };
        let flags = JoinArgs {
            name: Some("Bob".into()),
            email: Some("bob@example.org".into()),
            ..Default::default()
        };
        assert_eq!(
            who_am_i(&flags, &config),
            ("Bob".into(), "bob@example.org".into())
        );
        assert_eq!(
            who_am_i(&JoinArgs::default(), &config),
            ("Ada".into(), "ada@example.org".into())
        );
        let (name, email) = who_am_i(&JoinArgs::default(), &IdentityConfig::default());
        assert!(!name.is_empty());
        assert!(email.contains('@'), "{email}");
    }

    #[test]
    fn a_team_link_without_a_team_identity_says_what_to_set() {
        let e = team_identity(&IdentityConfig::default()).unwrap_err();
        assert!(e.to_string().contains("[identity] certificate"), "{e}");
    }
}
