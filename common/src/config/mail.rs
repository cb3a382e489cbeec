//! `[mail]`: the SMTP relay the daemon emails invitations through.
//!
//! The password is never in the config file: it is read, when a mail is
//! sent, from `password_file` (which must be mode 0600) or from the
//! environment variable named by `password_env`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailSecurity {
    /// Plain SMTP upgraded with STARTTLS (port 587); fails if the relay
    /// does not offer it.
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only to a relay on this machine (a loopback host).
    None,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailConfig {
    /// The relay's host name; empty: invitations are not emailed.
    pub host: String,
    pub port: u16,
    pub security: MailSecurity,
    /// The sender address (`Name <addr>` or `addr`).
    pub from: String,
    /// The login at the relay; empty: no authentication.
    pub username: String,
    /// A file holding the password (mode 0600).
    pub password_file: PathBuf,
    /// The name of an environment variable holding the password.
    pub password_env: String,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            host: String::new(),
            port: 587,
            security: MailSecurity::Starttls,
            from: String::new(),
            username: String::new(),
            password_file: PathBuf::new(),
            password_env: String::new(),
        }
    }
}

impl MailConfig {
    /// Whether invitations are emailed at all.
    pub fn enabled(&self) -> bool {
        !self.host.is_empty()
    }

    /// Rules between settings: `(key, problem)` of the first one broken.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if !self.enabled() {
            return Ok(());
        }
        if self.from.trim().is_empty() {
            return Err((
                "mail.from",
                "is needed to send mail (the sender address)".into(),
            ));
        }
        if self.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err((
                "mail.from",
                format!("`{}` is not an email address", self.from),
            ));
        }
        if self.security == MailSecurity::None && !is_loopback(&self.host) {
            return Err((
                "mail.security",
                format!(
                    "`none` sends the password and invitation links in clear text: it is only \
                     allowed to a relay on this machine (localhost, 127.0.0.1, ::1), not `{}`; \
                     use `starttls` or `tls`",
                    self.host
                ),
            ));
        }
        let file = !self.password_file.as_os_str().is_empty();
        let env = !self.password_env.is_empty();
        if file && env {
            return Err((
                "mail.password_env",
                "set either password_file or password_env, not both".into(),
            ));
        }
        if (file || env) && self.username.is_empty() {
            return Err(("mail.username", "a password needs a username".into()));
        }
        if !self.username.is_empty() && !file && !env {
            return Err((
                "mail.username",
                "needs a password: set password_file (mode 0600) or password_env".into(),
            ));
        }
        Ok(())
    }

    /// The password, from its file or the environment; `None` without a login.
    pub fn password(&self) -> Result<Option<String>, String> {
        if !self.password_env.is_empty() {
            return std::env::var(&self.password_env).map(Some).map_err(|_| {
                format!(
                    "mail.password_env names `{}`, which is not set in the daemon's environment",
                    self.password_env
                )
            });
        }
        if self.password_file.as_os_str().is_empty() {
            return Ok(None);
        }
        read_secret_file(&self.password_file).map(Some)
    }
}

/// A password file's first line; refused unless only its owner can read it.
fn read_secret_file(path: &std::path::Path) -> Result<String, String> {
    use std::os::unix::fs::PermissionsExt;
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "{shown} is readable by others (mode {mode:o}): run `chmod 600 {shown}`"
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    let password = text.lines().next().unwrap_or("").to_owned();
    if password.is_empty() {
        return Err(format!(
            "{shown} is empty: put the password on its first line"
        ));
    }
    Ok(password)
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relay(host: &str, security: MailSecurity) -> MailConfig {
        MailConfig {
            host: host.into(),
            security,
            from: "wrapd <wrapd@example.org>".into(),
            ..MailConfig::default()
        }
    }

    #[test]
    fn clear_text_only_to_loopback() {
        for host in ["localhost", "127.0.0.1", "::1", "[::1]"] {
            assert_eq!(relay(host, MailSecurity::None).check(), Ok(()), "{host}");
        }
        let (key, why) = relay("smtp.example.org", MailSecurity::None)
            .check()
            .unwrap_err();
        assert_eq!(key, "mail.security");
        assert!(
            why.contains("only allowed to a relay on this machine"),
            "{why}"
        );
        assert_eq!(relay("smtp.example.org", MailSecurity::Tls).check(), Ok(()));
    }

    #[test]
    fn credentials_come_in_pairs_and_from_one_place() {
        let mut c = relay("smtp.example.org", MailSecurity::Starttls);
        c.username = "ada".into();
        assert_eq!(c.check().unwrap_err().0, "mail.username");
        c.password_env = "WRAPD_SMTP_PASSWORD".into();
        assert_eq!(c.check(), Ok(()));
        c.password_file = "/x".into();
        assert_eq!(c.check().unwrap_err().0, "mail.password_env");
        c.username.clear();
        c.password_env.clear();
        assert_eq!(c.check().unwrap_err().0, "mail.username");
    }

    #[test]
    fn a_sender_is_needed() {
        let mut c = relay("smtp.example.org", MailSecurity::Tls);
        c.from.clear();
        assert_eq!(c.check().unwrap_err().0, "mail.from");
        c.from = "not an address".into();
        assert_eq!(c.check().unwrap_err().0, "mail.from");
    }

    #[test]
    fn a_password_file_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("smtp-password");
        std::fs::write(&file, "s3cret\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let c = MailConfig {
            username: "ada".into(),
            password_file: file.clone(),
            ..relay("smtp.example.org", MailSecurity::Tls)
        };
        let e = c.password().unwrap_err();
        assert!(e.contains("chmod 600"), "{e}");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(c.password().unwrap().as_deref(), Some("s3cret"));
    }
}
