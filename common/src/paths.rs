//! Where wrapd keeps its socket, lock and state.
//!
//! The socket is `$WRAPD_SOCKET` if set, else `$XDG_RUNTIME_DIR/wrapd/muxd.sock`,
//! else `/tmp/wrapd-$UID/muxd.sock`. Its directory is created with mode 0700 and
//! must belong to us: a directory another user owns (or one open to others) is
//! refused, since anyone who can replace the socket could impersonate the daemon.

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The socket path the daemon listens on and clients connect to.
pub fn socket_path() -> PathBuf {
    socket_path_or(None)
}

/// `$WRAPD_SOCKET`, else `configured` (the config's `daemon.socket`), else the
/// runtime directory's socket.
pub fn socket_path_or(configured: Option<&Path>) -> PathBuf {
    if let Some(p) = std::env::var_os("WRAPD_SOCKET").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    if let Some(p) = configured {
        return p.to_owned();
    }
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").filter(|p| !p.is_empty()) {
        return Path::new(&dir).join("wrapd").join("muxd.sock");
    }
    PathBuf::from(format!("/tmp/wrapd-{}", nix::unistd::getuid())).join("muxd.sock")
}

/// The lock file that makes sure only one daemon serves a socket.
pub fn lock_path(socket: &Path) -> PathBuf {
    let mut name = socket.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    socket.with_file_name(name)
}

/// `$XDG_STATE_HOME/wrapd` (default `~/.local/state/wrapd`): logs of a daemon
/// started in the background.
pub fn state_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_STATE_HOME").filter(|p| !p.is_empty()) {
        return Path::new(&dir).join("wrapd");
    }
    home_dir().join(".local/state/wrapd")
}

/// `$XDG_CONFIG_HOME/wrapd` (default `~/.config/wrapd`).
pub fn config_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_CONFIG_HOME").filter(|p| !p.is_empty()) {
        return Path::new(&dir).join("wrapd");
    }
    home_dir().join(".config/wrapd")
}

/// `$HOME`, else the home directory of our uid in the password database, else `/`.
pub fn home_dir() -> PathBuf {
    if let Some(h) = std::env::var_os("HOME").filter(|p| !p.is_empty()) {
        return PathBuf::from(h);
    }
    nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map(|u| u.dir)
        .unwrap_or_else(|| PathBuf::from("/"))
}

/// Create `dir` (and parents) with mode 0700, or check that an existing one is
/// ours and closed to others.
pub fn ensure_private_dir(dir: &Path) -> io::Result<()> {
    match fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
    {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    let meta = fs::metadata(dir)?;
    if !meta.is_dir() {
        return Err(io::Error::other(format!(
            "{} is not a directory",
            dir.display()
        )));
    }
    let uid = nix::unistd::getuid().as_raw();
    if meta.uid() != uid {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} belongs to uid {}, not to us (uid {uid})",
                dir.display(),
                meta.uid()
            ),
        ));
    }
    if meta.mode() & 0o077 != 0 {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_dir_is_created_0700_and_tightened() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b");
        ensure_private_dir(&dir).unwrap();
        assert_eq!(fs::metadata(&dir).unwrap().mode() & 0o777, 0o700);
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        ensure_private_dir(&dir).unwrap();
        assert_eq!(fs::metadata(&dir).unwrap().mode() & 0o777, 0o700);
    }

    #[test]
    fn lock_sits_next_to_socket() {
        assert_eq!(
            lock_path(Path::new("/x/y/muxd.sock")),
            Path::new("/x/y/muxd.sock.lock")
        );
    }
}
