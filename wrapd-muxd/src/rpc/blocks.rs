//! The block RPCs: list a session's blocks, get one block's output, watch
//! blocks start and finish.

use std::pin::Pin;

use futures_util::{Stream, StreamExt};
use tokio_stream::wrappers::BroadcastStream;
use tonic::Status;
use wrapd_proto::pb;

use super::{convert, status};
use crate::daemon::Daemon;
use crate::term::BlockId;

/// Blocks per page when the caller does not say, and at most.
const DEFAULT_PAGE: u32 = 100;
const MAX_PAGE: u32 = 1000;

pub type BlockEventStream = Pin<Box<dyn Stream<Item = Result<pb::BlockEvent, Status>> + Send>>;

pub async fn list(
    daemon: &Daemon,
    req: pb::ListBlocksRequest,
) -> Result<pb::ListBlocksResponse, Status> {
    let handle = daemon.registry.resolve(&req.target).map_err(status)?;
    let limit = match req.limit {
        0 => DEFAULT_PAGE,
        n => n.min(MAX_PAGE),
    };
    let before = (req.before_id != 0).then_some(BlockId(req.before_id));
    let page = handle
        .list_blocks(before, limit as usize)
        .await
        .map_err(status)?;
    Ok(pb::ListBlocksResponse {
        blocks: page
            .blocks
            .iter()
            .map(|b| convert::block(&b.block, b.output_trimmed))
            .collect(),
        more: page.more,
    })
}

pub async fn output(
    daemon: &Daemon,
    req: pb::GetBlockOutputRequest,
) -> Result<pb::GetBlockOutputResponse, Status> {
    let handle = daemon.registry.resolve(&req.target).map_err(status)?;
    let id = (req.id != 0).then_some(BlockId(req.id));
    let Some((info, output)) = handle.block_output(id, req.ansi).await.map_err(status)? else {
        let session = handle.info().await.map_err(status)?.name;
        let what = match id {
            Some(id) => format!("session `{session}` has no block {}", id.0),
            None => format!(
                "session `{session}` has no blocks yet (its shell has no integration, or ran no command)"
            ),
        };
        return Err(Status::not_found(format!(
            "{what} (see `wrapd-attach blocks -t {session}`)"
        )));
    };
    Ok(pb::GetBlockOutputResponse {
        block: Some(convert::block(
            &info.block,
            info.output_trimmed || output.trimmed,
        )),
        text: output.text,
    })
}

pub async fn watch(
    daemon: &Daemon,
    req: pb::WatchBlocksRequest,
) -> Result<BlockEventStream, Status> {
    let handle = daemon.registry.resolve(&req.target).map_err(status)?;
    let events = handle.watch_blocks().await.map_err(status)?;
    let stream = BroadcastStream::new(events).filter_map(|e| async move {
        match e {
            Ok(e) => Some(Ok(convert::block_event(&e))),
            // A watcher that fell behind skips what it missed.
            Err(e) => {
                tracing::debug!("block watcher: {e}");
                None
            }
        }
    });
    Ok(Box::pin(stream))
}
