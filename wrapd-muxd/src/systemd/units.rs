//! `wrapd-muxd install-service` / `uninstall-service`: the unit files of the
//! repository's `systemd/` directory, written into the user's systemd
//! directory with `ExecStart` pointing at the wrapd-muxd that runs.

use std::io;
use std::path::{Path, PathBuf};

use wrapd_common::paths;

pub const SERVICE: &str = "wrapd-muxd.service";
pub const SOCKET: &str = "wrapd-muxd.socket";
const SERVICE_TEXT: &str = include_str!("../../../systemd/wrapd-muxd.service");
const SOCKET_TEXT: &str = include_str!("../../../systemd/wrapd-muxd.socket");
/// The program path the repository's unit names (where `cargo install` puts it).
const SHIPPED_PROGRAM: &str = "%h/.cargo/bin/wrapd-muxd";

/// `$XDG_CONFIG_HOME/systemd/user` (default `~/.config/systemd/user`).
pub fn user_unit_dir() -> PathBuf {
    paths::config_dir()
        .parent()
        .map(|d| d.join("systemd/user"))
        .unwrap_or_else(|| paths::home_dir().join(".config/systemd/user"))
}

/// The unit files, named, with `ExecStart` running `program`.
pub fn units(program: &Path) -> Result<Vec<(&'static str, String)>, io::Error> {
    let program = program
        .to_str()
        .filter(|p| !p.contains(char::is_whitespace));
    let Some(program) = program else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the path of wrapd-muxd has spaces or is not UTF-8: install it elsewhere",
        ));
    };
    // `%` starts a specifier in unit files.
    let program = program.replace('%', "%%");
    Ok(vec![
        (SERVICE, SERVICE_TEXT.replace(SHIPPED_PROGRAM, &program)),
        (SOCKET, SOCKET_TEXT.to_owned()),
    ])
}

/// Write the units into `dir`; the paths written.
pub fn install(dir: &Path, program: &Path) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for (name, text) in units(program)? {
        let path = dir.join(name);
        std::fs::write(&path, text)?;
        written.push(path);
    }
    Ok(written)
}

/// Remove the units from `dir`; the paths removed (missing ones are skipped).
pub fn uninstall(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    for name in [SERVICE, SOCKET] {
        let path = dir.join(name);
        match std::fs::remove_file(&path) {
            Ok(()) => removed.push(path),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_start_names_the_program() {
        let units = units(Path::new("/opt/wrapd/bin/wrapd-muxd")).unwrap();
        let service = &units[0].1;
        assert!(service.contains("\nExecStart=/opt/wrapd/bin/wrapd-muxd serve\n"));
        assert!(service.contains("\nType=notify\n"));
        assert!(service.contains("\nExecReload=/bin/kill -HUP $MAINPID\n"));
        // Restarts keep the sessions (see `handover::fdstore`).
        assert!(service.contains("\nFileDescriptorStoreMax=4096\n"));
        assert!(service.contains("\nKillMode=process\n"));
        assert!(units[1].1.contains("\nListenStream=%t/wrapd/muxd.sock\n"));
        assert!(super::units(Path::new("/my programs/wrapd-muxd")).is_err());
    }

    #[test]
    fn install_then_uninstall() {
        let dir = tempfile::tempdir().unwrap();
        let written = install(dir.path(), Path::new("/usr/bin/wrapd-muxd")).unwrap();
        assert_eq!(written.len(), 2);
        assert!(written.iter().all(|p| p.is_file()));
        assert_eq!(uninstall(dir.path()).unwrap(), written);
        assert!(uninstall(dir.path()).unwrap().is_empty());
    }
}
