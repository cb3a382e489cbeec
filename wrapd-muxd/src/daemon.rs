//! The daemon's shared state: its sessions, its settings, its shutdown token.
//! The doors (the RPC layer; later the web) call into it; it knows nothing of
//! the wire and imports none of them.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use tokio_util::sync::CancellationToken;
use wrapd_common::config::Config;
use wrapd_common::paths;

use crate::collab::{AttachSlots, HistoryReads, SharedUpdates};
use crate::error::{Error, Result};
use crate::handover::Handovers;
use crate::pty;
use crate::registry::Registry;
use crate::session::{self, SessionHandle, Size};
use crate::share::Shares;
use crate::share::ca::DaemonCa;
use crate::share::port::SharePort;
use crate::share::presence::{Clock, Owner};
use crate::share::state::ShareLimits;
use crate::share::store::RevocationStore;
use crate::shell::ShellIntegration;
use crate::term::TermConfig;

/// What the caller asks for when creating a session; unset fields get defaults.
#[derive(Debug, Clone, Default)]
pub struct NewSession {
    pub name: String,
    /// Empty: the user's shell, as a login shell.
    pub command: Vec<String>,
    pub cwd: Option<PathBuf>,
    pub env: Vec<(String, String)>,
    pub size: Option<Size>,
    pub remain_on_exit: bool,
    /// Inject shell integration if the program is a shell we know (and the
    /// config allows it).
    pub shell_integration: bool,
}

pub struct Daemon {
    pub registry: Arc<Registry>,
    /// The settings now: replaced as a whole on reload (SIGHUP); read with
    /// [`Daemon::config`].
    config: RwLock<Arc<Config>>,
    pub shutdown: CancellationToken,
    pub socket_path: PathBuf,
    pub started_at_ms: u64,
    /// The installed shell integration scripts (`None` if they could not be
    /// written: sessions then simply have no blocks).
    pub shell: Option<ShellIntegration>,
    /// Every share and participant (the live access list).
    pub shares: Arc<Shares>,
    /// Collaborators' open attach streams (apart from the owner's clients).
    pub attach_slots: AttachSlots,
    /// Collaborators' reads of a session's history in flight.
    pub history_reads: HistoryReads,
    /// The latest update of each collaborators' view, shared by their streams.
    pub shared_updates: SharedUpdates,
    /// The daemon's CA, loaded when sharing first needs it.
    pub ca: DaemonCa,
    /// The share port (TLS for collaborators), once a share opened it.
    pub share_port: SharePort,
    /// Where browsers reach the web door (`http(s)://host:port`), while it
    /// listens: the web door sets it, share links are made from it.
    web_base: RwLock<Option<String>>,
    /// Counts reloads of the config, for whoever re-reads files it names.
    reloads: tokio::sync::watch::Sender<u64>,
    /// Upgrading in place: the descriptors passed on, the last hand-over.
    pub handover: Handovers,
}

/// The share limits of a config.
pub fn share_limits(config: &Config) -> ShareLimits {
    ShareLimits {
        max_participants: config.share.max_participants,
        max_session_bytes: config.share.max_session_bytes,
        max_daily_bytes: config.share.max_daily_bytes,
    }
}

/// Variables of the daemon's own environment a session must not inherit: they
/// describe the terminal the daemon was started from, not the session's.
const NOT_INHERITED: &[&str] = &[
    "TMUX",
    "TMUX_PANE",
    "WRAPD_SESSION_ID",
    "COLUMNS",
    "LINES",
    "TERM_PROGRAM",
    "TERM_PROGRAM_VERSION",
];

impl Daemon {
    pub fn new(config: Config, socket_path: PathBuf, shutdown: CancellationToken) -> Arc<Daemon> {
        let started_at_ms = session::now_ms();
        let shell_dir = socket_path
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .join("shell");
        let shell = ShellIntegration::install(&shell_dir)
            .inspect_err(|e| {
                tracing::warn!(
                    "cannot write the shell integration into {}: {e}; sessions will have no blocks",
                    shell_dir.display()
                )
            })
            .ok();
        let share_dir = config.share.state_dir();
        // Without its revocation list the share port must not start: an empty
        // list would let removed people back in. The Unix socket serves on.
        let (revocations, off) = match RevocationStore::load(&share_dir) {
            Ok(revocations) => (revocations, None),
            Err(e) => {
                let why = format!("{e}; fix or restore the file, then restart the daemon");
                tracing::error!("sharing is off: {why}");
                (RevocationStore::in_memory(), Some(why))
            }
        };
        let audit_dir = share_dir.join("audit");
        let ca = DaemonCa::new(share_dir, off);
        let shares =
            Arc::new(Shares::new(revocations, share_limits(&config)).with_audit_dir(audit_dir));
        Arc::new(Daemon {
            shell,
            shares,
            attach_slots: Default::default(),
            history_reads: Default::default(),
            shared_updates: Default::default(),
            ca,
            share_port: SharePort::default(),
            web_base: RwLock::new(None),
            reloads: tokio::sync::watch::channel(0).0,
            handover: Handovers::default(),
            registry: Arc::new(Registry::new(started_at_ms)),
            config: RwLock::new(Arc::new(config)),
            shutdown,
            socket_path,
            started_at_ms,
        })
    }

    /// The current settings.
    pub fn config(&self) -> Arc<Config> {
        self.config
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Use `config` from now on: new sessions and new attachments follow it,
    /// the listeners move (see `reload.rs`). What could not be applied is
    /// logged, and returned.
    pub fn reload(self: &Arc<Self>, config: Config) -> Vec<String> {
        let old = self.config();
        *self
            .shares
            .limits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = share_limits(&config);
        let config = Arc::new(config);
        *self
            .config
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = config.clone();
        let problems = crate::reload::apply(self, &old, &config);
        for p in &problems {
            tracing::warn!("reload: {p}");
        }
        self.reloads.send_modify(|n| *n += 1);
        problems
    }

    /// Changes with every reload of the config.
    pub fn reloads(&self) -> tokio::sync::watch::Receiver<u64> {
        self.reloads.subscribe()
    }

    /// The owner as collaborators see them.
    pub fn owner(&self) -> Owner {
        Owner::from_config(&self.config().identity)
    }

    /// Where browsers reach the web door, if it listens.
    pub fn web_base(&self) -> Option<String> {
        self.web_base
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub fn set_web_base(&self, base: Option<String>) {
        *self
            .web_base
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = base;
    }

    /// How presence is judged now (see `share::presence`).
    pub fn presence_clock(&self) -> Clock {
        Clock {
            now_ms: session::now_ms(),
            idle_after_ms: self.config().share.idle_after.0.as_millis() as u64,
        }
    }

    /// The share port's address, once it listens.
    pub fn share_addr(&self) -> Option<SocketAddr> {
        self.share_port.addr()
    }

    /// What a session calls once it is over: drop it from the registry and
    /// stop its shares.
    pub fn session_end_hook(&self) -> Box<dyn FnOnce(&session::SessionId) + Send> {
        let registry = Arc::downgrade(&self.registry);
        let shares = Arc::downgrade(&self.shares);
        Box::new(move |id| {
            if let Some(r) = registry.upgrade() {
                r.remove(id);
            }
            if let Some(s) = shares.upgrade() {
                s.session_ended(id);
            }
        })
    }

    pub fn create_session(&self, req: NewSession) -> Result<SessionHandle> {
        if self.handover.busy() {
            return Err(Error::Busy(
                "the daemon is handing over to a new binary (`wrapd-muxd upgrade`): \
                 try again in a moment"
                    .to_owned(),
            ));
        }
        let config = self.config();
        let max = config.limits.max_sessions;
        if self.registry.len() >= max {
            return Err(Error::Limit(format!(
                "this daemon already runs {max} sessions (limits.max_sessions in {}); \
                 kill one with `wrapd-attach kill -t NAME` first",
                Config::default_path().display()
            )));
        }
        let id = self.registry.new_session_id();
        let (mut argv, arg0) = if req.command.is_empty() {
            let shell = default_shell();
            let base = shell.rsplit('/').next().unwrap_or(&shell).to_owned();
            (vec![shell], Some(format!("-{base}")))
        } else {
            (req.command.clone(), None)
        };
        let cwd = req
            .cwd
            .filter(|p| p.is_dir())
            .unwrap_or_else(paths::home_dir);
        let size = req.size.unwrap_or_default();
        let mut env: Vec<(OsString, OsString)> = std::env::vars_os()
            .filter(|(k, _)| !NOT_INHERITED.iter().any(|n| k == n))
            .collect();
        let mut set = |k: &str, v: &str| {
            env.retain(|(ek, _)| ek != k);
            env.push((k.into(), v.into()));
        };
        set("TERM", "xterm-256color");
        set("COLORTERM", "truecolor");
        set("WRAPD_SOCKET", &self.socket_path.to_string_lossy());
        set("WRAPD_SESSION_ID", &id.0);
        for (k, v) in &req.env {
            set(k, v);
        }
        let shown_argv = argv.clone();
        if let Some(shell) = self
            .shell
            .as_ref()
            .filter(|_| req.shell_integration && config.shell.integration)
        {
            shell.inject(&mut argv, &mut env);
        }
        let command = pty::Command {
            argv,
            arg0,
            cwd,
            env,
            cols: size.cols,
            rows: size.rows,
        };
        self.registry.create(&req.name, |name| {
            session::spawn(
                session::SessionSpec {
                    id,
                    name: name.to_owned(),
                    command,
                    shown_argv,
                    remain_on_exit: req.remain_on_exit,
                    term: TermConfig::from(&config.terminal),
                    on_end: self.session_end_hook(),
                },
                self.shutdown.child_token(),
            )
        })
    }
}

/// `$SHELL`, else the login shell in the password database, else `/bin/sh`.
fn default_shell() -> String {
    if let Some(s) = std::env::var("SHELL").ok().filter(|s| s.starts_with('/')) {
        return s;
    }
    nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map(|u| u.shell.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "/bin/sh".to_owned())
}
