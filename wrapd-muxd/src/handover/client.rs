//! `wrapd-muxd upgrade`: ask the running daemon to hand over to a new
//! binary, then ask the new image how it went, and say so.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use wrapd_common::quiet_socket::channel;
use wrapd_proto::pb;
use wrapd_proto::pb::upgrade_client::UpgradeClient;

/// How long the new image may take to answer after the exec.
const ANSWER_LIMIT: Duration = Duration::from_secs(30);
/// Between two questions to a daemon that is not answering yet.
const RETRY: Duration = Duration::from_millis(50);

async fn status(socket: &Path) -> anyhow::Result<pb::UpgradeStatus> {
    let mut client = UpgradeClient::new(channel(socket).await?);
    Ok(client
        .get_upgrade_status(pb::GetUpgradeStatusRequest {})
        .await?
        .into_inner())
}

/// Upgrade the daemon at `socket` to `binary` (default: the one installed).
pub async fn run(socket: &Path, binary: Option<PathBuf>) -> anyhow::Result<()> {
    let before = status(socket).await.with_context(|| {
        format!(
            "cannot reach wrapd-muxd at {} (is it running? an older one without \
             `upgrade` must be restarted once)",
            socket.display()
        )
    })?;
    let binary = binary
        .map(|b| std::path::absolute(&b).unwrap_or(b))
        .map(|b| b.to_string_lossy().into_owned())
        .unwrap_or_default();
    let handover_id = crate::share::secret::new_id();
    let mut client = UpgradeClient::new(channel(socket).await?);
    let begun = client
        .begin_upgrade(pb::BeginUpgradeRequest {
            binary,
            handover_id: handover_id.clone(),
        })
        .await;
    match begun {
        Ok(answer) => {
            let a = answer.into_inner();
            println!(
                "{} (wrapd-muxd {}) can take the state: handing over {} and {} ({})",
                a.binary,
                a.version,
                wrapd_common::human::count(a.sessions, "session"),
                wrapd_common::human::count(a.shares, "share"),
                wrapd_common::human::bytes(a.state_bytes)
            );
        }
        Err(s) if s.code() == tonic::Code::FailedPrecondition => bail!(
            "upgrade refused: {}\nnothing changed: wrapd-muxd {} (pid {}) serves on with every session",
            s.message(),
            before.version,
            before.pid
        ),
        // The connection may have closed with the exec before the answer
        // left: the new image says how it went.
        Err(s) => tracing::debug!("no answer to the upgrade ({s}); asking the daemon"),
    }
    let deadline = Instant::now() + ANSWER_LIMIT;
    loop {
        if let Ok(now) = status(socket).await
            && let Some(last) = now.last.as_ref().filter(|l| l.handover_id == handover_id)
        {
            return report(&before, &now, last);
        }
        if Instant::now() > deadline {
            bail!(
                "the daemon has not answered in {} s since the hand-over began; \
                 see its log (journalctl --user -u wrapd-muxd, or its stderr)",
                ANSWER_LIMIT.as_secs()
            );
        }
        tokio::time::sleep(RETRY).await;
    }
}

fn report(
    before: &pb::UpgradeStatus,
    now: &pb::UpgradeStatus,
    last: &pb::LastHandover,
) -> anyhow::Result<()> {
    if !last.taken {
        bail!(
            "upgrade failed: {}\nnothing lost: wrapd-muxd {} (pid {}) serves on with every session",
            last.why,
            now.version,
            now.pid
        );
    }
    println!(
        "upgraded: pid {} now runs {} (wrapd-muxd {} -> {}); {} kept, output paused {} ms",
        now.pid,
        now.binary,
        before.version,
        now.version,
        wrapd_common::human::count(last.sessions, "session"),
        last.pause_us / 1000
    );
    Ok(())
}
