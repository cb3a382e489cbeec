//! Descriptors across an exec: the state's memfd, close-on-exec on and off,
//! and `execve` itself.

use std::ffi::{CString, OsStr, OsString};
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;
use std::path::Path;

use nix::fcntl::{FcntlArg, FdFlag, fcntl};

/// The state, in a memfd (close-on-exec until the exec).
pub fn state_memfd(bytes: &[u8]) -> io::Result<OwnedFd> {
    let name = c"wrapd-handover";
    // SAFETY: a valid C string; the result is checked.
    let fd = unsafe { nix::libc::memfd_create(name.as_ptr(), nix::libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a descriptor memfd_create just gave us.
    let mut file = File::from(unsafe { OwnedFd::from_raw_fd(fd) });
    file.write_all(bytes)?;
    Ok(file.into())
}

/// Read all of `fd` from its start (pread: the offset, which the probe
/// shares with us, stays put).
pub fn read_all(fd: BorrowedFd<'_>) -> io::Result<Vec<u8>> {
    let file = File::from(fd.try_clone_to_owned()?);
    let len = file.metadata()?.len() as usize;
    let mut bytes = vec![0; len];
    file.read_exact_at(&mut bytes, 0)?;
    Ok(bytes)
}

/// Keep `fd` open across exec (`keep`) or not.
pub fn set_inherited(fd: RawFd, keep: bool) -> io::Result<()> {
    // SAFETY: only the flag changes; a closed fd gives EBADF.
    let fd = unsafe { BorrowedFd::borrow_raw(fd) };
    let flag = if keep {
        FdFlag::empty()
    } else {
        FdFlag::FD_CLOEXEC
    };
    fcntl(fd, FcntlArg::F_SETFD(flag))?;
    Ok(())
}

/// Is `fd` an open descriptor in this process?
pub fn is_open(fd: RawFd) -> bool {
    // SAFETY: F_GETFD only reads the descriptor's flags.
    unsafe { nix::libc::fcntl(fd, nix::libc::F_GETFD) >= 0 }
}

/// The environment for the next image: ours, with `set` in place of any
/// variable of the same name, and without those in `unset`.
pub fn next_env(set: &[(&str, String)], unset: &[&str]) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = std::env::vars_os()
        .filter(|(k, _)| {
            !set.iter().any(|(s, _)| k == OsStr::new(s)) && !unset.iter().any(|u| k == u)
        })
        .collect();
    env.extend(
        set.iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (OsString::from(k), OsString::from(v))),
    );
    env
}

fn cstrings(items: impl IntoIterator<Item = OsString>) -> io::Result<Vec<CString>> {
    items
        .into_iter()
        .map(|s| CString::new(s.as_bytes()).map_err(io::Error::other))
        .collect()
}

fn env_cstrings(env: Vec<(OsString, OsString)>) -> io::Result<Vec<CString>> {
    cstrings(env.into_iter().map(|(k, v)| {
        let mut kv = k;
        kv.push("=");
        kv.push(v);
        kv
    }))
}

/// Replace this process's image with `binary` (or, with `fd`, the binary
/// open there), with our own arguments. Returns only if the exec failed.
pub fn exec(
    binary: &Path,
    fd: Option<BorrowedFd<'_>>,
    env: Vec<(OsString, OsString)>,
) -> io::Error {
    let args = std::iter::once(binary.as_os_str().to_owned()).chain(std::env::args_os().skip(1));
    let (args, env) = match (cstrings(args), env_cstrings(env)) {
        (Ok(a), Ok(e)) => (a, e),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let result = match fd {
        Some(fd) => nix::unistd::fexecve(fd, &args, &env),
        None => match CString::new(binary.as_os_str().as_bytes()) {
            Ok(path) => nix::unistd::execve(&path, &args, &env),
            Err(e) => return io::Error::other(e),
        },
    };
    match result {
        Err(e) => e.into(),
        Ok(never) => match never {},
    }
}

/// The descriptor behind `fd`'s number, owned from now on.
///
/// # Safety
/// `fd` must be open and owned by nobody else in this process (a descriptor
/// the previous image passed on and nothing here has taken yet).
pub unsafe fn take(fd: RawFd) -> OwnedFd {
    // SAFETY: as the caller promises.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::{AsFd, AsRawFd};

    #[test]
    fn a_memfd_reads_back_whole_and_its_flag_toggles() {
        let fd = state_memfd(b"hello state").unwrap();
        assert_eq!(read_all(fd.as_fd()).unwrap(), b"hello state");
        let raw = fd.as_raw_fd();
        let flags = || fcntl(fd.as_fd(), FcntlArg::F_GETFD).unwrap();
        assert_eq!(flags() & nix::libc::FD_CLOEXEC, nix::libc::FD_CLOEXEC);
        set_inherited(raw, true).unwrap();
        assert_eq!(flags() & nix::libc::FD_CLOEXEC, 0);
        set_inherited(raw, false).unwrap();
        assert!(is_open(raw));
        drop(fd);
        assert!(!is_open(raw));
    }

    #[test]
    fn the_next_environment_replaces_and_drops() {
        let env = next_env(
            &[("PATH", "/x".into()), ("WRAPD_EMPTY", String::new())],
            &["HOME"],
        );
        let get = |k: &str| env.iter().filter(|(ek, _)| ek == k).count();
        assert_eq!(get("PATH"), 1);
        assert!(env.contains(&("PATH".into(), "/x".into())));
        assert_eq!(get("HOME"), 0);
        assert_eq!(get("WRAPD_EMPTY"), 0, "empty values are not set");
    }
}
