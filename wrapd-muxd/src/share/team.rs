//! Teams without a PKI of their own: `wrapd-muxd team init` makes a team CA,
//! `wrapd-muxd team issue EMAIL` a member's identity (key and certificate,
//! mode 0600) to hand over. Daemons that trust the team CA (`share.team_ca`)
//! let its members join shares that allow the team, with no invitation.

use std::path::{Path, PathBuf};

use super::ca::{Ca, CaError, write_private};

/// `$XDG_CONFIG_HOME/wrapd/team`: where `team init` puts the CA by default.
pub fn default_dir() -> PathBuf {
    wrapd_common::paths::config_dir().join("team")
}

/// Make (or find) the team CA in `dir`; true if it was made now.
pub fn init(dir: &Path) -> Result<(Ca, bool), CaError> {
    let existed = dir.join("ca.pem").exists() && dir.join("ca.key").exists();
    let ca = Ca::load_or_create(dir, "wrapd team CA")?;
    Ok((ca, !existed))
}

/// Where a member's identity goes.
pub struct MemberFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Issue an identity for `email` (display name `name`) into `dir/members/`.
pub fn issue(dir: &Path, email: &str, name: &str) -> Result<MemberFiles, CaError> {
    if !dir.join("ca.key").exists() {
        return Err(CaError::Io {
            path: dir.join("ca.key"),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no team CA here: run `wrapd-muxd team init` first",
            ),
        });
    }
    let ca = Ca::load_or_create(dir, "wrapd team CA")?;
    let identity = ca.issue_member(name, email)?;
    let members = dir.join("members");
    wrapd_common::paths::ensure_private_dir(&members).map_err(|source| CaError::Io {
        path: members.clone(),
        source,
    })?;
    let base: String = email
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "@.-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let files = MemberFiles {
        cert: members.join(format!("{base}.pem")),
        key: members.join(format!("{base}.key")),
    };
    write_private(&files.key, identity.key_pem.as_bytes())?;
    write_private(&files.cert, identity.cert_pem.as_bytes())?;
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_team_ca_issues_member_identities() {
        let dir = tempfile::tempdir().unwrap();
        let team = dir.path().join("team");
        let (_, made) = init(&team).unwrap();
        assert!(made);
        let (_, made) = init(&team).unwrap();
        assert!(!made, "init keeps an existing CA");
        let files = issue(&team, "ada@example.org", "Ada").unwrap();
        for f in [&files.cert, &files.key, &team.join("ca.key")] {
            let mode = std::fs::metadata(f).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{}", f.display());
        }
        let pem = std::fs::read_to_string(&files.cert).unwrap();
        let der = super::super::ca::pem_to_der(&pem).unwrap();
        let cert = super::super::identity::PeerCert::parse(&der).unwrap();
        assert_eq!(
            (cert.name.as_str(), cert.email.as_str()),
            ("Ada", "ada@example.org")
        );
        assert!(cert.share.is_none());
        let missing = issue(&dir.path().join("none"), "x@y.z", "X").err().unwrap();
        assert!(missing.to_string().contains("team init"), "{missing}");
    }
}
