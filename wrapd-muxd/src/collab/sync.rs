//! An attach stream's sync task: the session's changes, as updates, at the
//! pace the client reads them (see `attach`).

use std::sync::Arc;

use prost::Message;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use wrapd_proto::pb;
use wrapd_proto::pb::attach_event::Msg as Event;

use super::attach::{CUT_OFF_NOTICE, Tx, event};
use super::shared_updates::ViewKey;
use super::slots::Slot;
use crate::convert;
use crate::daemon::Daemon;
use crate::session::{Attachment, Cadence, EndReason, SyncPoint, Update};
use crate::share::authz::Collab;
use crate::share::filter::Window;
use crate::term::RowIndex;

async fn send_ended(tx: &Tx, reason: &EndReason) {
    let _ = tx.send(event(Event::Ended(convert::ended(reason)))).await;
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn sync_task(
    // Held while the stream lasts.
    _slot: Option<Slot>,
    attachment: Arc<Attachment>,
    collab: Option<Collab>,
    daemon: Arc<Daemon>,
    mut point: Option<SyncPoint>,
    history_rows: u32,
    tx: Tx,
    done: CancellationToken,
) {
    let _done = done.clone().drop_guard();
    let mut pulse = attachment.pulse.clone();
    let cut_off = collab
        .as_ref()
        .map_or_else(CancellationToken::new, |c| c.token.clone());
    let window = collab.as_ref().map(|c| c.window);
    // The actor never builds rows the window would drop.
    let oldest = RowIndex(window.map_or(0, |w| w.start_row));
    // Collaborators at the same point share one update (see `shared_updates`).
    let view = collab.as_ref().map(|c| {
        daemon.shared_updates.view(ViewKey {
            session: c.session.clone(),
            window: c.window,
            history_rows,
        })
    });
    let mut cadence = Cadence::default();
    // An update the actor sent at the commit that made it (the owner's
    // clients wait for it there: see `SessionHandle::next_update`).
    let mut ready = None;
    loop {
        let now = pulse.borrow_and_update().clone();
        if let Some(reason) = now.ended {
            send_ended(&tx, &reason).await;
            return;
        }
        if ready.is_some() || point.is_none_or(|p| p.seq != now.seq) {
            let asked_at = Instant::now();
            let send_at = cadence.send_at(&attachment.pacer, asked_at);
            if send_at > asked_at {
                // Streaming output: the next update covers all of it.
                ready = None;
                tokio::select! {
                    biased;
                    _ = cut_off.cancelled() => break,
                    _ = done.cancelled() => return,
                    _ = tokio::time::sleep_until(send_at) => continue,
                }
            }
            let build = || fetch(&attachment, point, history_rows, oldest, window);
            let fetched = match (ready.take(), &view) {
                (Some(pushed), _) => Some(pushed),
                (None, Some(view)) => view.update(point, now.seq, build).await,
                (None, None) => build().await,
            };
            let Some((next, update)) = fetched else {
                // The actor is gone: its last pulse says why.
                let reason = pulse.borrow().ended.clone().unwrap_or(EndReason::Killed);
                send_ended(&tx, &reason).await;
                return;
            };
            point = Some(next);
            if let Some(c) = &collab
                && let Err(st) = daemon.shares.account(
                    &c.share_id,
                    &c.participant_id,
                    update.encoded_len() as u64,
                )
            {
                let _ = tx.send(Err(st)).await;
                return;
            }
            let sent = tokio::select! {
                r = tx.send(event(Event::Update(update))) => r.is_ok(),
                _ = done.cancelled() => false,
                _ = cut_off.cancelled() => false,
            };
            if cut_off.is_cancelled() {
                break;
            }
            if !sent {
                break;
            }
            cadence.sent(Instant::now());
        }
        let waited = match (&view, point) {
            // Alone at this point, and not streaming: wait at the actor,
            // which answers with the update itself. (While output streams
            // the next update waits for its frame anyway, and one built at
            // the next commit would be thrown away: the pulse will do.)
            (None, Some(p)) if !cadence.streaming() => tokio::select! {
                biased;
                _ = cut_off.cancelled() => break,
                _ = done.cancelled() => return,
                next = fetch_next(&attachment, p, history_rows, oldest) => next.map(|u| ready = Some(u)),
            },
            // Collaborators at one point share one update, and streaming
            // output is paced: wake, then ask.
            _ => tokio::select! {
                // The other tasks end when access does: say why before `done`.
                biased;
                _ = cut_off.cancelled() => break,
                r = pulse.changed() => r.ok(),
                _ = done.cancelled() => return,
            },
        };
        if waited.is_none() {
            // The actor is gone; its last pulse (if any) says why.
            let reason = pulse.borrow().ended.clone().unwrap_or(EndReason::Killed);
            send_ended(&tx, &reason).await;
            return;
        }
    }
    if let Some(c) = &collab
        && cut_off.is_cancelled()
    {
        let why = c.cut_off_status(&daemon.shares);
        // The client may be slow to read: wait a little, not forever.
        let _ = tokio::time::timeout(CUT_OFF_NOTICE, tx.send(Err(why))).await;
    }
}

/// The update from `point` (converted, and cut to `window` for a
/// collaborator) and the point it brings the client to; `None` if the session
/// actor is gone.
async fn fetch(
    attachment: &Attachment,
    point: Option<SyncPoint>,
    history_rows: u32,
    oldest: RowIndex,
    window: Option<Window>,
) -> Option<(SyncPoint, pb::ScreenUpdate)> {
    let update = attachment
        .handle()
        .update(point, history_rows, oldest)
        .await
        .ok()?;
    Some(converted(update, window))
}

/// The update from `point` once the session changes past it (the owner's
/// clients: no window); `None` if the session actor is gone.
async fn fetch_next(
    attachment: &Attachment,
    point: SyncPoint,
    history_rows: u32,
    oldest: RowIndex,
) -> Option<(SyncPoint, pb::ScreenUpdate)> {
    let update = attachment
        .handle()
        .next_update(point, history_rows, oldest)
        .await
        .ok()?;
    Some(converted(update, None))
}

fn converted(mut update: Update, window: Option<Window>) -> (SyncPoint, pb::ScreenUpdate) {
    let next = update.point();
    if let Some(w) = window {
        w.session_state(&mut update);
    }
    let mut update = convert::update(update);
    if let Some(w) = window {
        w.update(&mut update);
    }
    (next, update)
}
