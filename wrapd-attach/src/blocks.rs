//! The block commands: `blocks` lists a session's commands, `block` prints
//! what one of them printed.

use std::io::Write;

use anyhow::{Result, bail};
use serde_json::json;
use wrapd_proto::pb;

use crate::commands::{iso8601, refused};
use crate::connect::Client;

/// Blocks asked for per request.
const PAGE: u32 = 1000;

/// Every block of a session, oldest first.
async fn all_blocks(client: &mut Client, target: &str) -> Result<Vec<pb::Block>> {
    let mut pages = Vec::new();
    let mut before_id = 0;
    loop {
        let page = client
            .list_blocks(pb::ListBlocksRequest {
                target: target.to_owned(),
                before_id,
                limit: PAGE,
            })
            .await
            .map_err(refused)?
            .into_inner();
        let first = page.blocks.first().map(|b| b.id);
        pages.push(page.blocks);
        match first {
            Some(id) if page.more => before_id = id,
            _ => break,
        }
    }
    Ok(pages.into_iter().rev().flatten().collect())
}

pub async fn list(client: &mut Client, target: Option<String>, as_json: bool) -> Result<()> {
    let blocks = all_blocks(client, &target.unwrap_or_default()).await?;
    let mut out = std::io::stdout().lock();
    if as_json {
        let list: Vec<_> = blocks.iter().map(block_json).collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?;
        return Ok(());
    }
    if blocks.is_empty() {
        writeln!(
            out,
            "no blocks (only bash, zsh and fish with shell integration report their commands)"
        )?;
    }
    for b in &blocks {
        let duration = duration_ms(b).map_or_else(|| "-".to_owned(), duration_text);
        writeln!(
            out,
            "{:>5}  {:<11}  {:>7}  {}",
            b.id,
            state_text(b),
            duration,
            b.command.replace('\n', " \u{23ce} ")
        )?;
    }
    Ok(())
}

/// Print each block as it starts and finishes, one JSON object a line (the
/// fields of `blocks --json` and `event`: `started` or `finished`), until the
/// session ends.
pub async fn watch(client: &mut Client, target: Option<String>) -> Result<()> {
    let target = target.unwrap_or_default();
    let mut events = client
        .watch_blocks(pb::WatchBlocksRequest {
            target: target.clone(),
        })
        .await
        .map_err(refused)?
        .into_inner();
    eprintln!("wrapd-attach: watching the blocks of session `{target}`");
    while let Some(event) = events.message().await.map_err(refused)? {
        let (name, block) = match event.event {
            Some(pb::block_event::Event::Started(b)) => ("started", b),
            Some(pb::block_event::Event::Finished(b)) => ("finished", b),
            None => continue,
        };
        let mut line = block_json(&block);
        line["event"] = json!(name);
        let mut out = std::io::stdout().lock();
        writeln!(out, "{line}")?;
        out.flush()?;
    }
    Ok(())
}

pub async fn output(
    client: &mut Client,
    target: Option<String>,
    id: &str,
    ansi: bool,
) -> Result<()> {
    let id = match id {
        "last" => 0,
        n => match n.parse::<u64>() {
            Ok(n) if n > 0 => n,
            _ => bail!(
                "invalid block id `{id}`: give a number from `wrapd-attach blocks`, or `last`"
            ),
        },
    };
    let text = client
        .get_block_output(pb::GetBlockOutputRequest {
            target: target.unwrap_or_default(),
            id,
            ansi,
        })
        .await
        .map_err(refused)?
        .into_inner();
    if text.block.as_ref().is_some_and(|b| b.output_trimmed) {
        eprintln!("wrapd-attach: the start of this output is no longer in the scrollback");
    }
    std::io::stdout().lock().write_all(text.text.as_bytes())?;
    Ok(())
}

fn state(b: &pb::Block) -> pb::BlockState {
    pb::BlockState::try_from(b.state).unwrap_or(pb::BlockState::Unspecified)
}

fn state_text(b: &pb::Block) -> String {
    match (state(b), b.exit_code) {
        (pb::BlockState::Running, _) => "running".to_owned(),
        (pb::BlockState::Interrupted, _) => "interrupted".to_owned(),
        (_, Some(code)) => code.to_string(),
        _ => "done".to_owned(),
    }
}

fn duration_ms(b: &pb::Block) -> Option<u64> {
    b.ended_at_ms.map(|end| end.saturating_sub(b.started_at_ms))
}

fn duration_text(ms: u64) -> String {
    match ms {
        0..1000 => format!("{ms}ms"),
        1000..60_000 => format!("{:.1}s", ms as f64 / 1000.0),
        _ => format!("{}m{:02}s", ms / 60_000, ms / 1000 % 60),
    }
}

fn block_json(b: &pb::Block) -> serde_json::Value {
    json!({
        "id": b.id,
        "command": b.command,
        "state": match state(b) {
            pb::BlockState::Running => "running",
            pb::BlockState::Interrupted => "interrupted",
            _ => "finished",
        },
        "exit_code": b.exit_code,
        "cwd": b.cwd,
        "started_at": iso8601(b.started_at_ms),
        "started_at_ms": b.started_at_ms,
        "ended_at_ms": b.ended_at_ms,
        "duration_ms": duration_ms(b),
        "prompt_row": b.prompt_row,
        "output_row": b.output_row,
        "end_row": b.end_row,
        "output_trimmed": b.output_trimmed,
        "full_screen": b.full_screen,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration_text(12), "12ms");
        assert_eq!(duration_text(1500), "1.5s");
        assert_eq!(duration_text(125_000), "2m05s");
    }

    #[test]
    fn json_of_a_running_block_has_no_exit_code() {
        let b = pb::Block {
            id: 3,
            command: "sleep 9".into(),
            state: pb::BlockState::Running as i32,
            ..Default::default()
        };
        let j = block_json(&b);
        assert!(j["exit_code"].is_null() && j["duration_ms"].is_null());
        assert_eq!(j["state"], "running");
        assert_eq!(state_text(&b), "running");
    }
}
