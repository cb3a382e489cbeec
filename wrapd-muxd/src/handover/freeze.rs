//! Stopping the daemon at a clean point and writing its state: what both an
//! upgrade (`begin`) and a restart under systemd (`fdstore`) start with.

use std::fs::File;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::time::Duration;

use prost::Message;
use tokio::sync::oneshot;
use wrapd_proto::state as hpb;

use super::{FORMAT_VERSION, VERSION, begin::installed_binary, fds, monotonic_us, shares, web};
use crate::daemon::Daemon;
use crate::error::Error;

/// How long a session may take to stop at a clean point.
const FREEZE_LIMIT: Duration = Duration::from_secs(5);

/// The sessions stopped, the state written. Dropping it thaws the sessions.
pub struct Frozen {
    pub state: hpb::Handover,
    /// The state encoded, in a memfd (close-on-exec), and its size.
    pub memfd: OwnedFd,
    pub bytes: usize,
    /// Our own binary, open, for a new image to fall back to.
    pub fallback: Option<OwnedFd>,
    /// Every descriptor the state names (and the memfd).
    pub keep: Vec<RawFd>,
    /// Dropping these thaws the sessions.
    resumes: Vec<oneshot::Sender<()>>,
}

impl Frozen {
    /// Let the sessions run on (the state stays as it was written).
    pub fn thaw(&mut self) {
        self.resumes.clear();
    }
}

/// Stop every session at a clean point (output not yet read stays in the
/// kernel) and write the daemon's state; why not, with nothing changed.
pub async fn freeze(daemon: &Arc<Daemon>, handover_id: String) -> Result<Frozen, String> {
    let (unix, lock, path, remove_on_exit) = daemon
        .handover
        .unix_listeners()
        .ok_or("the daemon is not serving its socket yet")?;
    let paused_at_us = monotonic_us();
    let mut sessions = Vec::new();
    let mut resumes = Vec::new();
    // All at once: each actor saves its terminal on its own worker thread.
    let handles = daemon.registry.list();
    let answers = futures_util::future::join_all(
        handles
            .iter()
            .map(|h| tokio::time::timeout(FREEZE_LIMIT, h.freeze())),
    )
    .await;
    for (handle, answer) in handles.iter().zip(answers) {
        match answer {
            Ok(Ok((frozen, resume))) => {
                sessions.push(frozen);
                resumes.push(resume);
            }
            // It ended meanwhile: nothing to hand over.
            Ok(Err(Error::SessionGone(_))) => {}
            Ok(Err(e)) => return Err(e.to_string()),
            Err(_) => {
                return Err(format!(
                    "session {} did not stop within {} s",
                    handle.id,
                    FREEZE_LIMIT.as_secs()
                ));
            }
        }
    }
    let fallback = File::open("/proc/self/exe").ok().map(OwnedFd::from);
    let systemd = daemon.handover.systemd();
    let share_port = daemon.share_port.fd();
    let web_door = daemon.handover.web_door_fd();
    let (shares, daily) = shares::save(&daemon.shares.lock());
    let mut keep: Vec<RawFd> = sessions.iter().filter_map(|s| s.pty_master).collect();
    keep.extend([unix, lock]);
    keep.extend(share_port);
    keep.extend(web_door);
    keep.extend(fallback.as_ref().map(|f| f.as_raw_fd()));
    let state = hpb::Handover {
        format: FORMAT_VERSION,
        min_reader: 1,
        writer_version: VERSION.to_owned(),
        writer_binary: installed_binary().to_string_lossy().into_owned(),
        handover_id,
        written_at_ms: crate::session::now_ms(),
        listeners: Some(hpb::Listeners {
            unix_socket: Some(unix),
            unix_socket_path: path.to_string_lossy().into_owned(),
            remove_socket_on_exit: remove_on_exit,
            lock: Some(lock),
            share_port,
            web_door,
        }),
        sessions,
        shares,
        fallback_exe: fallback.as_ref().map(|f| f.as_raw_fd()),
        args: std::env::args().skip(1).collect(),
        notify_socket: systemd.notify_socket,
        fdstore_max: systemd.fdstore_max as u32,
        daily,
        paused_at_us,
        web_credentials: web::save(&daemon.web_credentials),
    };
    let encoded = state.encode_to_vec();
    let memfd = fds::state_memfd(&encoded).map_err(|e| format!("writing the state: {e}"))?;
    keep.push(memfd.as_raw_fd());
    Ok(Frozen {
        state,
        memfd,
        bytes: encoded.len(),
        fallback,
        keep,
        resumes,
    })
}
