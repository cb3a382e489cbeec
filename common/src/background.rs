//! Starting the daemon in the background, detached from the terminal (as
//! `tmux` starts its server): what `wrapd-attach` and `wrapd-muxd bridge` do
//! when nothing serves the socket yet.

use std::fs::OpenOptions;
use std::io;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};

use crate::paths;

/// A daemon just started.
pub struct Started {
    /// Its log file.
    pub log: PathBuf,
    /// Reaped on drop (by a thread: the daemon lives on), so it is no zombie.
    child: Option<Child>,
}

impl Started {
    /// Its exit status, if it has exited already (it could not start).
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.as_mut()?.try_wait().ok().flatten()
    }

    /// Why it did not come up: its exit status and the end of its log.
    pub fn failure(&mut self, socket: &Path) -> String {
        let status = match self.exited() {
            Some(s) => format!("it exited ({s})"),
            None => format!("it does not serve {}", socket.display()),
        };
        format!(
            "started wrapd-muxd, but {status}; its log ({}) ends with:\n{}",
            self.log.display(),
            log_tail(&self.log, 5)
        )
    }
}

impl Drop for Started {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            std::thread::spawn(move || {
                let _ = child.wait();
            });
        }
    }
}

/// Start `program serve` for `socket`, logging to `$XDG_STATE_HOME/wrapd/muxd.log`.
/// The daemon lives on by itself.
pub fn start_daemon(program: &Path, socket: &Path) -> Result<Started, StartError> {
    let state = paths::state_dir();
    let io_err = |what: String| move |source| StartError::Io { what, source };
    paths::ensure_private_dir(&state).map_err(io_err(format!("creating {}", state.display())))?;
    let log_path = state.join("muxd.log");
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(io_err(format!("opening {}", log_path.display())))?;
    let log2 = log
        .try_clone()
        .map_err(io_err(format!("opening {}", log_path.display())))?;
    let mut cmd = Command::new(program);
    cmd.arg("serve")
        .env("WRAPD_SOCKET", socket)
        .stdin(Stdio::null())
        .stdout(log2)
        .stderr(log)
        .current_dir(paths::home_dir());
    // SAFETY: setsid is async-signal-safe; the daemon must not belong to our
    // terminal's session, or closing the terminal would hang it up.
    unsafe {
        cmd.pre_exec(|| {
            nix::unistd::setsid().map_err(io::Error::from)?;
            Ok(())
        });
    }
    let child = cmd.spawn().map_err(|source| StartError::Spawn {
        program: program.to_owned(),
        source,
    })?;
    Ok(Started {
        log: log_path,
        child: Some(child),
    })
}

/// The last `n` lines of a log file (empty if it cannot be read).
pub fn log_tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: io::Error,
    },
    #[error("cannot start {}: {source} (is wrapd-muxd installed?)", program.display())]
    Spawn {
        program: PathBuf,
        #[source]
        source: io::Error,
    },
}
