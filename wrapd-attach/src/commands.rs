//! The commands that do not attach: `ls`, `kill`, `rename`, `capture`, `send`,
//! `new -d`.

use std::io::Write;

use anyhow::{Result, anyhow};
use serde_json::json;
use wrapd_proto::pb;

use crate::cli::NewArgs;
use crate::connect::{Client, status_message};
use crate::keys;

/// A daemon refusal as an error the user can read.
pub fn refused(s: tonic::Status) -> anyhow::Error {
    anyhow!("{}", status_message(&s))
}

pub async fn ls(client: &mut Client, as_json: bool) -> Result<()> {
    let sessions = client
        .list_sessions(pb::ListSessionsRequest {})
        .await
        .map_err(refused)?
        .into_inner()
        .sessions;
    let mut out = std::io::stdout().lock();
    if as_json {
        let list: Vec<_> = sessions.iter().map(session_json).collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?;
        return Ok(());
    }
    if sessions.is_empty() {
        writeln!(out, "no sessions")?;
    }
    for s in &sessions {
        let clients = match s.clients {
            0 => String::new(),
            1 => " (attached)".to_owned(),
            n => format!(" ({n} clients)"),
        };
        let exited = s
            .exit
            .map(|e| format!(" [{}]", exit_text(&e)))
            .unwrap_or_default();
        writeln!(
            out,
            "{}: {} [{}x{}] (created {}){clients}{exited}",
            s.name,
            s.command.join(" "),
            s.cols,
            s.rows,
            iso8601(s.created_at_ms)
                .replace('T', " ")
                .trim_end_matches('Z'),
        )?;
    }
    Ok(())
}

fn session_json(s: &pb::SessionInfo) -> serde_json::Value {
    json!({
        "name": s.name,
        "id": s.id,
        "command": s.command,
        "pid": s.pid,
        "cols": s.cols,
        "rows": s.rows,
        "clients": s.clients,
        "history_lines": s.history_lines,
        "created_at": iso8601(s.created_at_ms),
        "created_at_ms": s.created_at_ms,
        "last_active_at": iso8601(s.last_active_ms),
        "title": s.title,
        "cwd": s.cwd,
        "exit": s.exit.map(|e| json!({ "code": e.code, "signal": e.signal })),
    })
}

pub fn exit_text(e: &pb::ExitStatus) -> String {
    match (e.code, e.signal) {
        (Some(c), _) => format!("exit status {c}"),
        (None, Some(s)) => format!("killed by signal {s}"),
        _ => "exited".to_owned(),
    }
}

pub async fn kill(client: &mut Client, target: String) -> Result<()> {
    client
        .kill_session(pb::KillSessionRequest { target })
        .await
        .map_err(refused)?;
    Ok(())
}

pub async fn rename(client: &mut Client, target: Option<String>, new_name: String) -> Result<()> {
    client
        .rename_session(pb::RenameSessionRequest {
            target: target.unwrap_or_default(),
            new_name,
        })
        .await
        .map_err(refused)?;
    Ok(())
}

pub async fn capture(
    client: &mut Client,
    target: Option<String>,
    scrollback: bool,
    ansi: bool,
) -> Result<()> {
    let text = client
        .capture(pb::CaptureRequest {
            target: target.unwrap_or_default(),
            scrollback,
            ansi,
        })
        .await
        .map_err(refused)?
        .into_inner()
        .text;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        out.write_all(b"\n")?;
    }
    Ok(())
}

pub async fn send(
    client: &mut Client,
    target: Option<String>,
    literal: bool,
    words: &[String],
) -> Result<()> {
    let data = keys::send_keys_bytes(words, literal, &pb::Modes::default());
    client
        .send_input(pb::SendInputRequest {
            target: target.unwrap_or_default(),
            data,
        })
        .await
        .map_err(refused)?;
    Ok(())
}

/// What `new` asks the daemon for: this terminal's directory, size and the
/// environment variables that tie a session to where it was started from.
pub fn create_request(args: &NewArgs, size: Option<(u16, u16)>) -> pb::CreateSessionRequest {
    const PASSED_ENV: &[&str] = &[
        "DISPLAY",
        "WAYLAND_DISPLAY",
        "XAUTHORITY",
        "SSH_AUTH_SOCK",
        "SSH_CONNECTION",
        "SSH_CLIENT",
        "SSH_TTY",
        "LANG",
        "LC_ALL",
        "LC_CTYPE",
    ];
    let cwd = args
        .cwd
        .clone()
        .or_else(|| std::env::current_dir().ok())
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let env = PASSED_ENV
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
        .collect();
    let (cols, rows) = match (args.cols, args.rows, size) {
        (Some(c), Some(r), _) => (c, r),
        (c, r, Some((tc, tr))) => (c.unwrap_or(tc), r.unwrap_or(tr)),
        (c, r, None) => (c.unwrap_or(80), r.unwrap_or(24)),
    };
    pb::CreateSessionRequest {
        name: args.name.clone().unwrap_or_default(),
        command: args.command.clone(),
        cwd,
        env,
        cols: u32::from(cols),
        rows: u32::from(rows),
        remain_on_exit: args.remain_on_exit,
        no_shell_integration: args.no_shell_integration,
    }
}

pub async fn new_detached(client: &mut Client, args: &NewArgs) -> Result<()> {
    client
        .create_session(create_request(args, None))
        .await
        .map_err(refused)?;
    Ok(())
}

/// Unix milliseconds as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub fn iso8601(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Days since 1970-01-01 to a civil date (proleptic Gregorian calendar).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601(1_795_595_084_000), "2026-11-25T08:24:44Z");
    }

    #[test]
    fn size_of_new_sessions() {
        let args = NewArgs {
            cols: Some(100),
            ..Default::default()
        };
        let r = create_request(&args, Some((120, 40)));
        assert_eq!((r.cols, r.rows), (100, 40));
        let r = create_request(&NewArgs::default(), None);
        assert_eq!((r.cols, r.rows), (80, 24));
    }
}
