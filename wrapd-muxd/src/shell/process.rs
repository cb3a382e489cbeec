//! What the daemon asks of a session's shell process directly (Linux /proc).

use nix::libc;

/// The signal our bash integration traps to mark its prompt strings again
/// (`trap … RTMAX-3` in `bash.sh`): a real-time one, which no shell setup
/// uses, and whose default action (ending the process) is why it is sent
/// only to a process that catches it.
fn remark_signal() -> libc::c_int {
    libc::SIGRTMAX() - 3
}

/// Ask the shell `pid` to mark its prompt again, if it catches the signal
/// for that (a program the shell `exec`ed into, or a shell without our
/// integration, gets nothing). Whether it was sent.
pub fn ask_to_remark(pid: u32) -> bool {
    let sig = remark_signal();
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    let caught = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .is_some_and(|status| catches(&status, sig));
    // nix's `Signal` has no real-time signals: libc's `kill`, which only
    // reads its two integers.
    caught && unsafe { libc::kill(pid, sig) } == 0
}

/// Whether /proc's `status` text says the process catches `sig`.
fn catches(status: &str, sig: libc::c_int) -> bool {
    let mask = status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok());
    matches!(mask, Some(m) if (1..=64).contains(&sig) && m & (1 << (sig - 1)) != 0)
}

/// The process's working directory now.
pub fn cwd(pid: u32) -> Option<String> {
    let path = std::fs::read_link(format!("/proc/{pid}/cwd")).ok()?;
    path.to_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caught_mask_is_read_bit_by_signal() {
        let status = "Name:\tbash\nSigIgn:\t0000000000384004\nSigCgt:\t100000004b813efb\n";
        assert!(catches(status, 61), "RTMAX-3 on Linux");
        assert!(catches(status, 1), "SIGHUP");
        assert!(!catches(status, 62));
        assert!(!catches(status, 0));
        assert!(!catches("SigCgt:\tnonsense\n", 61));
        assert!(!catches("", 61));
    }

    #[test]
    fn a_process_that_does_not_catch_the_signal_is_left_alone() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        assert!(!ask_to_remark(child.id()), "sleep does not catch it");
        assert!(child.try_wait().unwrap().is_none(), "and still runs");
        child.kill().unwrap();
        child.wait().unwrap();
    }

    #[test]
    fn a_process_that_catches_the_signal_gets_it() {
        // bash with the trap our integration sets, waiting for it.
        let mut child = std::process::Command::new("bash")
            .args([
                "-c",
                "trap 'echo marked; exit 0' RTMAX-3; echo ready; for i in {1..400}; do sleep 0.05; done; echo no signal",
            ])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        std::io::BufRead::read_line(&mut out, &mut line).unwrap();
        assert_eq!(line, "ready\n");
        assert!(ask_to_remark(child.id()));
        line.clear();
        std::io::BufRead::read_line(&mut out, &mut line).unwrap();
        assert_eq!(line, "marked\n");
        child.wait().unwrap();
    }

    #[test]
    fn a_process_cwd_is_read() {
        let here = std::env::current_dir().unwrap();
        assert_eq!(cwd(std::process::id()).as_deref(), here.to_str());
        assert_eq!(cwd(u32::MAX), None);
    }
}
