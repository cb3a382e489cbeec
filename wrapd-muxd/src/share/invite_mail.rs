//! Emailing an invitation through the relay in `[mail]` (SMTP, via lettre
//! over tokio and rustls).
//!
//! The daemon sends it, not the owner's client: the relay's password stays
//! with the daemon. A failure is returned as a sentence for the owner; the
//! invitation itself is made either way (its link is shown to the owner).

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use wrapd_common::config::{Config, MailConfig, MailSecurity};
use wrapd_proto::pb;

use crate::share::Role;
use crate::share::presence::Owner;

/// How long one mail may take (connecting, TLS, sending) before it is a failure.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// What an invitation mail says.
pub struct Invitation<'a> {
    pub to: &'a str,
    pub owner_name: &'a str,
    pub owner_email: &'a str,
    pub session_name: &'a str,
    pub role: Role,
    /// The `wrapd://` link, with its secret.
    pub url: &'a str,
    /// The same link for a browser, when the daemon serves browsers
    /// (`[share] web_listen`); empty otherwise.
    pub web_url: &'a str,
    /// How long access lasts once they joined (`share.cert_validity`).
    pub access_for: &'a str,
}

impl Invitation<'_> {
    pub fn subject(&self) -> String {
        format!(
            "{} invites you to the terminal session \"{}\"",
            self.owner_name, self.session_name
        )
    }

    pub fn body(&self) -> String {
        let who = if self.owner_email.is_empty() {
            self.owner_name.to_owned()
        } else {
            format!("{} <{}>", self.owner_name, self.owner_email)
        };
        let role = match self.role {
            Role::Editor => "an editor: you see the session and can type in it",
            _ => "a viewer: you see the session as it happens (you can ask for control)",
        };
        let browser = if self.web_url.is_empty() {
            String::new()
        } else {
            format!("\nOr open it in a browser:\n\n    {}\n", self.web_url)
        };
        format!(
            "{who} invites you to their terminal session \"{session}\", shared with wrapd,\n\
             as {role}.\n\
             \n\
             To join, run:\n\
             \n\
             \x20   wrapd-attach '{url}'\n\
             {browser}\
             \n\
             This link is for you ({to}) alone and works once: the first join with it\n\
             gives you a certificate, which this wrapd-attach keeps and uses to join again.\n\
             It expires when {owner} stops sharing the session or removes you; your access\n\
             lasts {access_for} from when you join. If it has expired, ask {owner} for a\n\
             new invitation.\n",
            session = self.session_name,
            url = self.url,
            to = self.to,
            owner = self.owner_name,
            access_for = self.access_for,
        )
    }
}

/// Email each new invitation among `info.links` (the links a change just
/// made) and note on each link whether it was sent, so the owner is told.
pub async fn mail_new_invitations(config: &Config, owner: &Owner, info: &mut pb::ShareInfo) {
    let access_for = config.share.cert_validity.to_string();
    for link in info
        .links
        .iter_mut()
        .filter(|l| l.kind != "link" && l.kind != "team" && l.url.contains('#'))
    {
        if !config.mail.enabled() {
            link.mail = pb::InviteMail::NotConfigured as i32;
            continue;
        }
        let inv = Invitation {
            to: &link.kind,
            owner_name: &owner.name,
            owner_email: &owner.email,
            session_name: &info.session_name,
            role: Role::from_pb(link.role)
                .ok()
                .flatten()
                .unwrap_or(Role::Viewer),
            url: &link.url,
            web_url: &link.web_url,
            access_for: &access_for,
        };
        match send(&config.mail, &inv).await {
            Ok(()) => {
                tracing::info!(to = %link.kind, share = %info.share_id, "invitation mailed");
                link.mail = pb::InviteMail::Sent as i32;
            }
            Err(e) => {
                tracing::warn!(to = %link.kind, share = %info.share_id, error = %e, "invitation not mailed");
                link.mail = pb::InviteMail::Failed as i32;
                link.mail_error = e;
            }
        }
    }
}

/// Send `inv` through the relay in `config`; `Err` says why not.
pub async fn send(config: &MailConfig, inv: &Invitation<'_>) -> Result<(), String> {
    let from: Mailbox = config
        .from
        .parse()
        .map_err(|e| format!("mail.from `{}` is not an address: {e}", config.from))?;
    let to: Mailbox = inv
        .to
        .parse()
        .map_err(|e| format!("`{}` is not an address mail can go to: {e}", inv.to))?;
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(inv.subject())
        .header(ContentType::TEXT_PLAIN)
        .body(inv.body())
        .map_err(|e| format!("cannot write the mail: {e}"))?;
    let transport = transport(config)?;
    match tokio::time::timeout(SEND_TIMEOUT, transport.send(message)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(format!(
            "the relay {}:{} did not take it: {}",
            config.host,
            config.port,
            error_chain(&e)
        )),
        Err(_) => Err(format!(
            "the relay {}:{} did not answer within {}s",
            config.host,
            config.port,
            SEND_TIMEOUT.as_secs()
        )),
    }
}

fn transport(config: &MailConfig) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let host = config.host.as_str();
    let bad_host = |e: lettre::transport::smtp::Error| format!("mail.host `{host}`: {e}");
    let builder = match config.security {
        MailSecurity::Starttls => {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host).map_err(bad_host)?
        }
        MailSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host).map_err(bad_host)?,
        // Loopback only (`MailConfig::check`).
        MailSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
    };
    let mut builder = builder.port(config.port).timeout(Some(SEND_TIMEOUT));
    if let Some(password) = config.password()? {
        builder = builder.credentials(Credentials::new(config.username.clone(), password));
    }
    Ok(builder.build())
}

/// An error and its causes, `: `-joined (lettre's Display omits the cause).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(&format!(": {s}"));
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mail_says_who_what_which_role_how_and_until_when() {
        let inv = Invitation {
            to: "ada@example.org",
            owner_name: "Owen",
            owner_email: "owen@example.org",
            session_name: "work",
            role: Role::Editor,
            url: "wrapd://h:7443/s/S?ca=sha256:P#SECRET",
            web_url: "",
            access_for: "24h",
        };
        assert_eq!(
            inv.subject(),
            "Owen invites you to the terminal session \"work\""
        );
        let body = inv.body();
        for wanted in [
            "Owen <owen@example.org> invites you",
            "\"work\"",
            "as an editor",
            "wrapd-attach 'wrapd://h:7443/s/S?ca=sha256:P#SECRET'",
            "works once",
            "expires when Owen stops sharing",
            "lasts 24h",
        ] {
            assert!(body.contains(wanted), "{wanted:?} missing from:\n{body}");
        }
        assert!(
            !body.contains("browser"),
            "no web link, no browser line:\n{body}"
        );

        let web = Invitation {
            web_url: "https://h/s/S/#SECRET",
            ..inv
        };
        let body = web.body();
        assert!(
            body.contains("Or open it in a browser:\n\n    https://h/s/S/#SECRET\n"),
            "{body}"
        );
    }
}
