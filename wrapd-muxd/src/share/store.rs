//! Revocations that outlive the daemon: serials of removed participants'
//! certificates and ids of stopped shares, in `revoked.json` (mode 0600) in
//! the share state directory.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Revoked {
    /// Certificate serials (lower-case hex) refused from now on.
    pub serials: BTreeSet<String>,
    /// Shares that were stopped: every certificate naming one is refused.
    pub shares: BTreeSet<String>,
}

pub struct RevocationStore {
    path: Option<PathBuf>,
    pub revoked: Revoked,
}

impl RevocationStore {
    /// Load `dir/revoked.json`; a missing file is an empty list. A file that
    /// cannot be read or parsed is an error: starting with an empty list would
    /// let every revoked certificate back in.
    pub fn load(dir: &Path) -> Result<RevocationStore, String> {
        let path = dir.join("revoked.json");
        let revoked = match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map_err(|e| format!("{}: not a revocation list ({e})", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Revoked::default(),
            Err(e) => return Err(format!("{}: cannot read it ({e})", path.display())),
        };
        Ok(RevocationStore {
            path: Some(path),
            revoked,
        })
    }

    /// Revocations kept in memory only (sharing off, or tests).
    pub fn in_memory() -> RevocationStore {
        RevocationStore {
            path: None,
            revoked: Revoked::default(),
        }
    }

    pub fn is_revoked(&self, serial: &str, share: &str) -> bool {
        self.revoked.serials.contains(serial) || self.revoked.shares.contains(share)
    }

    pub fn revoke_serial(&mut self, serial: &str) {
        if self.revoked.serials.insert(serial.to_owned()) {
            self.save();
        }
    }

    pub fn revoke_share(&mut self, share: &str) {
        if self.revoked.shares.insert(share.to_owned()) {
            self.save();
        }
    }

    fn save(&self) {
        let Some(path) = &self.path else { return };
        let text = serde_json::to_string_pretty(&self.revoked).unwrap_or_default();
        if let Err(e) = super::ca::write_private(path, text.as_bytes()) {
            tracing::error!("cannot save the revocation list: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revocations_survive_a_reload() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = RevocationStore::load(dir.path()).unwrap();
        s.revoke_serial("0abc");
        s.revoke_share("s1");
        let s = RevocationStore::load(dir.path()).unwrap();
        assert!(s.is_revoked("0abc", "other"));
        assert!(s.is_revoked("ffff", "s1"));
        assert!(!s.is_revoked("ffff", "s2"));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("revoked.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_corrupt_or_unreadable_list_is_an_error_not_an_empty_list() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("revoked.json");
        std::fs::write(&path, "{\"serials\": [\"0abc\"").unwrap();
        let e = RevocationStore::load(dir.path()).err().unwrap();
        assert!(e.contains("not a revocation list"), "{e}");
        std::fs::remove_file(&path).unwrap();
        std::fs::create_dir(&path).unwrap();
        let e = RevocationStore::load(dir.path()).err().unwrap();
        assert!(e.contains("cannot read"), "{e}");
    }
}
