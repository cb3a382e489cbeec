//! What a reload (SIGHUP, `systemctl --user reload wrapd-muxd`) does beyond
//! swapping the settings that are read at each use: the listeners and TLS
//! that were set up from the old ones follow the new ones, or the log says
//! precisely which setting could not be applied, and why.
//!
//! - `share.listen`, `share.team_ca`: the share port (`share::port`).
//! - `share.web_*`: the web door moves itself (`web::serve`); a door that
//!   was off (or could not open) opens here.
//! - `daemon.socket`, `limits.max_message_bytes`: not applied (said why).

use std::sync::Arc;

use wrapd_common::config::Config;

use crate::daemon::Daemon;

/// Apply what changed from `old` to `new` (already the daemon's settings);
/// what could not be, in words for the log.
pub fn apply(daemon: &Arc<Daemon>, old: &Config, new: &Config) -> Vec<String> {
    let mut problems = daemon
        .share_port
        .reconfigure(&daemon.ca, &new.share, &daemon.shutdown);
    if new.share.web_listen.is_some() && daemon.web_base().is_none() {
        // Off until now (or it could not open): open it; `web::start` says
        // why not in the log if it cannot.
        let _ = crate::web::start(daemon);
    }
    if old.daemon.socket != new.daemon.socket {
        problems.push(format!(
            "daemon.socket not applied, still serving {}: clients and the sessions' \
             WRAPD_SOCKET look for the daemon there; the new path is used from the next start",
            daemon.socket_path.display()
        ));
    }
    if old.limits.max_message_bytes != new.limits.max_message_bytes {
        problems.push(format!(
            "limits.max_message_bytes not applied, still {}: the gRPC servers fix it when \
             they start; the new value is used from the next start",
            old.limits.max_message_bytes
        ));
    }
    problems
}
