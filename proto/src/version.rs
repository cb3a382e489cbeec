//! Versions spoken aloud: what each side says of itself when they meet, and
//! whether they can work together.
//!
//! Every program says its package version (for people) and the protocol it
//! speaks (a number that grows when a change needs both sides to know of it),
//! and the oldest protocol it still serves. Fields added to the API without
//! breaking old peers (the usual protobuf way) change neither number. 0 is "a
//! peer older than this": it is served as it always was.

/// The protocol this build speaks.
pub const PROTOCOL: u32 = 1;
/// The oldest protocol this build still works with.
pub const MIN_PROTOCOL: u32 = 1;
/// This build's package version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What a program says of itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Speaker<'a> {
    pub version: &'a str,
    pub protocol: u32,
    pub min_protocol: u32,
}

impl Speaker<'static> {
    /// This build.
    pub const fn this_build() -> Speaker<'static> {
        Speaker {
            version: VERSION,
            protocol: PROTOCOL,
            min_protocol: MIN_PROTOCOL,
        }
    }
}

/// Can `client` and `daemon` work together? If not, what to tell the user
/// (both versions and what fixes it). A peer that said nothing (protocol 0)
/// is taken to speak what the other side serves.
pub fn mismatch(client: Speaker<'_>, daemon: Speaker<'_>) -> Option<String> {
    if daemon.protocol != 0 && daemon.protocol < client.min_protocol {
        return Some(format!(
            "wrapd-muxd {} (protocol {}) is older than this wrapd-attach {} needs \
             (protocol {} or newer): run `wrapd-muxd upgrade` to hand its sessions to the \
             installed wrapd-muxd without losing them",
            daemon.version, daemon.protocol, client.version, client.min_protocol
        ));
    }
    if client.protocol != 0 && client.protocol < daemon.min_protocol {
        return Some(format!(
            "this wrapd-attach {} (protocol {}) is older than wrapd-muxd {} serves \
             (protocol {} or newer): use the wrapd-attach installed with that wrapd-muxd \
             (the same version)",
            client.version, client.protocol, daemon.version, daemon.min_protocol
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn speaker(version: &str, protocol: u32, min_protocol: u32) -> Speaker<'_> {
        Speaker {
            version,
            protocol,
            min_protocol,
        }
    }

    #[test]
    fn the_same_build_and_silent_old_peers_work_together() {
        let this = Speaker::this_build();
        assert_eq!(mismatch(this, this), None);
        assert_eq!(mismatch(this, speaker("0.0.9", 0, 0)), None);
        assert_eq!(mismatch(speaker("", 0, 0), this), None);
        // Within each other's ranges.
        assert_eq!(mismatch(speaker("2", 3, 2), speaker("1", 2, 1)), None);
    }

    #[test]
    fn an_old_daemon_is_named_with_both_versions_and_the_upgrade() {
        let why = mismatch(speaker("0.3.0", 3, 3), speaker("0.2.0", 2, 1)).unwrap();
        assert!(why.contains("wrapd-muxd 0.2.0 (protocol 2)"), "{why}");
        assert!(why.contains("wrapd-attach 0.3.0"), "{why}");
        assert!(why.contains("`wrapd-muxd upgrade`"), "{why}");
    }

    #[test]
    fn an_old_client_is_told_which_one_to_use() {
        let why = mismatch(speaker("0.1.0", 1, 1), speaker("0.4.0", 4, 3)).unwrap();
        assert!(why.contains("wrapd-attach 0.1.0 (protocol 1)"), "{why}");
        assert!(
            why.contains("wrapd-muxd 0.4.0 serves (protocol 3 or newer)"),
            "{why}"
        );
    }
}
