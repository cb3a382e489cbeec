//! Small helpers for child processes: stop them, run them, read their memory.

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// SIGHUP, then SIGKILL if it lingers; reaped either way.
pub fn stop(child: &mut Child) {
    if let Ok(None) = child.try_wait() {
        let pid = Pid::from_raw(child.id() as i32);
        let _ = kill(pid, Signal::SIGHUP);
        let deadline = Instant::now() + Duration::from_secs(2);
        while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = child.kill();
    }
    let _ = child.wait();
}

/// SIGTERM to a process that is not our child (a daemon), SIGKILL if it lingers.
pub fn terminate(pid: i32) {
    let pid = Pid::from_raw(pid);
    if kill(pid, Signal::SIGTERM).is_err() {
        return;
    }
    let deadline = Instant::now() + Duration::from_secs(3);
    while kill(pid, None).is_ok() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = kill(pid, Signal::SIGKILL);
}

/// Run to completion; its stdout, or an error with its stderr.
pub fn output(cmd: &mut Command) -> anyhow::Result<String> {
    let out = cmd
        .stdin(std::process::Stdio::null())
        .output()
        .with_context(|| format!("running {cmd:?}"))?;
    if !out.status.success() {
        bail!(
            "{cmd:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Resident memory of a process, in KiB (`VmRSS`).
pub fn rss_kib(pid: i32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .context("no VmRSS")
}

/// CPU time a process has used so far (user and system), in seconds.
pub fn cpu_seconds(pid: i32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    // Fields after the command name (in parentheses, which may hold spaces):
    // the 3rd field of the line is the first here; utime and stime are the
    // 14th and 15th.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| -> anyhow::Result<f64> {
        Ok(fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .with_context(|| format!("no CPU times in /proc/{pid}/stat"))? as f64)
    };
    let per_second = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .unwrap_or(100) as f64;
    Ok((ticks(11)? + ticks(12)?) / per_second)
}

/// Poll `check` every few milliseconds until it gives `Some`, or fail after `timeout`.
pub fn wait_for<T>(
    what: &str,
    timeout: Duration,
    mut check: impl FnMut() -> anyhow::Result<Option<T>>,
) -> anyhow::Result<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check()? {
            return Ok(v);
        }
        if Instant::now() > deadline {
            bail!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A thread that reads a process's resident memory every few milliseconds
/// until stopped (to see whether it grows while a program runs).
pub struct RssSampler {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<Vec<(Instant, u64)>>,
}

impl RssSampler {
    pub fn start(pid: i32) -> RssSampler {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut samples = Vec::new();
            while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(kib) = rss_kib(pid) {
                    samples.push((Instant::now(), kib));
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            samples
        });
        RssSampler { stop, thread }
    }

    /// Stop; the samples, oldest first: when, and KiB.
    pub fn stop(self) -> Vec<(Instant, u64)> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

/// How much `samples` grew from the first taken at or after `from` to the
/// last (KiB; negative if it shrank; 0 without samples after `from`).
pub fn growth_since(samples: &[(Instant, u64)], from: Instant) -> f64 {
    let after: Vec<u64> = samples
        .iter()
        .filter(|(t, _)| *t >= from)
        .map(|(_, kib)| *kib)
        .collect();
    match (after.first(), after.last()) {
        (Some(first), Some(last)) => *last as f64 - *first as f64,
        _ => 0.0,
    }
}
