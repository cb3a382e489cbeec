//! The two multiplexers behind one interface, each a server of its own in a
//! temporary directory, driven only through their public command lines
//! (`tmux` vs `wrapd-attach`/`wrapd-muxd`).
//!
//! tmux is configured fairly: no config file (`-f /dev/null`), the same
//! history size as wrapd's default (100,000 lines), no status line, no escape
//! delay. wrapd gets a config with its status line off too.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Serialize;

use crate::process::{self, wait_for};

/// History lines both multiplexers keep (wrapd's default).
pub const HISTORY_LINES: u32 = 100_000;
/// How long a server or a command may take to answer.
const SLOW: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Kind {
    Wrapd,
    Tmux,
}

impl Kind {
    pub const BOTH: [Kind; 2] = [Kind::Wrapd, Kind::Tmux];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Wrapd => "wrapd",
            Kind::Tmux => "tmux",
        }
    }
}

/// Where the wrapd binaries are.
#[derive(Debug, Clone)]
pub struct Bins {
    pub muxd: PathBuf,
    pub attach: PathBuf,
}

impl Bins {
    /// The binaries in `dir` (e.g. `target/release`), which must exist.
    pub fn in_dir(dir: &Path) -> anyhow::Result<Bins> {
        let bins = Bins {
            muxd: dir.join("wrapd-muxd"),
            attach: dir.join("wrapd-attach"),
        };
        for b in [&bins.muxd, &bins.attach] {
            if !b.is_file() {
                bail!(
                    "{} is missing: build it with `cargo build --release -p wrapd-muxd -p wrapd-attach`",
                    b.display()
                );
            }
        }
        Ok(bins)
    }
}

/// A running multiplexer server of one kind, stopped on drop.
pub trait Mux {
    fn kind(&self) -> Kind;
    /// Create a detached `cols`×`rows` session `name` running `sh -c script`.
    fn new_session(&self, name: &str, cols: u16, rows: u16, script: &str) -> anyhow::Result<()>;
    /// Create a detached `cols`×`rows` session `name` running an interactive
    /// `bash` (`integration`: wrapd's shell integration; tmux has none).
    fn new_bash(&self, name: &str, cols: u16, rows: u16, integration: bool) -> anyhow::Result<()>;
    /// Type `text` into the session, as its public CLI does (`send-keys -l`).
    fn type_text(&self, name: &str, text: &str) -> anyhow::Result<()>;
    /// The session's blocks, as `wrapd-attach blocks --json` lists them
    /// (`None`: this multiplexer has no blocks).
    fn blocks(&self, name: &str) -> anyhow::Result<Option<Vec<serde_json::Value>>>;
    /// Lines in the session's history (scrolled off the top of the screen).
    fn history_lines(&self, name: &str) -> anyhow::Result<u64>;
    /// The server process (for its memory).
    fn server_pid(&self) -> anyhow::Result<i32>;
    /// A client that attaches to `name` in the terminal it is started in.
    fn client(&self, name: &str) -> Command;
}

/// Start a fresh server of `kind`.
pub fn start(kind: Kind, bins: &Bins) -> anyhow::Result<Box<dyn Mux>> {
    Ok(match kind {
        Kind::Wrapd => Box::new(Wrapd::start(bins)?),
        Kind::Tmux => Box::new(Tmux::start()?),
    })
}

fn private_dir() -> anyhow::Result<tempfile::TempDir> {
    let dir = tempfile::Builder::new()
        .prefix("wrapd-bench")
        .tempdir()
        .context("creating a temporary directory")?;
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o700))?;
    Ok(dir)
}

/// The outer terminal both clients draw into.
const OUTER_TERM: &str = "xterm-256color";

pub struct Tmux {
    dir: tempfile::TempDir,
}

impl Tmux {
    pub fn start() -> anyhow::Result<Tmux> {
        let t = Tmux {
            dir: private_dir()?,
        };
        let limit = HISTORY_LINES.to_string();
        process::output(t.command().args([
            "start-server",
            ";",
            "set",
            "-g",
            "exit-empty",
            "off",
            ";",
            "set",
            "-g",
            "history-limit",
            &limit,
            ";",
            "set",
            "-g",
            "status",
            "off",
            ";",
            "set",
            "-sg",
            "escape-time",
            "0",
        ]))
        .context("starting tmux (is it installed?)")?;
        Ok(t)
    }

    fn command(&self) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-f")
            .arg("/dev/null")
            .arg("-S")
            .arg(self.dir.path().join("tmux.sock"))
            .env_remove("TMUX")
            .env("SHELL", "/bin/sh")
            .env("HOME", self.dir.path())
            .env("TERM", OUTER_TERM);
        c
    }

    /// Clients attached to session `name`.
    pub fn client_count(&self, name: &str) -> anyhow::Result<usize> {
        let list = process::output(self.command().args(["list-clients", "-t", name]))?;
        Ok(list.lines().filter(|l| !l.trim().is_empty()).count())
    }

    fn display(&self, target: &str, format: &str) -> anyhow::Result<String> {
        Ok(
            process::output(self.command().args(["display", "-p", "-t", target, format]))?
                .trim()
                .to_owned(),
        )
    }
}

impl Mux for Tmux {
    fn kind(&self) -> Kind {
        Kind::Tmux
    }

    fn new_session(&self, name: &str, cols: u16, rows: u16, script: &str) -> anyhow::Result<()> {
        let (c, r) = (cols.to_string(), rows.to_string());
        process::output(self.command().args([
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            &c,
            "-y",
            &r,
            "sh",
            "-c",
            script,
        ]))?;
        Ok(())
    }

    fn new_bash(&self, name: &str, cols: u16, rows: u16, _integration: bool) -> anyhow::Result<()> {
        let (c, r) = (cols.to_string(), rows.to_string());
        process::output(self.command().args([
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            &c,
            "-y",
            &r,
            "bash",
        ]))?;
        Ok(())
    }

    fn type_text(&self, name: &str, text: &str) -> anyhow::Result<()> {
        process::output(self.command().args(["send-keys", "-t", name, "-l", text]))?;
        Ok(())
    }

    fn blocks(&self, _name: &str) -> anyhow::Result<Option<Vec<serde_json::Value>>> {
        Ok(None)
    }

    fn history_lines(&self, name: &str) -> anyhow::Result<u64> {
        self.display(name, "#{history_size}")?
            .parse()
            .context("tmux's history_size")
    }

    fn server_pid(&self) -> anyhow::Result<i32> {
        self.display("", "#{pid}")?.parse().context("tmux's pid")
    }

    fn client(&self, name: &str) -> Command {
        let mut c = self.command();
        c.args(["attach", "-t", name]);
        c
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self
            .command()
            .arg("kill-server")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Sharing for the fan-out benchmark: any free loopback port (daemons of
/// parallel runs never collide) for the share port and the web door, room for
/// a hundred viewers and more, and byte limits no benchmark reaches.
const SHARE_CONFIG: &str = "[share]\nlisten = \"127.0.0.1:0\"\nweb_listen = \"127.0.0.1:0\"\n\
                            max_participants = 1000\n\
                            max_session_bytes = 1000000000000000\nmax_daily_bytes = 1000000000000000\n";

pub struct Wrapd {
    dir: tempfile::TempDir,
    bins: Bins,
    daemon: Child,
}

impl Wrapd {
    pub fn start(bins: &Bins) -> anyhow::Result<Wrapd> {
        let dir = private_dir()?;
        let config = dir.path().join("config/wrapd/config.toml");
        fs::create_dir_all(config.parent().expect("has a parent"))?;
        fs::write(
            &config,
            format!(
                "[terminal]\nscrollback_lines = {HISTORY_LINES}\n\n[client]\nstatus_line = false\n\n{SHARE_CONFIG}"
            ),
        )?;
        let log = fs::File::create(dir.path().join("muxd.log"))?;
        let mut daemon = Command::new(&bins.muxd);
        daemon
            .arg("serve")
            .arg("--socket")
            .arg(dir.path().join("muxd.sock"))
            .envs(env(dir.path()))
            .env("WRAPD_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        let daemon = daemon
            .spawn()
            .with_context(|| format!("starting {}", bins.muxd.display()))?;
        let w = Wrapd {
            dir,
            bins: bins.clone(),
            daemon,
        };
        let socket = w.socket();
        wait_for("wrapd-muxd's socket", SLOW, || {
            Ok(socket.exists().then_some(()))
        })?;
        Ok(w)
    }

    /// Share session `name` with a link for `role` (`viewer`, `editor`)
    /// through the owner's CLI; the link.
    pub fn share_link(&self, name: &str, role: &str) -> anyhow::Result<String> {
        self.share_link_starting(name, role, "wrapd://")
    }

    /// The same link's web twin (`http://…/s/SHARE/#SECRET`), for browsers.
    pub fn share_web_link(&self, name: &str, role: &str) -> anyhow::Result<String> {
        self.share_link_starting(name, role, "http://")
    }

    fn share_link_starting(&self, name: &str, role: &str, scheme: &str) -> anyhow::Result<String> {
        let out = process::output(self.command().args(["share", "-t", name, "--link", role]))?;
        out.split_whitespace()
            .find(|w| w.starts_with(scheme))
            .map(str::to_owned)
            .with_context(|| format!("no {scheme} link in the output of `share`: {out}"))
    }

    /// A command of the client's (`wrapd-attach` with this daemon's socket
    /// and directories).
    pub fn attach_command(&self) -> Command {
        self.command()
    }

    /// `wrapd-muxd upgrade` of this daemon to the binary it runs (a hand-over
    /// in place: same pid, every session kept).
    pub fn upgrade_command(&self) -> Command {
        let mut c = Command::new(&self.bins.muxd);
        c.arg("upgrade")
            .arg("--binary")
            .arg(&self.bins.muxd)
            .arg("--socket")
            .arg(self.socket())
            .envs(env(self.dir.path()));
        c
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("muxd.sock")
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.bins.attach);
        c.arg("--socket")
            .arg(self.socket())
            .envs(env(self.dir.path()))
            .env("TERM", OUTER_TERM);
        c
    }
}

/// The variables that keep a wrapd process inside the benchmark's directory.
fn env(dir: &Path) -> Vec<(&'static str, PathBuf)> {
    vec![
        ("XDG_RUNTIME_DIR", dir.to_owned()),
        ("XDG_CONFIG_HOME", dir.join("config")),
        ("XDG_STATE_HOME", dir.join("state")),
        ("XDG_DATA_HOME", dir.join("data")),
        ("SHELL", "/bin/sh".into()),
        // No one's dotfiles in a benchmark's shells.
        ("HOME", dir.to_owned()),
    ]
}

impl Mux for Wrapd {
    fn kind(&self) -> Kind {
        Kind::Wrapd
    }

    fn new_session(&self, name: &str, cols: u16, rows: u16, script: &str) -> anyhow::Result<()> {
        let (c, r) = (cols.to_string(), rows.to_string());
        process::output(self.command().args([
            "new", "-d", "-s", name, "-x", &c, "-y", &r, "--", "sh", "-c", script,
        ]))?;
        Ok(())
    }

    fn new_bash(&self, name: &str, cols: u16, rows: u16, integration: bool) -> anyhow::Result<()> {
        let (c, r) = (cols.to_string(), rows.to_string());
        let mut cmd = self.command();
        cmd.args(["new", "-d", "-s", name, "-x", &c, "-y", &r]);
        if !integration {
            cmd.arg("--no-shell-integration");
        }
        process::output(cmd.args(["--", "bash"]))?;
        Ok(())
    }

    fn type_text(&self, name: &str, text: &str) -> anyhow::Result<()> {
        process::output(self.command().args(["send", "-t", name, "-l", text]))?;
        Ok(())
    }

    fn blocks(&self, name: &str) -> anyhow::Result<Option<Vec<serde_json::Value>>> {
        let json = process::output(self.command().args(["blocks", "-t", name, "--json"]))?;
        let list = serde_json::from_str(&json).context("wrapd blocks --json")?;
        Ok(Some(list))
    }

    fn history_lines(&self, name: &str) -> anyhow::Result<u64> {
        let json = process::output(self.command().args(["ls", "--json"]))?;
        let list: serde_json::Value = serde_json::from_str(&json).context("wrapd ls --json")?;
        list.as_array()
            .and_then(|a| a.iter().find(|s| s["name"] == name))
            .and_then(|s| s["history_lines"].as_u64())
            .with_context(|| format!("no session {name} with history_lines in {json}"))
    }

    fn server_pid(&self) -> anyhow::Result<i32> {
        Ok(self.daemon.id() as i32)
    }

    fn client(&self, name: &str) -> Command {
        let mut c = self.command();
        c.args(["attach", "-t", name]);
        c
    }
}

impl Drop for Wrapd {
    fn drop(&mut self) {
        process::terminate(self.daemon.id() as i32);
        let _ = self.daemon.wait();
    }
}
