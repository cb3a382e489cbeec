//! Waiting for a program that an earlier image of this daemon started.
//!
//! After a hand-over (execve, same pid) the sessions' programs are still our
//! children, but no `tokio::process::Child` knows them: we wait for them by
//! pid, on every SIGCHLD. (Tokio's own reaper only ever waits for the pids of
//! its `Child`ren, never for any child, so it takes none of these.) After a
//! restart under systemd they are not our children at all: a pidfd says
//! when they end.

use std::io;
use std::os::fd::FromRawFd;

use nix::errno::Errno;
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;
use tokio::signal::unix::{SignalKind, signal};

use super::ExitStatus;

/// What an exit looks like whose status nobody can know: a program that
/// is not our child (after a restart under systemd), or one the earlier
/// image reaped in the moment before it handed over.
const UNKNOWN: ExitStatus = ExitStatus::Code(-1);

/// The exit status of `pid`, once it has exited.
pub async fn wait(pid: u32) -> io::Result<ExitStatus> {
    // Listening before the first look: an exit between the two still wakes us.
    let mut sigchld = signal(SignalKind::child())?;
    loop {
        match try_wait(pid)? {
            Waited::Exited(status) => return Ok(status),
            Waited::Running => {}
            Waited::NotOurs => return wait_not_ours(pid).await,
        }
        if sigchld.recv().await.is_none() {
            return Err(io::Error::other("SIGCHLD is no longer delivered"));
        }
    }
}

enum Waited {
    Exited(ExitStatus),
    Running,
    NotOurs,
}

/// The status of `pid` if it has exited (and reap it).
fn try_wait(pid: u32) -> io::Result<Waited> {
    loop {
        return match waitpid(Pid::from_raw(pid as i32), Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Exited(_, code)) => Ok(Waited::Exited(ExitStatus::Code(code))),
            Ok(WaitStatus::Signaled(_, sig, _)) => {
                Ok(Waited::Exited(ExitStatus::Signal(sig as i32)))
            }
            // Still running (stops and continues are not reported without
            // WUNTRACED/WCONTINUED).
            Ok(_) => Ok(Waited::Running),
            Err(Errno::EINTR) => continue,
            Err(Errno::ECHILD) => Ok(Waited::NotOurs),
            Err(e) => Err(e.into()),
        };
    }
}

/// Wait for a process that is not our child to end (a pidfd becomes
/// readable then); its status is not ours to know.
async fn wait_not_ours(pid: u32) -> io::Result<ExitStatus> {
    // SAFETY: a plain system call; the result is checked.
    let fd = unsafe { nix::libc::syscall(nix::libc::SYS_pidfd_open, pid as i32, 0) };
    if fd < 0 {
        // ESRCH: already gone.
        return Ok(UNKNOWN);
    }
    // SAFETY: pidfd_open just gave us this descriptor.
    let fd = unsafe { std::os::fd::OwnedFd::from_raw_fd(fd as i32) };
    // SAFETY: the descriptor is ours and lives inside the AsyncFd.
    let fd = unsafe {
        tokio::io::unix::AsyncFd::register_with_interest(fd, tokio::io::Interest::READABLE)
    }?;
    let _ = fd.readable().await?;
    Ok(UNKNOWN)
}

#[cfg(test)]
mod tests {
    use super::*;

    // They are reaped by pid: what is tested.
    #[allow(clippy::zombie_processes)]
    #[tokio::test]
    async fn waits_for_a_child_by_pid() {
        let child = std::process::Command::new("sh")
            .args(["-c", "sleep 0.2; exit 7"])
            .spawn()
            .unwrap();
        let status = wait(child.id()).await.unwrap();
        assert_eq!(status, ExitStatus::Code(7));
        let killed = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        nix::sys::signal::kill(
            Pid::from_raw(killed.id() as i32),
            nix::sys::signal::Signal::SIGKILL,
        )
        .unwrap();
        assert_eq!(wait(killed.id()).await.unwrap(), ExitStatus::Signal(9));
    }

    #[tokio::test]
    async fn waits_for_a_process_that_is_not_our_child() {
        // A grandchild: its parent leaves it behind at once.
        let out = std::process::Command::new("sh")
            .args(["-c", "sleep 0.3 >/dev/null 2>&1 & echo $!"])
            .output()
            .unwrap();
        let pid: u32 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        let alive = || nix::sys::signal::kill(Pid::from_raw(pid as i32), None).is_ok();
        assert!(alive());
        assert_eq!(wait(pid).await.unwrap(), UNKNOWN);
        // (Its new parent reaps it; until then it may linger as a zombie.)
        let gone = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map_or(true, |s| s.contains(") Z "));
        assert!(gone, "it had not ended");
    }
}
