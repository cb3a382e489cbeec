//! The system `ssh` client as a transport: a byte stream to something on
//! another machine, through OpenSSH (so the user's `~/.ssh/config`, agent and
//! known_hosts apply). We never run a relay of our own.
//!
//! A [`Tunnel`] is an `ssh` child process whose stdin/stdout are the stream.
//! Either it runs a command there ([`Remote::Run`], e.g. `wrapd-muxd bridge`
//! for `wrapd-attach ssh://HOST`) or it forwards to a TCP address seen from
//! there ([`Remote::Forward`], `ssh -W`, for joining a share `--via` a host).
//! When the stream ends before it worked, [`Tunnel::failure`] says why, from
//! ssh's exit status and what it wrote on stderr.

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::pin::Pin;
use std::process::Stdio;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// `[user@]host[:port]`: where ssh goes. The host may be an alias of
/// `~/.ssh/config`; an IPv6 address goes in brackets when a port follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshHost {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
}

impl FromStr for SshHost {
    type Err = String;

    fn from_str(s: &str) -> Result<SshHost, String> {
        let (user, rest) = match s.rsplit_once('@') {
            Some((u, r)) => (Some(u.to_owned()), r),
            None => (None, s),
        };
        let (host, port) = if let Some(inner) = rest.strip_prefix('[') {
            let (host, after) = inner
                .split_once(']')
                .ok_or_else(|| format!("`{s}`: `[` without `]`"))?;
            let port = match after {
                "" => None,
                p => Some(
                    p.strip_prefix(':')
                        .ok_or_else(|| format!("`{s}`: junk after `]`"))?,
                ),
            };
            (host, port)
        } else {
            match rest.rsplit_once(':') {
                Some((h, p)) if !h.contains(':') => (h, Some(p)),
                _ => (rest, None),
            }
        };
        let port = port
            .map(|p| p.parse::<u16>().ok().filter(|&p| p > 0))
            .map(|p| p.ok_or_else(|| format!("`{s}`: the port must be a number from 1 to 65535")))
            .transpose()?;
        // Anything ssh could take for an option, or a shell for syntax, is
        // refused: a host can come from a link someone else wrote.
        let plain = |w: &str| {
            !w.is_empty()
                && !w.starts_with('-')
                && w.chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '%'))
        };
        if !plain(host) {
            return Err(format!("`{s}`: `{host}` is not a host name"));
        }
        if let Some(u) = &user
            && !plain(u)
        {
            return Err(format!("`{s}`: `{u}` is not a user name"));
        }
        Ok(SshHost {
            user,
            host: host.to_owned(),
            port,
        })
    }
}

impl fmt::Display for SshHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(u) = &self.user {
            write!(f, "{u}@")?;
        }
        match self.port {
            Some(p) if self.host.contains(':') => write!(f, "[{}]:{p}", self.host),
            Some(p) => write!(f, "{}:{p}", self.host),
            None => f.write_str(&self.host),
        }
    }
}

/// What the tunnel reaches on the other side.
#[derive(Debug, Clone)]
pub enum Remote {
    /// Run a command there; the stream is its stdin/stdout.
    Run(Vec<String>),
    /// Connect to `host:port` as seen from there (`ssh -W`).
    Forward(String),
}

/// Why a tunnel did not work, as the user should read it.
#[derive(Debug, thiserror::Error)]
pub enum SshError {
    #[error("ssh is not installed (no `ssh` on PATH): install OpenSSH's client")]
    NotInstalled,
    #[error("cannot run ssh: {0}")]
    Spawn(#[source] io::Error),
    #[error("cannot reach {host} through ssh: {detail}")]
    Unreachable { host: String, detail: String },
    #[error(
        "ssh authentication to {host} failed: {detail}\n(check the key in your agent or ~/.ssh/config, e.g. `ssh {host} true`)"
    )]
    AuthFailed { host: String, detail: String },
    #[error(
        "ssh does not trust the host key of {host}: {detail}\n(connect once with `ssh {host}` to check and accept it)"
    )]
    HostKey { host: String, detail: String },
    #[error(
        "no `{program}` on the remote PATH of {host}: install wrapd there (in a directory on the PATH that `ssh {host} {program}` sees)"
    )]
    NoRemoteProgram {
        host: String,
        program: String,
        detail: String,
    },
    #[error("the remote wrapd-muxd on {host} refused: {detail}")]
    Refused { host: String, detail: String },
    #[error("ssh to {host} failed: {detail}")]
    Other { host: String, detail: String },
}

/// Keep at most this much of ssh's stderr.
const STDERR_LIMIT: usize = 16 << 10;

/// A running `ssh`; its stdin/stdout are the stream.
pub struct Tunnel {
    host: SshHost,
    remote: Remote,
    child: Child,
    stdin: ChildStdin,
    stdout: ChildStdout,
    stderr: Arc<Mutex<Vec<u8>>>,
    stderr_done: tokio::task::JoinHandle<()>,
}

impl Tunnel {
    /// Start `ssh` to `host`. Prompts (passwords, host keys) go to the
    /// terminal, as ssh does them on /dev/tty.
    pub fn open(host: &SshHost, remote: Remote) -> Result<Tunnel, SshError> {
        let mut cmd = Command::new("ssh");
        cmd.args(ssh_args(host, &remote))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => SshError::NotInstalled,
            _ => SshError::Spawn(e),
        })?;
        let (Some(stdin), Some(stdout), Some(mut err)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(SshError::Spawn(io::Error::other("ssh's pipes are missing")));
        };
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = stderr.clone();
        let stderr_done = tokio::spawn(async move {
            let mut buf = [0; 4096];
            while let Ok(n @ 1..) = err.read(&mut buf).await {
                let mut kept = sink
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let room = STDERR_LIMIT.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
        });
        Ok(Tunnel {
            host: host.clone(),
            remote,
            child,
            stdin,
            stdout,
            stderr,
            stderr_done,
        })
    }

    /// Read exactly `expected` (a greeting) first: `Ok` if it came, else why
    /// not (`got` is what came instead, for the message).
    pub async fn expect(&mut self, expected: &[u8]) -> Result<(), SshError> {
        let mut got = Vec::with_capacity(expected.len());
        let mut byte = [0u8; 1];
        while got.len() < expected.len() {
            match self.stdout.read(&mut byte).await {
                Ok(1..) => got.push(byte[0]),
                _ => break,
            }
            if !expected.starts_with(&got) {
                break;
            }
        }
        if got == expected {
            return Ok(());
        }
        // Whatever else it wrote explains it better than the greeting would.
        let mut rest = Vec::new();
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(2),
            (&mut self.stdout).take(4096).read_to_end(&mut rest),
        )
        .await;
        got.extend(rest);
        Err(self.failure(&got).await)
    }

    /// Why the tunnel ended: waits for ssh to exit, then reads its status and
    /// stderr. `stdout` is what the remote side wrote, if anything.
    pub async fn failure(&mut self, stdout: &[u8]) -> SshError {
        let status = self.child.wait().await.ok();
        let _ = (&mut self.stderr_done).await;
        let stderr = self
            .stderr
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let program = match &self.remote {
            Remote::Run(argv) => argv.first().cloned().unwrap_or_default(),
            Remote::Forward(_) => String::new(),
        };
        classify(
            &self.host.to_string(),
            &program,
            status.and_then(|s| s.code()),
            &String::from_utf8_lossy(&stderr),
            &String::from_utf8_lossy(stdout),
        )
    }
}

/// The command line after `ssh`: no terminal, no escape character, no
/// forwardings from the user's config (they would start again with each
/// tunnel), then the destination and what to do there.
fn ssh_args(host: &SshHost, remote: &Remote) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec!["-T".into(), "-e".into(), "none".into()];
    args.extend(["-o".into(), "ClearAllForwardings=yes".into()]);
    if let Some(port) = host.port {
        args.extend(["-p".into(), port.to_string().into()]);
    }
    if let Some(user) = &host.user {
        args.extend(["-l".into(), user.into()]);
    }
    if let Remote::Forward(addr) = remote {
        args.extend(["-W".into(), addr.into()]);
    }
    args.push(host.host.clone().into());
    if let Remote::Run(argv) = remote {
        args.push("--".into());
        args.extend(argv.iter().map(OsString::from));
    }
    args
}

/// ssh exits 255 for its own errors; otherwise the status is the remote
/// command's, with 127 for "command not found" from the remote shell.
fn classify(
    host: &str,
    program: &str,
    status: Option<i32>,
    stderr: &str,
    stdout: &str,
) -> SshError {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Warning: Permanently added"))
        .collect();
    let detail = if lines.is_empty() {
        match (status, stdout.trim()) {
            (Some(code), "") => format!("ssh exited with status {code} and said nothing"),
            (None, "") => "ssh was killed by a signal".to_owned(),
            (_, out) => format!("unexpected answer {out:?}"),
        }
    } else {
        lines.join("; ")
    };
    let host = host.to_owned();
    let has = |needle: &str| stderr.contains(needle);
    match status {
        Some(255) if has("Permission denied") || has("Too many authentication failures") => {
            SshError::AuthFailed { host, detail }
        }
        Some(255)
            if has("Host key verification failed")
                || has("REMOTE HOST IDENTIFICATION HAS CHANGED") =>
        {
            SshError::HostKey { host, detail }
        }
        Some(255)
            if [
                "Could not resolve hostname",
                "Connection refused",
                "No route to host",
                "Connection timed out",
                "Network is unreachable",
                "Connection closed by",
                "Connection reset",
                "kex_exchange_identification",
            ]
            .iter()
            .any(|n| has(n)) =>
        {
            SshError::Unreachable { host, detail }
        }
        Some(127) | Some(126) if !program.is_empty() => SshError::NoRemoteProgram {
            host,
            program: program.to_owned(),
            detail,
        },
        Some(255) | None => SshError::Other { host, detail },
        Some(_) if !program.is_empty() => SshError::Refused { host, detail },
        Some(_) => SshError::Other { host, detail },
    }
}

/// The tunnel is the byte stream (ssh is killed when it is dropped); callers
/// keep it to ask [`Tunnel::failure`] when it ends early.
impl AsyncRead for Tunnel {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stdout).poll_read(cx, buf)
    }
}

impl AsyncWrite for Tunnel {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stdin).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stdin).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stdin).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(s: &str) -> SshHost {
        s.parse().unwrap()
    }

    #[test]
    fn hosts_parse() {
        assert_eq!(
            host("ada@box:2222"),
            SshHost {
                user: Some("ada".into()),
                host: "box".into(),
                port: Some(2222)
            }
        );
        assert_eq!(host("box").to_string(), "box");
        assert_eq!(host("[::1]:22").host, "::1");
        assert_eq!(host("[::1]:22").to_string(), "[::1]:22");
        assert_eq!(host("fe80::1").port, None);
        for bad in [
            "-oProxyCommand=x",
            "a@-b",
            "box:0",
            "box:x",
            "a b",
            "box;rm",
            "",
            "[::1",
        ] {
            assert!(bad.parse::<SshHost>().is_err(), "{bad}");
        }
    }

    #[test]
    fn command_lines() {
        let args = |h: &str, r: Remote| -> Vec<String> {
            ssh_args(&host(h), &r)
                .into_iter()
                .map(|a| a.into_string().unwrap())
                .collect()
        };
        assert_eq!(
            args(
                "ada@box:2222",
                Remote::Run(vec!["wrapd-muxd".into(), "bridge".into()])
            ),
            [
                "-T",
                "-e",
                "none",
                "-o",
                "ClearAllForwardings=yes",
                "-p",
                "2222",
                "-l",
                "ada",
                "box",
                "--",
                "wrapd-muxd",
                "bridge"
            ]
        );
        assert_eq!(
            args("box", Remote::Forward("127.0.0.1:7443".into())),
            [
                "-T",
                "-e",
                "none",
                "-o",
                "ClearAllForwardings=yes",
                "-W",
                "127.0.0.1:7443",
                "box"
            ]
        );
    }

    #[test]
    fn failures_are_named() {
        let c = |status, stderr: &str| classify("box", "wrapd-muxd", Some(status), stderr, "");
        assert!(matches!(
            c(255, "ada@127.0.0.1: Permission denied (publickey).\n"),
            SshError::AuthFailed { .. }
        ));
        assert!(matches!(
            c(
                255,
                "ssh: connect to host box port 22: Connection refused\n"
            ),
            SshError::Unreachable { .. }
        ));
        assert!(matches!(
            c(255, "Host key verification failed.\n"),
            SshError::HostKey { .. }
        ));
        assert!(matches!(
            c(127, "bash: line 1: wrapd-muxd: command not found\n"),
            SshError::NoRemoteProgram { .. }
        ));
        let e = c(
            1,
            "wrapd-muxd bridge: cannot reach wrapd-muxd at /x: denied\n",
        );
        assert!(matches!(e, SshError::Refused { .. }));
        assert!(
            e.to_string().contains("cannot reach wrapd-muxd at /x"),
            "{e}"
        );
    }
}
