//! Restarting under systemd without losing a session: at SIGTERM, with a
//! descriptor store (`FileDescriptorStoreMax=`), the daemon stops its
//! sessions at a clean point and puts the state (a memfd) and every PTY
//! master in systemd's store, then leaves without hanging anything up. The
//! restarted daemon gets them back (`LISTEN_FDNAMES`), takes the sessions
//! over like an upgrade does, and takes them out of the store.
//!
//! On `systemctl stop` (no restart) systemd closes its copies: the
//! terminals hang up and the programs get SIGHUP, as at any stop. The
//! programs are not the new daemon's children: it learns that they ended
//! from their terminals and a pidfd, without their exit status.

use std::os::fd::{AsFd, AsRawFd, IntoRawFd, OwnedFd, RawFd};
use std::sync::Arc;

use anyhow::Context;
use prost::Message;
use wrapd_proto::state as hpb;

use super::freeze;
use super::take::{Incoming, check_format};
use crate::daemon::Daemon;
use crate::systemd::notify::Notifier;

/// Names in the store: the state, each session's PTY master, the share
/// port, the web door.
const STATE: &str = "wrapd-state";
const PTY: &str = "wrapd-pty-";
const SHARE_PORT: &str = "wrapd-share-port";
const WEB_DOOR: &str = "wrapd-web-door";

/// Put everything in systemd's store; true if done (the daemon must then
/// leave at once, hanging nothing up), false if the sessions run on here.
pub async fn store(daemon: &Arc<Daemon>, notifier: &Notifier) -> bool {
    let max = notifier.fdstore_max();
    if max == 0 {
        return false;
    }
    let frozen = match freeze::freeze(daemon, String::new()).await {
        Ok(f) => f,
        Err(why) => {
            tracing::error!("cannot keep the sessions across the restart: {why}");
            return false;
        }
    };
    let mut items: Vec<(String, RawFd)> = vec![(STATE.to_owned(), frozen.memfd.as_raw_fd())];
    for s in &frozen.state.sessions {
        items.extend(s.pty_master.map(|fd| (format!("{PTY}{}", s.id), fd)));
    }
    let listeners = frozen.state.listeners.clone().unwrap_or_default();
    let named = [
        (SHARE_PORT, listeners.share_port),
        (WEB_DOOR, listeners.web_door),
    ];
    for (name, fd) in named {
        items.extend(fd.map(|fd| (name.to_owned(), fd)));
    }
    if items.len() > max {
        tracing::error!(
            "cannot keep the sessions across the restart: they need {} descriptors, \
             FileDescriptorStoreMax= allows {max}",
            items.len()
        );
        return false;
    }
    for (i, (name, fd)) in items.iter().enumerate() {
        if let Err(e) = notifier.store(name, *fd) {
            tracing::error!("cannot put {name} in systemd's descriptor store: {e}");
            for (name, _) in &items[..i] {
                notifier.unstore(name);
            }
            return false;
        }
    }
    tracing::info!(
        sessions = frozen.state.sessions.len(),
        "the sessions wait in systemd's descriptor store for the restart"
    );
    // Frozen until the process ends: nothing more is read or hung up.
    std::mem::forget(frozen);
    true
}

/// The state our previous instance left in systemd's store, with the
/// descriptor numbers it names made ours.
pub fn incoming(stored: Vec<(String, OwnedFd)>) -> anyhow::Result<Option<Incoming>> {
    let names: Vec<String> = stored.iter().map(|(n, _)| n.clone()).collect();
    let mut fds: std::collections::HashMap<String, OwnedFd> = stored.into_iter().collect();
    let Some(memfd) = fds.remove(STATE) else {
        return Ok(None);
    };
    let bytes = super::fds::read_all(memfd.as_fd()).context("reading the stored state")?;
    let mut state =
        hpb::Handover::decode(&bytes[..]).context("the stored state is not a Handover")?;
    check_format(&state).map_err(anyhow::Error::msg)?;
    state.sessions.retain_mut(|s| {
        let fd = fds.remove(&format!("{PTY}{}", s.id));
        if fd.is_none() {
            tracing::error!(session = %s.name, "its terminal was not in the store: it is lost");
        }
        s.pty_master = fd.map(IntoRawFd::into_raw_fd);
        s.pty_master.is_some()
    });
    let listeners = state.listeners.get_or_insert_default();
    listeners.unix_socket = None;
    listeners.lock = None;
    listeners.share_port = fds.remove(SHARE_PORT).map(IntoRawFd::into_raw_fd);
    listeners.web_door = fds.remove(WEB_DOOR).map(IntoRawFd::into_raw_fd);
    state.fallback_exe = None;
    Ok(Some(Incoming {
        state,
        memfd,
        refused: None,
        test_refusal: None,
        restart: Some(names),
    }))
}
