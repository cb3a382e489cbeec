//! Reaching the daemon: connect to its socket, or start it in the background
//! first (as `tmux` starts its server).

use std::fs::OpenOptions;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use tonic::transport::{Channel, Endpoint};
use wrapd_proto::pb::mux_client::MuxClient;

pub type Client = MuxClient<Channel>;

/// Largest message accepted from the daemon (snapshots with much history).
const MAX_MESSAGE: usize = 64 << 20;

/// Connect to the daemon at `socket`; the error says how to start one.
pub async fn connect(socket: &Path) -> Result<Client> {
    try_connect(socket).await.map_err(|e| {
        anyhow!(
            "cannot reach wrapd-muxd at {}: {e}\n\
             start it with `wrapd-muxd` (or `systemctl --user start wrapd-muxd`), \
             or run `wrapd-attach` / `wrapd-attach new`, which start it",
            socket.display()
        )
    })
}

async fn try_connect(socket: &Path) -> Result<Client> {
    if !socket.exists() {
        bail!("no socket there (the daemon is not running)");
    }
    let uri = format!("unix://{}", socket.display());
    let channel = Endpoint::from_shared(uri)?
        .connect_timeout(Duration::from_secs(2))
        .connect()
        .await
        .map_err(|e| anyhow!("{}", error_chain(&e)))?;
    Ok(MuxClient::new(channel)
        .max_decoding_message_size(MAX_MESSAGE)
        .max_encoding_message_size(MAX_MESSAGE))
}

/// Connect, starting the daemon first if none is running.
pub async fn connect_or_start(socket: &Path) -> Result<Client> {
    if let Ok(client) = try_connect(socket).await {
        return Ok(client);
    }
    let log = start_daemon(socket)?;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match try_connect(socket).await {
            Ok(client) => return Ok(client),
            Err(e) if Instant::now() > deadline => {
                let tail = std::fs::read_to_string(&log).unwrap_or_default();
                let tail: Vec<&str> = tail.lines().rev().take(5).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                bail!(
                    "started wrapd-muxd but cannot reach it at {}: {e}\nits log ({}) ends with:\n{}",
                    socket.display(),
                    log.display(),
                    tail.join("\n")
                );
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

/// `wrapd-muxd` next to this program, else on `$PATH`.
fn daemon_program() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join("wrapd-muxd")))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("wrapd-muxd"))
}

/// Start the daemon detached from this terminal; returns its log file.
fn start_daemon(socket: &Path) -> Result<PathBuf> {
    let state = wrapd_muxd::paths::state_dir();
    wrapd_muxd::paths::ensure_private_dir(&state)
        .with_context(|| format!("creating {}", state.display()))?;
    let log_path = state.join("muxd.log");
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .with_context(|| format!("opening {}", log_path.display()))?;
    let program = daemon_program();
    let mut cmd = Command::new(&program);
    cmd.arg("serve")
        .env("WRAPD_SOCKET", socket)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .current_dir(wrapd_muxd::paths::home_dir());
    // SAFETY: setsid is async-signal-safe; the daemon must not belong to our
    // terminal's session, or closing the terminal would hang it up.
    unsafe {
        cmd.pre_exec(|| {
            nix::unistd::setsid().map_err(std::io::Error::from)?;
            Ok(())
        });
    }
    let child = cmd.spawn().with_context(|| {
        format!(
            "cannot start {}: is wrapd-muxd installed?",
            program.display()
        )
    })?;
    // The daemon lives on by itself; reap it if it dies early so it is no zombie.
    std::thread::spawn(move || {
        let mut child = child;
        let _ = child.wait();
    });
    Ok(log_path)
}

/// An error and its causes on one line.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

/// A daemon's refusal as the user should read it.
pub fn status_message(s: &tonic::Status) -> String {
    match s.code() {
        tonic::Code::Unavailable | tonic::Code::Unknown
            if s.message().is_empty() || s.message().contains("transport") =>
        {
            format!("lost the connection to wrapd-muxd ({})", s.message())
        }
        _ => s.message().to_owned(),
    }
}
