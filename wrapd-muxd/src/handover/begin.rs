//! The old image's side: stop the sessions at a clean point, write the
//! state, let the new binary probe it, and exec — or carry on unchanged.

use std::os::fd::{AsFd, AsRawFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use wrapd_proto::pb;

use super::freeze::{self, Frozen};
use super::{ENV_REFUSED, ENV_STATE_FD, VERSION, fds, probe};
use crate::daemon::Daemon;

/// Between answering `upgrade` and the exec, for the answer to leave (the
/// client does not rely on it: it asks the new image how it went).
const REPLY_GRACE: Duration = Duration::from_millis(50);

/// Everything ready for the exec: the probe said yes.
struct Ready {
    handover_id: String,
    binary: PathBuf,
    version: String,
    sessions: u32,
    shares: u32,
    state_bytes: usize,
    /// What systemd said, for the new image.
    systemd: super::Systemd,
}

/// The binary to run when none is named: ours, as installed now (after a
/// package upgrade `/proc/self/exe` names the old file "(deleted)").
pub fn installed_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("wrapd-muxd"));
    let shown = exe.to_string_lossy();
    match shown.strip_suffix(" (deleted)") {
        Some(path) => PathBuf::from(path),
        None => exe,
    }
}

fn check_binary(binary: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let shown = binary.display();
    let meta = std::fs::metadata(binary).map_err(|e| format!("{shown}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("{shown} is not a file"));
    }
    if meta.permissions().mode() & 0o111 == 0 {
        return Err(format!("{shown} is not executable"));
    }
    Ok(())
}

/// Hand the daemon over to `binary` (default: [`installed_binary`]). On
/// success the answer is what took over, and the exec follows shortly; on
/// failure why, and nothing changed.
pub async fn upgrade(
    daemon: &Arc<Daemon>,
    binary: Option<PathBuf>,
    handover_id: String,
) -> Result<pb::BeginUpgradeResponse, String> {
    if !daemon.handover.claim() {
        return Err("another upgrade is under way".to_owned());
    }
    let ready = match prepare(daemon, binary, handover_id).await {
        Ok(ready) => ready,
        Err(why) => {
            daemon.handover.release();
            tracing::warn!("upgrade refused, serving on unchanged: {why}");
            return Err(why);
        }
    };
    let answer = pb::BeginUpgradeResponse {
        binary: ready.binary.to_string_lossy().into_owned(),
        version: ready.version.clone(),
        sessions: ready.sessions,
        shares: ready.shares,
        state_bytes: ready.state_bytes as u64,
    };
    let daemon = daemon.clone();
    tokio::spawn(async move {
        tokio::time::sleep(REPLY_GRACE).await;
        exec(&daemon, ready).await;
    });
    Ok(answer)
}

/// Check the binary and let it probe a snapshot of the state. The sessions
/// stop only while their snapshot is taken, not while the probe runs: the
/// state the exec passes is taken again just before it, in the same format.
async fn prepare(
    daemon: &Arc<Daemon>,
    binary: Option<PathBuf>,
    handover_id: String,
) -> Result<Ready, String> {
    let binary = binary.unwrap_or_else(installed_binary);
    check_binary(&binary)?;
    let mut snapshot = freeze::freeze(daemon, handover_id.clone()).await?;
    snapshot.thaw();
    let version = probe::run(&binary, snapshot.memfd.as_fd()).await?;
    tracing::info!(
        binary = %binary.display(), %version, sessions = snapshot.state.sessions.len(),
        state_bytes = snapshot.bytes, "the new binary can take the state: handing over"
    );
    Ok(Ready {
        handover_id,
        binary,
        version,
        sessions: snapshot.state.sessions.len() as u32,
        shares: snapshot.state.shares.len() as u32,
        state_bytes: snapshot.bytes,
        systemd: daemon.handover.systemd(),
    })
}

/// The point of no return: stop the sessions, write the state, exec.
/// Returns (and the daemon serves on, unchanged) only if that failed.
async fn exec(daemon: &Arc<Daemon>, ready: Ready) {
    let why = match freeze::freeze(daemon, ready.handover_id.clone()).await {
        Ok(frozen) => {
            let why = exec_now(&ready, &frozen);
            for &fd in &frozen.keep {
                let _ = fds::set_inherited(fd, false);
            }
            why
        }
        Err(why) => why,
    };
    tracing::error!("upgrade failed, serving on unchanged: {why}");
    daemon.handover.set_last(pb::LastHandover {
        handover_id: ready.handover_id.clone(),
        taken: false,
        why,
        from_version: VERSION.to_owned(),
        at_ms: crate::session::now_ms(),
        ..Default::default()
    });
    daemon.handover.release();
}

/// Exec the new binary; why not, if it returns.
fn exec_now(ready: &Ready, frozen: &Frozen) -> String {
    for &fd in &frozen.keep {
        if let Err(e) = fds::set_inherited(fd, true) {
            return format!("cannot keep descriptor {fd} open across the exec: {e}");
        }
    }
    let [notify, fdstore] = ready.systemd.env();
    let env = fds::next_env(
        &[
            (ENV_STATE_FD, frozen.memfd.as_raw_fd().to_string()),
            notify,
            fdstore,
        ],
        &[ENV_REFUSED],
    );
    let e = fds::exec(&ready.binary, None, env);
    format!("cannot execute {}: {e}", ready.binary.display())
}

/// SIGUSR2: hand over to the installed binary; the log says how it went.
pub async fn on_signal(daemon: &Arc<Daemon>) {
    tracing::info!("SIGUSR2: handing over to {}", installed_binary().display());
    if let Ok(ready) = upgrade(daemon, None, String::new()).await {
        tracing::info!(version = %ready.version, "SIGUSR2: the new binary takes over");
    }
}
