//! The new binary, run once before the point of no return: it reads the
//! real state (the memfd, inherited) exactly as its image would after the
//! exec, and says `ready VERSION` — or why not. The old image execs only
//! after that answer, within [`deadline`].

use std::os::fd::{AsRawFd, BorrowedFd};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncReadExt;

use super::ENV_STATE_FD;

/// The hidden subcommand the probe runs.
pub const SUBCOMMAND: &str = "handover-probe";
/// What the probe prints first when it can take the state.
const READY: &str = "ready ";
/// Bytes of the probe's error output quoted in a refusal.
const QUOTED_STDERR: usize = 600;

/// How long the probe may take [default 10 s; `WRAPD_HANDOVER_DEADLINE_MS`].
pub fn deadline() -> Duration {
    std::env::var("WRAPD_HANDOVER_DEADLINE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(Duration::from_secs(10))
}

/// Run `binary` as a probe of the state in `state`; the version it reports,
/// or why it cannot take over (in words for the owner).
pub async fn run(binary: &Path, state: BorrowedFd<'_>) -> Result<String, String> {
    let fd = state.as_raw_fd();
    let mut command = tokio::process::Command::new(binary);
    command
        .arg(SUBCOMMAND)
        .env(ENV_STATE_FD, fd.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // SAFETY: between fork and exec only fcntl, which is async-signal-safe;
    // it clears close-on-exec on the child's copy of the memfd alone.
    unsafe {
        command.pre_exec(move || {
            if nix::libc::fcntl(fd, nix::libc::F_SETFD, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let shown = binary.display();
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let limit = deadline();
    let answer = tokio::time::timeout(limit, async {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let (_, _, status) = tokio::join!(
            stdout.read_to_end(&mut out),
            stderr.read_to_end(&mut err),
            child.wait()
        );
        (out, err, status)
    })
    .await;
    let Ok((out, err, status)) = answer else {
        return Err(format!(
            "{shown} was not ready within {:.1} s of reading the state \
             (WRAPD_HANDOVER_DEADLINE_MS sets the limit)",
            limit.as_secs_f64()
        ));
    };
    let status = status.map_err(|e| format!("waiting for {shown}: {e}"))?;
    let out = String::from_utf8_lossy(&out);
    let err = String::from_utf8_lossy(&err);
    let err = err.trim();
    let err: String = err.chars().take(QUOTED_STDERR).collect();
    let said = if err.is_empty() {
        String::new()
    } else {
        format!(": {err}")
    };
    if !status.success() {
        return Err(format!("{shown} refused the state ({status}){said}"));
    }
    match out.lines().next().and_then(|l| l.strip_prefix(READY)) {
        Some(version) => Ok(version.trim().to_owned()),
        None => Err(format!(
            "{shown} did not say it is ready (is it a wrapd-muxd that can take over? \
             it printed {:?}){said}",
            out.chars().take(80).collect::<String>()
        )),
    }
}

/// Being the probe: read the state named by `WRAPD_HANDOVER_FD` and check
/// everything the new image would check before taking it, including its
/// settings (`check_args` reads the config the daemon's arguments name).
/// Prints `ready VERSION`; an error says why not.
pub fn be_probe(check_args: impl FnOnce(&[String]) -> anyhow::Result<()>) -> anyhow::Result<()> {
    // SAFETY: the probe runs this first, on its only thread.
    let state = unsafe { super::take::read_env_state() }?.ok_or_else(|| {
        anyhow::anyhow!("{ENV_STATE_FD} is not set: `{SUBCOMMAND}` is run by `wrapd-muxd upgrade`")
    })?;
    check_args(&state.state.args)?;
    let checked = super::take::check(state.state).map_err(anyhow::Error::msg)?;
    println!("{READY}{}", super::VERSION);
    eprintln!(
        "the state is good: {} sessions, {} shares",
        checked.sessions.len(),
        checked.shares.len()
    );
    Ok(())
}
