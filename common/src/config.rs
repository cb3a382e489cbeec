//! `$XDG_CONFIG_HOME/wrapd/config.toml`: one file for the daemon and the client.
//!
//! Every setting has a default (a missing file or section means all defaults);
//! unknown keys and bad values are errors that name the key and the line.
//! `wrapd-muxd config default` prints [`DEFAULT_TOML`], which parses to exactly
//! [`Config::default`] (a unit test makes sure).
//!
//! Each section is its own struct, so a new setting is one field, its default
//! and its line in `config/default.toml`.
//!
//! - `keyname`: key names in tmux notation (the prefix, bindings).
//! - `bindings`: what keys after the prefix do.
//! - `mail`: the SMTP relay invitations are emailed through.
//! - `web_url`: the checked public address of the web door.

mod bindings;
mod keyname;
mod mail;
pub mod web_url;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};

pub use bindings::{Action, Bindings};
pub use keyname::{BadKeyName, Key, KeyName};
pub use mail::{MailConfig, MailSecurity};

use crate::paths;

/// The commented default config (`wrapd-muxd config default`).
pub const DEFAULT_TOML: &str = include_str!("config/default.toml");

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub daemon: DaemonConfig,
    pub limits: LimitsConfig,
    pub terminal: TerminalConfig,
    pub shell: ShellConfig,
    pub client: ClientConfig,
    pub share: ShareConfig,
    pub identity: IdentityConfig,
    pub mail: MailConfig,
}

/// Where the daemon listens locally.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DaemonConfig {
    /// The Unix socket; empty: `$XDG_RUNTIME_DIR/wrapd/muxd.sock` (see
    /// [`paths::socket_path`]). `$WRAPD_SOCKET` and `--socket` win over it.
    pub socket: PathBuf,
}

/// What one user's daemon allows, so that a runaway script cannot take the
/// machine down.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest message a client may send (a paste, a request), in bytes.
    #[serde(deserialize_with = "at_least::<65536, _>")]
    pub max_message_bytes: usize,
    /// Sessions one daemon runs at once.
    #[serde(deserialize_with = "at_least::<1, _>")]
    pub max_sessions: usize,
    /// Clients attached to one session at once.
    #[serde(deserialize_with = "at_least::<1, _>")]
    pub max_clients: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_message_bytes: 4 << 20,
            max_sessions: 256,
            max_clients: 64,
        }
    }
}

/// Settings of every session's terminal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TerminalConfig {
    /// Rows of history kept per session.
    pub scrollback_lines: usize,
    /// Bytes of history kept per session (of its compact form).
    #[serde(deserialize_with = "at_least::<4096, _>")]
    pub scrollback_bytes: usize,
}

impl Default for TerminalConfig {
    fn default() -> Self {
        TerminalConfig {
            scrollback_lines: 100_000,
            scrollback_bytes: 64 << 20,
        }
    }
}

/// Shell integration (prompt and command marks for blocks).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShellConfig {
    /// Inject the integration into bash, zsh and fish sessions.
    pub integration: bool,
}

impl Default for ShellConfig {
    fn default() -> Self {
        ShellConfig { integration: true }
    }
}

/// Settings of `wrapd-attach`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClientConfig {
    /// The prefix key, in tmux notation (`C-b`, `C-a`, `M-x`).
    pub prefix: KeyName,
    /// Show the status line at the bottom.
    pub status_line: bool,
    /// Keys after the prefix.
    pub bindings: Bindings,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            prefix: KeyName::parse("C-b").expect("a valid key name"),
            status_line: true,
            bindings: Bindings::default(),
        }
    }
}

/// Sharing sessions over mutual TLS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShareConfig {
    /// Where the daemon listens for collaborators (loopback by default: reach
    /// it from elsewhere through SSH). Port 0: any free port (see the log).
    pub listen: SocketAddr,
    /// The `host:port` put into links; empty: the listen address.
    pub link_host: String,
    /// Where the CA and the revocation list live; empty:
    /// `$XDG_STATE_HOME/wrapd/share`.
    pub state_dir: PathBuf,
    /// A team CA certificate (PEM) whose members may join without a link;
    /// empty: none.
    pub team_ca: PathBuf,
    /// If set, team members' emails must be in this domain.
    pub team_email_domain: String,
    /// How long an enrolled collaborator's certificate is valid.
    pub cert_validity: HumanDuration,
    /// How long without input or a highlight before someone shows as idle
    /// (`z` on their badge).
    pub idle_after: HumanDuration,
    /// Participants per share besides the owner.
    #[serde(deserialize_with = "at_least::<1, _>")]
    pub max_participants: usize,
    /// Output bytes sent to collaborators per shared session.
    pub max_session_bytes: u64,
    /// Output bytes one collaborator receives per day.
    pub max_daily_bytes: u64,
    /// Where browsers join (see DESIGN.md, "the web door"); `None` (empty in
    /// the file): no web. Plain HTTP only on loopback; anywhere else needs
    /// `web_certificate` and `web_key`.
    #[serde(
        deserialize_with = "optional_addr",
        serialize_with = "optional_addr_text"
    )]
    pub web_listen: Option<SocketAddr>,
    /// The web listener's certificate chain and key (PEM); empty: plain HTTP.
    pub web_certificate: PathBuf,
    pub web_key: PathBuf,
    /// The address browsers use when a reverse proxy or a port forward stands
    /// in front of the web door (`https://HOST[:PORT]`, see `web_url`);
    /// empty: the door's own address.
    #[serde(deserialize_with = "web_url::web_url")]
    pub web_url: String,
}

impl Default for ShareConfig {
    fn default() -> Self {
        ShareConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 7443)),
            link_host: String::new(),
            state_dir: PathBuf::new(),
            team_ca: PathBuf::new(),
            team_email_domain: String::new(),
            cert_validity: HumanDuration(std::time::Duration::from_secs(24 * 3600)),
            idle_after: HumanDuration(std::time::Duration::from_secs(5 * 60)),
            max_participants: 10,
            max_session_bytes: 100_000_000,
            max_daily_bytes: 1_000_000_000,
            web_listen: None,
            web_certificate: PathBuf::new(),
            web_key: PathBuf::new(),
            web_url: String::new(),
        }
    }
}

impl ShareConfig {
    /// The share state directory (CA, revocations).
    pub fn state_dir(&self) -> PathBuf {
        if self.state_dir.as_os_str().is_empty() {
            paths::state_dir().join("share")
        } else {
            self.state_dir.clone()
        }
    }
}

/// A duration written `30s`, `15m`, `24h` or `7d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanDuration(pub std::time::Duration);

impl HumanDuration {
    pub fn parse(s: &str) -> Option<HumanDuration> {
        let s = s.trim();
        let unit = s.chars().last()?;
        let n: u64 = s[..s.len() - unit.len_utf8()].trim().parse().ok()?;
        let secs = match unit {
            's' => n,
            'm' => n.checked_mul(60)?,
            'h' => n.checked_mul(3600)?,
            'd' => n.checked_mul(86_400)?,
            _ => return None,
        };
        (secs > 0).then(|| HumanDuration(std::time::Duration::from_secs(secs)))
    }
}

impl std::fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.0.as_secs();
        match s {
            _ if s.is_multiple_of(3600) => write!(f, "{}h", s / 3600),
            _ if s.is_multiple_of(60) => write!(f, "{}m", s / 60),
            _ => write!(f, "{s}s"),
        }
    }
}

impl Serialize for HumanDuration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        HumanDuration::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{s}` is not a duration (examples: `30m`, `24h`, `7d`)"
            ))
        })
    }
}

/// Who you are to the people you share with.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdentityConfig {
    /// Display name; empty: your login name.
    pub name: String,
    /// Email address; empty: none.
    #[serde(deserialize_with = "email")]
    pub email: String,
    /// A team identity (certificate PEM, from `wrapd-muxd team issue`) to
    /// join team shares with; empty: none.
    pub certificate: PathBuf,
    /// The key (PEM) of that certificate.
    pub key: PathBuf,
}

impl IdentityConfig {
    /// The display name, or the login name when none is set.
    pub fn display_name(&self) -> String {
        if !self.name.is_empty() {
            return self.name.clone();
        }
        nix::unistd::User::from_uid(nix::unistd::getuid())
            .ok()
            .flatten()
            .map(|u| u.name)
            .unwrap_or_else(|| "wrapd user".to_owned())
    }
}

/// A number of at least `MIN`.
fn at_least<'de, const MIN: usize, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    let n = usize::deserialize(d)?;
    if n < MIN {
        return Err(serde::de::Error::custom(format!(
            "must be at least {MIN}, not {n}"
        )));
    }
    Ok(n)
}

/// Empty (`None`), or an address.
fn optional_addr<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SocketAddr>, D::Error> {
    let s = String::deserialize(d)?;
    if s.trim().is_empty() {
        return Ok(None);
    }
    s.trim().parse().map(Some).map_err(|_| {
        serde::de::Error::custom(format!(
            "`{s}` is not an address: write IP:PORT (like 127.0.0.1:7680), or \"\" for none"
        ))
    })
}

fn optional_addr_text<S: serde::Serializer>(
    a: &Option<SocketAddr>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(&a.map(|a| a.to_string()).unwrap_or_default())
}

/// Empty, or something that looks like an email address.
fn email<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    let plausible = match s.split_once('@') {
        Some((user, host)) => !user.is_empty() && host.contains('.') && !s.contains(' '),
        None => false,
    };
    if !s.is_empty() && !plausible {
        return Err(serde::de::Error::custom(format!(
            "`{s}` is not an email address"
        )));
    }
    Ok(s)
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// (The OS error is in the message, not also a source: printed with its
    /// chain, it would be said twice.)
    #[error("cannot read {path}: {error}")]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
}

impl Config {
    /// The user's config file path.
    pub fn default_path() -> PathBuf {
        paths::config_dir().join("config.toml")
    }

    /// Load the user's config; a missing file means all defaults.
    pub fn load_default() -> Result<Config, ConfigError> {
        let path = Self::default_path();
        if !path.exists() {
            return Ok(Config::default());
        }
        Self::load(&path)
    }

    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.to_owned(),
            error,
        })?;
        Self::parse(&text).map_err(|message| ConfigError::Parse {
            path: path.to_owned(),
            message,
        })
    }

    /// Parse TOML text. The error says where (`line N`), which key, what is
    /// wrong, and quotes the line.
    pub fn parse(text: &str) -> Result<Config, String> {
        let de = toml::Deserializer::parse(text).map_err(|e| describe(text, "", &e))?;
        let config: Config = serde_path_to_error::deserialize(de).map_err(|e| {
            let key = e.path().to_string();
            let key = if key == "." { String::new() } else { key };
            describe(text, &key, e.inner())
        })?;
        config
            .mail
            .check()
            .map_err(|(key, problem)| describe_rule(text, key, &problem))?;
        Ok(config)
    }

    /// The socket: `$WRAPD_SOCKET`, else `daemon.socket`, else the default place.
    pub fn socket_path(&self) -> PathBuf {
        paths::socket_path_or(
            Some(self.daemon.socket.as_path()).filter(|p| !p.as_os_str().is_empty()),
        )
    }
}

/// `line 3: terminal.scrollback_lines: invalid type ...` and the line itself.
fn describe(text: &str, key: &str, e: &toml::de::Error) -> String {
    let mut out = String::new();
    if let Some(span) = e.span() {
        let start = span.start.min(text.len());
        let line = text[..start].matches('\n').count() + 1;
        let col = start - text[..start].rfind('\n').map_or(0, |i| i + 1) + 1;
        out.push_str(&format!("line {line}, column {col}: "));
        if !key.is_empty() {
            out.push_str(&format!("{key}: "));
        }
        out.push_str(&plain_types(e.message().trim_end()));
        let source_line = text.lines().nth(line - 1).unwrap_or("");
        out.push_str(&format!("\n  {line} | {source_line}"));
    } else {
        if !key.is_empty() {
            out.push_str(&format!("{key}: "));
        }
        out.push_str(&plain_types(e.message().trim_end()));
    }
    out
}

/// A broken rule between settings: `line N: section.key: problem`, with the
/// key's line if it is in the file (else its section's).
fn describe_rule(text: &str, key: &str, problem: &str) -> String {
    let (section, name) = key.split_once('.').unwrap_or(("", key));
    let mut in_section = section.is_empty();
    let mut found = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('[') {
            in_section = t.trim_matches(|c| c == '[' || c == ']').trim() == section;
            if in_section && found.is_none() {
                found = Some((i, line));
            }
        } else if in_section && t.split('=').next().map(str::trim) == Some(name) {
            found = Some((i, line));
        }
    }
    match found {
        Some((i, line)) => format!("line {}: {key}: {problem}\n  {} | {line}", i + 1, i + 1),
        None => format!("{key}: {problem}"),
    }
}

/// serde's "…, expected usize" (or u16, i64, f64, ...) in words a user knows.
fn plain_types(message: &str) -> String {
    let Some((head, ty)) = message.rsplit_once("expected ") else {
        return message.to_owned();
    };
    let words = match ty {
        "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" | "isize" => {
            "a whole number"
        }
        "f32" | "f64" => "a number",
        _ => return message.to_owned(),
    };
    format!("{head}expected {words}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        Config::parse(text).unwrap_err()
    }

    #[test]
    fn empty_is_default() {
        assert_eq!(Config::parse("").unwrap(), Config::default());
        let d = Config::default();
        assert_eq!(d.terminal.scrollback_lines, 100_000);
        assert_eq!(d.share.listen.to_string(), "127.0.0.1:7443");
        assert_eq!(d.client.prefix.to_string(), "C-b");
        assert!(d.shell.integration);
    }

    /// The printed defaults pass `check`, and say exactly what the defaults are:
    /// every setting is in the file, with its default value.
    #[test]
    fn default_toml_is_the_defaults() {
        assert_eq!(Config::parse(DEFAULT_TOML).unwrap(), Config::default());
        let written: toml::Table = toml::from_str(DEFAULT_TOML).unwrap();
        let defaults: toml::Table = toml::from_str(&toml::to_string(&Config::default()).unwrap())
            .expect("the defaults serialize");
        assert_eq!(
            written, defaults,
            "config/default.toml misses or adds a setting"
        );
    }

    #[test]
    fn overrides() {
        let c = Config::parse(
            "[terminal]\nscrollback_lines = 10\n\
             [client]\nprefix = \"C-a\"\n\
             [client.bindings]\nx = \"detach\"\nd = \"none\"\n\
             [share]\nlisten = \"0.0.0.0:9000\"\nteam_ca = \"/etc/team.pem\"\ncert_validity = \"2h\"\nmax_participants = 3\n\
             [identity]\nname = \"Ada\"\nemail = \"ada@example.org\"\n\
             [limits]\nmax_sessions = 3\n\
             [shell]\nintegration = false\n\
             [daemon]\nsocket = \"/tmp/x.sock\"\n",
        )
        .unwrap();
        assert_eq!(c.terminal.scrollback_lines, 10);
        assert_eq!(c.client.prefix.to_string(), "C-a");
        assert!(c.client.status_line);
        let bound: Vec<String> = c
            .client
            .bindings
            .iter()
            .map(|(k, a)| format!("{k}={a:?}"))
            .collect();
        assert!(bound.contains(&"x=Detach".to_owned()), "{bound:?}");
        assert!(!bound.contains(&"d=Detach".to_owned()), "{bound:?}");
        assert!(bound.contains(&"s=ChooseSession".to_owned()), "{bound:?}");
        assert_eq!(c.share.listen.port(), 9000);
        assert_eq!(c.share.team_ca, Path::new("/etc/team.pem"));
        assert_eq!(c.share.cert_validity.0.as_secs(), 7200);
        assert_eq!(c.share.max_participants, 3);
        assert_eq!(c.identity.display_name(), "Ada");
        assert_eq!(c.limits.max_sessions, 3);
        assert_eq!(c.limits.max_clients, LimitsConfig::default().max_clients);
        assert!(!c.shell.integration);
        assert_eq!(c.daemon.socket, Path::new("/tmp/x.sock"));
    }

    /// Each kind of mistake: the message names the key and the line.
    #[test]
    fn bad_values_name_key_and_line() {
        let cases: &[(&str, &[&str])] = &[
            (
                "[terminal]\nscrollback_line = 10\n",
                &["line 2", "unknown field `scrollback_line`", "terminal"],
            ),
            (
                "[terminal]\n\nscrollback_lines = \"many\"\n",
                &["line 3", "terminal.scrollback_lines", "invalid type"],
            ),
            (
                "[terminal]\nscrollback_bytes = 10\n",
                &["line 2", "terminal.scrollback_bytes", "at least 4096"],
            ),
            (
                "[client]\nprefix = \"Ctrl-b\"\n",
                &["line 2", "client.prefix", "`Ctrl-b` is not a key name"],
            ),
            (
                "[client.bindings]\nd = \"dettach\"\n",
                &["line 2", "client.bindings", "unknown variant `dettach`"],
            ),
            (
                "[client.bindings]\nCtl-x = \"detach\"\n",
                &["line 2", "client.bindings", "`Ctl-x` is not a key name"],
            ),
            (
                "[share]\nlisten = \"localhost\"\n",
                &["line 2", "share.listen", "invalid socket address"],
            ),
            (
                "[share]\ncert_validity = \"1 day\"\n",
                &["line 2", "share.cert_validity", "not a duration"],
            ),
            (
                "[share]\nmax_participants = 0\n",
                &["line 2", "share.max_participants", "at least 1"],
            ),
            (
                "[identity]\nemail = \"ada\"\n",
                &["line 2", "identity.email", "not an email address"],
            ),
            (
                "[limits]\nmax_sessions = 0\n",
                &["line 2", "limits.max_sessions", "at least 1"],
            ),
            (
                "[limits]\nmax_clients = -1\n",
                &["line 2", "limits.max_clients", "expected a whole number"],
            ),
            (
                "[terminal]\nscrollback_lines = 1.5\n",
                &["terminal.scrollback_lines", "expected a whole number"],
            ),
            (
                "[mail]\nhost = \"smtp.example.org\"\nfrom = \"w@example.org\"\nsecurity = \"none\"\n",
                &[
                    "line 4",
                    "mail.security",
                    "only allowed to a relay on this machine",
                ],
            ),
            (
                "[mail]\nhost = \"localhost\"\nsecurity = \"plain\"\n",
                &["line 3", "mail.security", "unknown variant `plain`"],
            ),
            (
                "[mail]\nhost = \"localhost\"\nfrom = \"w@example.org\"\nusername = \"w\"\n",
                &["line 4", "mail.username", "needs a password"],
            ),
            (
                "[mail]\nhost = \"localhost\"\npassword = \"hunter2\"\n",
                &["line 3", "unknown field `password`"],
            ),
            ("[sharing]\n", &["line 1", "unknown field `sharing`"]),
            ("[client\nprefix = 1\n", &["line 1"]),
        ];
        for (text, wanted) in cases {
            let e = err(text);
            for w in *wanted {
                assert!(e.contains(w), "for {text:?}: {e:?} lacks {w:?}");
            }
        }
    }

    #[test]
    fn error_quotes_the_line() {
        let e = err("[shell]\nintegration = \"yes\"\n");
        assert!(e.contains("  2 | integration = \"yes\""), "{e}");
    }
}
