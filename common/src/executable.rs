//! The daemon's own executable as `ServerInfo` reports it, and how a client
//! tells whether the file on disk is still the one running.
//!
//! A package upgrade replaces the file (a new inode renamed over the old
//! path: Linux will not let a running program's file be written), so the
//! running daemon keeps the old one: `/proc/self/exe` then names the path with
//! " (deleted)", and its metadata is still the old file's.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use wrapd_proto::pb;

const SELF_EXE: &str = "/proc/self/exe";
const DELETED: &str = " (deleted)";

/// The executable this process runs, now.
pub fn running() -> pb::Executable {
    let shown = std::fs::read_link(SELF_EXE)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (path, replaced) = match shown.strip_suffix(DELETED) {
        Some(path) => (path.to_owned(), true),
        None => (shown, false),
    };
    let (size, mtime_ns) = std::fs::metadata(SELF_EXE)
        .map(|m| (m.len(), mtime_ns(&m)))
        .unwrap_or_default();
    pb::Executable {
        path,
        replaced,
        size,
        mtime_ns,
    }
}

fn mtime_ns(m: &std::fs::Metadata) -> u64 {
    (m.mtime().max(0) as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(m.mtime_nsec().max(0) as u64)
}

/// What became of a running program's file since it started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnDisk {
    /// The file at its path is still the one running (or nothing is known).
    Same,
    /// Another file is there now (an upgrade).
    Replaced,
    /// Nothing is there any more.
    Removed,
}

/// Compare `exe` (as a daemon reported it) with the file at its path now.
pub fn on_disk(exe: &pb::Executable) -> OnDisk {
    if exe.path.is_empty() {
        return OnDisk::Same;
    }
    match std::fs::metadata(Path::new(&exe.path)) {
        Err(_) => OnDisk::Removed,
        Ok(_) if exe.replaced => OnDisk::Replaced,
        Ok(m) if (m.len(), mtime_ns(&m)) != (exe.size, exe.mtime_ns) => OnDisk::Replaced,
        Ok(_) => OnDisk::Same,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_runs_the_file_on_disk() {
        let exe = running();
        assert!(!exe.replaced, "{exe:?}");
        assert!(exe.size > 0, "{exe:?}");
        assert_eq!(on_disk(&exe), OnDisk::Same);
    }

    #[test]
    fn a_file_replaced_or_removed_since_is_noticed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wrapd-muxd");
        std::fs::write(&path, b"old build").unwrap();
        let m = std::fs::metadata(&path).unwrap();
        let exe = pb::Executable {
            path: path.to_string_lossy().into_owned(),
            replaced: false,
            size: m.len(),
            mtime_ns: mtime_ns(&m),
        };
        assert_eq!(on_disk(&exe), OnDisk::Same);
        // As a package manager does: a new file renamed over the old one.
        std::fs::write(dir.path().join("new"), b"the new build").unwrap();
        std::fs::rename(dir.path().join("new"), &path).unwrap();
        assert_eq!(on_disk(&exe), OnDisk::Replaced);
        let told = pb::Executable {
            replaced: true,
            size: 13,
            ..exe.clone()
        };
        assert_eq!(on_disk(&told), OnDisk::Replaced, "the daemon's word counts");
        std::fs::remove_file(&path).unwrap();
        assert_eq!(on_disk(&exe), OnDisk::Removed);
    }
}
