//! The block RPCs: list a session's blocks, get one block's output, watch
//! blocks start and finish.

use std::pin::Pin;
use std::sync::Arc;

use futures_util::{Stream, StreamExt};
use prost::Message;
use tokio_stream::wrappers::BroadcastStream;
use tonic::Status;
use wrapd_proto::pb;

use super::status;
use crate::convert;
use crate::daemon::Daemon;
use crate::session::SessionHandle;
use crate::share::authz::Collab;
use crate::share::filter::Window;
use crate::term::{BlockEvent, BlockId};

/// Blocks per page when the caller does not say, and at most.
const DEFAULT_PAGE: u32 = 100;
const MAX_PAGE: u32 = 1000;

pub type BlockEventStream = Pin<Box<dyn Stream<Item = Result<pb::BlockEvent, Status>> + Send>>;

pub async fn list(
    handle: SessionHandle,
    window: Option<Window>,
    req: pb::ListBlocksRequest,
) -> Result<pb::ListBlocksResponse, Status> {
    let limit = match req.limit {
        0 => DEFAULT_PAGE,
        n => n.min(MAX_PAGE),
    };
    let before = (req.before_id != 0).then_some(BlockId(req.before_id));
    let page = handle
        .list_blocks(before, limit as usize)
        .await
        .map_err(status)?;
    let mut response = pb::ListBlocksResponse {
        blocks: page
            .blocks
            .into_iter()
            .map(|mut b| {
                if let Some(w) = window {
                    w.block(&mut b.block);
                }
                convert::block(&b.block, b.output_trimmed)
            })
            .collect(),
        more: page.more,
    };
    if let Some(w) = window {
        w.blocks(&mut response);
    }
    Ok(response)
}

pub async fn output(
    handle: SessionHandle,
    window: Option<Window>,
    req: pb::GetBlockOutputRequest,
) -> Result<pb::GetBlockOutputResponse, Status> {
    let id = (req.id != 0).then_some(BlockId(req.id));
    let found = handle.block_output(id, req.ansi).await.map_err(status)?;
    // A collaborator is told nothing of a block before the share's start.
    let found = found.filter(|(info, _)| {
        window.is_none_or(|w| w.block_visible(&convert::block(&info.block, false)))
    });
    let Some((mut info, output)) = found else {
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
    if let Some(w) = window {
        w.block(&mut info.block);
    }
    let mut response = pb::GetBlockOutputResponse {
        block: Some(convert::block(
            &info.block,
            info.output_trimmed || output.trimmed,
        )),
        text: output.text,
    };
    if let Some(w) = window {
        w.output(&mut response);
    }
    Ok(response)
}

/// Block events; a collaborator's end when their access does (with the
/// status that says why), or with the share's byte limit (each event counted
/// as it goes out). A collaborator has a few watches at once (see
/// `collab::slots`).
pub async fn watch(
    handle: SessionHandle,
    collab: Option<Collab>,
    daemon: Arc<Daemon>,
) -> Result<BlockEventStream, Status> {
    let slot = collab
        .as_ref()
        .map(|c| daemon.attach_slots.take_watch(c))
        .transpose()
        .map_err(status)?;
    let events = handle.watch_blocks().await.map_err(status)?;
    let window = collab.as_ref().map(|c| c.window);
    let stream = BroadcastStream::new(events).filter_map(move |e| async move {
        match e {
            Ok(mut e) => {
                if let Some(w) = window {
                    let (BlockEvent::Started(b) | BlockEvent::Finished(b)) = &mut e;
                    w.block(b);
                }
                let mut e = convert::block_event(&e);
                window
                    .is_none_or(|w| w.block_event(&mut e))
                    .then_some(Ok(e))
            }
            // A watcher that fell behind skips what it missed.
            Err(e) => {
                tracing::debug!("block watcher: {e}");
                None
            }
        }
    });
    match collab {
        None => Ok(Box::pin(stream)),
        Some(mut c) => {
            // The timer stops when the stream is dropped.
            let stop = tokio_util::sync::CancellationToken::new();
            c.expire_with_certificate(stop.clone());
            let stop = stop.drop_guard();
            let token = c.token.clone();
            // Cut off (removed, share stopped, certificate expired): the
            // stream's last item says why, as on an attach stream.
            let why = {
                let (c, daemon, token) = (c.clone(), daemon.clone(), token.clone());
                futures_util::stream::once(async move {
                    token
                        .is_cancelled()
                        .then(|| Err(c.cut_off_status(&daemon.shares)))
                })
                .filter_map(std::future::ready)
            };
            let mut over_limit = false;
            let counted = stream
                .take_until(async move { token.cancelled().await })
                .chain(why)
                .map(move |e| {
                    // The timer and the slot last as long as the stream.
                    let _held = (&stop, &slot);
                    let e = e?;
                    daemon.shares.account(
                        &c.share_id,
                        &c.participant_id,
                        e.encoded_len() as u64,
                    )?;
                    Ok(e)
                })
                // The refusal is the stream's last item.
                .take_while(move |r| {
                    let go = !over_limit;
                    over_limit |= r.is_err();
                    std::future::ready(go)
                });
            Ok(Box::pin(counted))
        }
    }
}
