//! Versions spoken aloud, on the client's side: reaching its daemon, the
//! client says its own version and protocol, and tells the user where a
//! difference matters — protocols the two cannot bridge (an error naming both
//! versions and what fixes it), or a daemon still running the binary that a
//! package upgrade replaced (a notice, once per daemon start; nothing is
//! restarted by the client).

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Result, bail};
use wrapd_common::executable::{self, OnDisk};
use wrapd_proto::pb;
use wrapd_proto::version::{self, Speaker};

use crate::connect::Client;

/// The notice of a replaced binary, for the attached client to show too.
static NOTICE: Mutex<Option<String>> = Mutex::new(None);

/// What the client says of itself.
pub fn hello() -> pb::GetServerInfoRequest {
    pb::GetServerInfoRequest {
        client_version: version::VERSION.to_owned(),
        client_protocol: version::PROTOCOL,
    }
}

/// The daemon at `socket` said who it is: stop if the two cannot work
/// together; say (once per daemon start) if it runs a replaced binary. A
/// daemon that does not answer is left to the command's own request.
pub async fn handshake(client: &mut Client, socket: &Path) -> Result<()> {
    let Ok(info) = client.get_server_info(hello()).await else {
        return Ok(());
    };
    let info = info.into_inner();
    let daemon = Speaker {
        version: &info.version,
        protocol: info.protocol,
        min_protocol: info.min_protocol,
    };
    if let Some(why) = version::mismatch(Speaker::this_build(), daemon) {
        bail!("{why}");
    }
    if let Some(notice) = replaced_binary(&info)
        && first_time(&stamp_path(socket), &info)
    {
        eprintln!("wrapd-attach: {notice}");
        *NOTICE.lock().unwrap_or_else(|e| e.into_inner()) = Some(notice);
    }
    Ok(())
}

/// The notice [`handshake`] gave, if any (taken once).
pub fn take_notice() -> Option<String> {
    NOTICE.lock().unwrap_or_else(|e| e.into_inner()).take()
}

/// What the daemon of `a` (an attach stream's first event) speaks, if this
/// client cannot work with it.
pub fn attached_mismatch(a: &pb::Attached) -> Option<String> {
    let daemon = Speaker {
        version: &a.server_version,
        protocol: a.protocol,
        min_protocol: a.min_protocol,
    };
    version::mismatch(Speaker::this_build(), daemon)
}

/// The daemon runs a binary that is no longer on disk: what to tell the user.
fn replaced_binary(info: &pb::ServerInfo) -> Option<String> {
    let exe = info.executable.as_ref()?;
    let since = match executable::on_disk(exe) {
        OnDisk::Same => return None,
        OnDisk::Replaced => "was replaced (a package upgrade?)",
        OnDisk::Removed => "was removed",
    };
    Some(format!(
        "wrapd-muxd {} (pid {}) runs an older binary: {} {since} after it started. \
         Its sessions keep running; `wrapd-muxd upgrade` hands them to the installed \
         wrapd-muxd without losing any",
        info.version, info.pid, exe.path
    ))
}

/// Beside the socket (a private directory): which daemon start was told.
fn stamp_path(socket: &Path) -> PathBuf {
    socket
        .parent()
        .unwrap_or(Path::new("."))
        .join("replaced-binary-noticed")
}

/// True the first time it is asked about this daemon start (pid and start
/// time); remembered in `stamp`.
fn first_time(stamp: &Path, info: &pb::ServerInfo) -> bool {
    let this = format!("{} {}\n", info.pid, info.started_at_ms);
    if std::fs::read_to_string(stamp).is_ok_and(|told| told == this) {
        return false;
    }
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(stamp)
        .and_then(|mut f| f.write_all(this.as_bytes()));
    if let Err(e) = written {
        tracing::debug!("cannot remember the notice in {}: {e}", stamp.display());
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(pid: u32, started_at_ms: u64) -> pb::ServerInfo {
        pb::ServerInfo {
            version: "0.1.0".into(),
            pid,
            started_at_ms,
            ..Default::default()
        }
    }

    #[test]
    fn each_daemon_start_is_told_once() {
        let dir = tempfile::tempdir().unwrap();
        let stamp = dir.path().join("stamp");
        assert!(first_time(&stamp, &info(10, 1)));
        assert!(!first_time(&stamp, &info(10, 1)));
        assert!(
            first_time(&stamp, &info(10, 2)),
            "a restart with the same pid"
        );
        assert!(first_time(&stamp, &info(11, 2)));
        assert!(!first_time(&stamp, &info(11, 2)));
    }

    #[test]
    fn a_replaced_binary_is_named_with_the_upgrade() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wrapd-muxd");
        std::fs::write(&path, b"new").unwrap();
        let mut i = info(42, 1);
        i.executable = Some(pb::Executable {
            path: path.to_string_lossy().into_owned(),
            replaced: true,
            ..Default::default()
        });
        let notice = replaced_binary(&i).unwrap();
        assert!(notice.contains("wrapd-muxd 0.1.0 (pid 42)"), "{notice}");
        assert!(notice.contains("`wrapd-muxd upgrade`"), "{notice}");
        i.executable = Some(executable::running());
        assert_eq!(replaced_binary(&i), None);
    }
}
