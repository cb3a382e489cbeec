//! What joining a share leaves behind: our key, the certificate the daemon
//! issued and its CA, under `$XDG_DATA_HOME/wrapd/joined/<share-id>@<host>/`
//! (directories 0700, files 0600), so that joining again reconnects without
//! a second enrollment while the certificate lasts. Each join removes the
//! folders whose certificate has expired.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use wrapd_proto::link::ShareLink;

use super::tls::ClientIdentity;

const KEY: &str = "key.pem";
const CERTIFICATE: &str = "cert.pem";
const CA: &str = "ca.pem";

/// `$XDG_DATA_HOME/wrapd` (default `~/.local/share/wrapd`).
pub fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|p| !p.is_empty()) {
        return Path::new(&dir).join("wrapd");
    }
    wrapd_common::paths::home_dir().join(".local/share/wrapd")
}

/// One joined share's directory.
#[derive(Debug, Clone)]
pub struct JoinedShare {
    pub dir: PathBuf,
}

/// A stored identity for a share.
#[derive(Clone)]
pub struct Stored {
    pub identity: ClientIdentity,
    pub ca_pem: String,
    /// When the certificate stops being valid (seconds since the epoch).
    pub not_after: i64,
}

impl Stored {
    /// Still good for at least a minute.
    pub fn is_current(&self) -> bool {
        self.not_after > now() + 60
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Remove the folders under `data_dir/joined/` whose certificate has
/// expired: they can never connect again (joining that share again enrolls
/// anew, if its link still can). Folders without a readable certificate,
/// and anything that is not a folder, stay. The folders removed.
pub fn prune_expired(data_dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(data_dir.join("joined")) else {
        return Vec::new();
    };
    let now = now();
    entries
        .flatten()
        // (The entry's own type: a symbolic link is not followed.)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .filter(|dir| {
            fs::read_to_string(dir.join(CERTIFICATE))
                .ok()
                .and_then(|pem| not_after(&pem))
                .is_some_and(|end| end <= now)
        })
        .filter(|dir| fs::remove_dir_all(dir).is_ok())
        .collect()
}

impl JoinedShare {
    pub fn for_link(link: &ShareLink) -> JoinedShare {
        JoinedShare::under(&data_dir(), link)
    }

    pub fn under(data_dir: &Path, link: &ShareLink) -> JoinedShare {
        let host = link.addr.rsplit_once(':').map_or(&*link.addr, |(h, _)| h);
        let name: String = format!("{}@{}", link.share_id, host.trim_matches(['[', ']']))
            .chars()
            .map(|c| if c == '/' || c.is_control() { '_' } else { c })
            .collect();
        JoinedShare {
            dir: data_dir.join("joined").join(name),
        }
    }

    /// The stored identity, if there is a complete one.
    pub fn load(&self) -> Option<Stored> {
        let read = |f: &str| fs::read_to_string(self.dir.join(f)).ok();
        let (key_pem, certificate_pem, ca_pem) = (read(KEY)?, read(CERTIFICATE)?, read(CA)?);
        let not_after = not_after(&certificate_pem)?;
        Some(Stored {
            identity: ClientIdentity {
                certificate_pem,
                key_pem,
            },
            ca_pem,
            not_after,
        })
    }

    /// Keep an identity (replacing any older one).
    pub fn save(&self, key_pem: &str, certificate_pem: &str, ca_pem: &str) -> Result<()> {
        private_dir(&self.dir).with_context(|| format!("creating {}", self.dir.display()))?;
        for (name, text) in [(KEY, key_pem), (CERTIFICATE, certificate_pem), (CA, ca_pem)] {
            write_private(&self.dir.join(name), text.as_bytes())
                .with_context(|| format!("writing {}", self.dir.join(name).display()))?;
        }
        Ok(())
    }
}

/// The certificate's end of validity, seconds since the epoch.
pub fn not_after(certificate_pem: &str) -> Option<i64> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(certificate_pem.as_bytes()).ok()?;
    let cert = pem.parse_x509().ok()?;
    Some(cert.validity().not_after.timestamp())
}

/// Create `dir` and its missing parents with mode 0700; tighten `dir` itself
/// if it exists with a looser mode.
fn private_dir(dir: &Path) -> io::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
}

/// Write a file readable by us only, atomically (a temporary file renamed).
fn write_private(path: &Path, data: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension("tmp");
    let _ = fs::remove_file(&tmp);
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(data)?;
    f.sync_all()?;
    fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    fn link() -> ShareLink {
        ShareLink::parse(&format!(
            "wrapd://box.example:7443/s/abc123?ca=sha256:{}#secret",
            "0".repeat(64)
        ))
        .unwrap()
    }

    fn certificate_pem() -> String {
        let key = rcgen::KeyPair::generate().unwrap();
        rcgen::CertificateParams::new(vec!["me".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap()
            .pem()
    }

    #[test]
    fn the_store_is_private_and_reloads() {
        let tmp = tempfile::tempdir().unwrap();
        let share = JoinedShare::under(tmp.path(), &link());
        assert!(share.dir.ends_with("joined/abc123@box.example"));
        assert!(share.load().is_none());
        let cert = certificate_pem();
        share.save("KEY", &cert, "CA").unwrap();
        for dir in [&share.dir, &tmp.path().join("joined")] {
            assert_eq!(fs::metadata(dir).unwrap().mode() & 0o777, 0o700, "{dir:?}");
        }
        for f in [KEY, CERTIFICATE, CA] {
            let mode = fs::metadata(share.dir.join(f)).unwrap().mode() & 0o777;
            assert_eq!(mode, 0o600, "{f}");
        }
        let stored = share.load().unwrap();
        assert_eq!(stored.identity.key_pem, "KEY");
        assert_eq!(stored.ca_pem, "CA");
        // rcgen's default validity runs for years.
        assert!(stored.is_current());
        // Saving again replaces, and a loosened directory is tightened.
        fs::set_permissions(&share.dir, fs::Permissions::from_mode(0o755)).unwrap();
        share.save("KEY2", &cert, "CA").unwrap();
        assert_eq!(fs::metadata(&share.dir).unwrap().mode() & 0o777, 0o700);
        assert_eq!(share.load().unwrap().identity.key_pem, "KEY2");
    }

    fn expired_certificate_pem() -> String {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["me".to_owned()]).unwrap();
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2020, 1, 2);
        params.self_signed(&key).unwrap().pem()
    }

    #[test]
    fn folders_of_expired_certificates_are_pruned_and_nothing_else() {
        let tmp = tempfile::tempdir().unwrap();
        let joined = tmp.path().join("joined");
        let current = joined.join("current@box");
        let expired = joined.join("expired@box");
        let unreadable = joined.join("no-certificate@box");
        for (dir, cert) in [
            (&current, certificate_pem()),
            (&expired, expired_certificate_pem()),
        ] {
            JoinedShare { dir: dir.clone() }
                .save("KEY", &cert, "CA")
                .unwrap();
        }
        fs::create_dir_all(&unreadable).unwrap();
        fs::write(joined.join("a-file"), "").unwrap();
        // A link to an expired folder is not followed.
        let outside = tmp.path().join("outside");
        JoinedShare {
            dir: outside.clone(),
        }
        .save("KEY", &expired_certificate_pem(), "CA")
        .unwrap();
        std::os::unix::fs::symlink(&outside, joined.join("link@box")).unwrap();

        assert_eq!(prune_expired(tmp.path()), vec![expired.clone()]);
        assert!(!expired.exists());
        for kept in [&current, &unreadable, &joined.join("a-file"), &outside] {
            assert!(kept.exists(), "{kept:?}");
        }
        assert!(prune_expired(tmp.path()).is_empty());
        assert!(prune_expired(&tmp.path().join("none")).is_empty());
    }

    #[test]
    fn an_expired_certificate_is_not_current() {
        let pem = expired_certificate_pem();
        let stored = Stored {
            identity: ClientIdentity {
                certificate_pem: pem.clone(),
                key_pem: String::new(),
            },
            ca_pem: String::new(),
            not_after: not_after(&pem).unwrap(),
        };
        assert!(!stored.is_current());
    }
}
