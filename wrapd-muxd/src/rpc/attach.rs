//! The attach stream. Per client, three tasks share one [`Attachment`]:
//! - the sync task wakes on the session's pulse, asks the actor for what changed
//!   since the client's sync point and sends it — while a send is blocked by a
//!   slow client nothing accumulates, the next update simply covers more;
//! - the input task forwards input, resizes and selections, and reports
//!   refusals as notices;
//! - the presence task sends who is here whenever that changes.
//!
//! For a collaborator the sync task filters each update by the share's
//! starting point (one update shared by every collaborator at the same point:
//! `collab::shared_updates`) and counts its bytes against the share's limits; the input
//! task asks for their role at every message; all three end when they are
//! removed or the share stops.
//!
//! Any task ending (client gone, session over) ends the others; dropping the
//! last `Arc<Attachment>` detaches the client.

use std::sync::Arc;

use prost::Message;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::{Status, Streaming};
use wrapd_proto::pb;
use wrapd_proto::pb::attach_event::Msg as Event;
use wrapd_proto::pb::attach_request::Msg as Req;
use wrapd_proto::version::{self, Speaker};

use super::presence::{self, Presence};
use super::{convert, new_session, status};
use crate::collab::shared_updates::ViewKey;
use crate::collab::slots::Slot;
use crate::daemon::Daemon;
use crate::error::Error;
use crate::session::{Attachment, EndReason, Size, SyncPoint};
use crate::share::Role;
use crate::share::authz::{self, Access, Caller, Collab, Rpc};
use crate::share::filter::Window;
use crate::term::RowIndex;

pub type EventStream = ReceiverStream<Result<pb::AttachEvent, Status>>;
type Tx = mpsc::Sender<Result<pb::AttachEvent, Status>>;

/// How long a cut-off collaborator's stream waits to deliver why.
const CUT_OFF_NOTICE: std::time::Duration = std::time::Duration::from_millis(500);
/// Events buffered per client at most (each a whole update).
const EVENT_BUFFER: usize = 2;

fn event(msg: Event) -> Result<pb::AttachEvent, Status> {
    Ok(pb::AttachEvent { msg: Some(msg) })
}

fn notice(st: &Status) -> Result<pb::AttachEvent, Status> {
    event(Event::Notice(pb::Notice {
        code: format!("{:?}", st.code()),
        message: st.message().to_owned(),
    }))
}

pub async fn attach(
    daemon: Arc<Daemon>,
    caller: Caller,
    mut inbound: Streaming<pb::AttachRequest>,
) -> Result<EventStream, Status> {
    // Refuse a stranger before waiting for anything from them: an
    // unauthenticated caller must not hold a stream open.
    authz::authorize(&daemon.shares, &daemon.registry, &caller, Rpc::Attach, "")?;
    let start = match inbound.message().await? {
        Some(pb::AttachRequest {
            msg: Some(Req::Start(start)),
        }) => start,
        Some(_) => {
            return Err(Status::invalid_argument(
                "the first attach message must be `start`",
            ));
        }
        None => {
            return Err(Status::cancelled(
                "the client closed the stream before attaching",
            ));
        }
    };
    let access = authz::authorize(
        &daemon.shares,
        &daemon.registry,
        &caller,
        Rpc::Attach,
        &start.target,
    )?;
    let client = Speaker {
        version: &start.client_version,
        protocol: start.client_protocol,
        min_protocol: 0,
    };
    if let Some(why) = version::mismatch(client, Speaker::this_build()) {
        return Err(Status::failed_precondition(why));
    }
    let mut collab = match access {
        Access::Owner => None,
        Access::Collaborator(c) => Some(c),
    };
    let size = start
        .size
        .and_then(|s| Size::checked(s.cols, s.rows))
        .ok_or_else(|| Status::invalid_argument("attach needs a size of at least 1x1"))?;
    let target = collab
        .as_ref()
        .map_or(start.target.clone(), |c| c.session.0.clone());
    let handle = match daemon.registry.resolve(&target) {
        Ok(h) => h,
        Err(Error::UnknownSession(_) | Error::NoSessions) if start.create && collab.is_none() => {
            let mut req = start.create_request.clone().unwrap_or_default();
            if req.name.is_empty() {
                req.name = start.target.clone();
            }
            if req.cols == 0 {
                req.cols = u32::from(size.cols);
                req.rows = u32::from(size.rows);
            }
            daemon.create_session(new_session(req)?).map_err(status)?
        }
        Err(e) => return Err(status(e)),
    };
    // A collaborator writes (and sizes the session) only while an editor.
    let writer = match &collab {
        None => !start.read_only,
        Some(c) => !start.read_only && authz::live_role(&daemon.shares, c)? == Role::Editor,
    };
    // A collaborator's stream holds a slot of theirs, not one of the owner's.
    let slot = collab
        .as_ref()
        .map(|c| daemon.attach_slots.take(c))
        .transpose()
        .map_err(status)?;
    let client = daemon.registry.new_client_id();
    let attachment = Arc::new(handle.attach(client, size, !writer).await.map_err(status)?);
    let max = daemon.config().limits.max_clients;
    let owners_clients = (attachment.info.clients as usize)
        .saturating_sub(daemon.attach_slots.on_session(&handle.id));
    if collab.is_none() && owners_clients > max {
        // Dropping the attachment detaches it again.
        return Err(status(Error::Limit(format!(
            "session `{}` already has {max} clients attached (limits.max_clients)",
            attachment.info.name
        ))));
    }
    if collab.is_none() {
        daemon.registry.touch(&handle.id);
    }
    let resumed = start.resume_session_id == handle.id.0 && start.resume_seq > 0;
    let resume = resumed.then_some(SyncPoint {
        seq: start.resume_seq,
        screen_start: RowIndex(start.resume_screen_start),
    });
    tracing::debug!(session = %handle.id, client = client.0, read_only = start.read_only, resumed, collaborator = ?collab.as_ref().map(|c| &c.participant_id), "client attached");

    let (tx, rx) = mpsc::channel(EVENT_BUFFER);
    let attached = pb::Attached {
        server_version: version::VERSION.to_owned(),
        protocol: version::PROTOCOL,
        min_protocol: version::MIN_PROTOCOL,
        session: Some(match &collab {
            None => convert::session_info(attachment.info.clone()),
            Some(_) => Window::session_info(convert::session_info(attachment.info.clone())),
        }),
        client_id: client.0,
        resumed,
    };
    tx.send(event(Event::Attached(attached)))
        .await
        .map_err(|_| Status::cancelled("client gone"))?;

    let done = CancellationToken::new();
    if let Some(c) = collab.as_mut() {
        c.expire_with_certificate(done.clone());
    }
    let presence = Arc::new(Presence::join(
        daemon.clone(),
        handle.id.clone(),
        collab.clone(),
    ));
    tokio::spawn(presence::presence_task(
        presence.clone(),
        attachment.clone(),
        start.read_only,
        tx.clone(),
        done.clone(),
    ));
    tokio::spawn(sync_task(
        slot,
        attachment.clone(),
        collab.clone(),
        daemon.clone(),
        resume,
        start.history_rows,
        tx.clone(),
        done.clone(),
    ));
    tokio::spawn(input_task(
        attachment,
        presence,
        start.read_only,
        writer,
        inbound,
        tx,
        done,
    ));
    Ok(ReceiverStream::new(rx))
}

async fn send_ended(tx: &Tx, reason: &EndReason) {
    let _ = tx.send(event(Event::Ended(convert::ended(reason)))).await;
}

#[allow(clippy::too_many_arguments)]
async fn sync_task(
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
    // Collaborators at the same point share one update (see `collab::shared_updates`).
    let view = collab.as_ref().map(|c| {
        daemon.shared_updates.view(ViewKey {
            session: c.session.clone(),
            window: c.window,
            history_rows,
        })
    });
    let mut last_sent = None;
    loop {
        let now = pulse.borrow_and_update().clone();
        if let Some(reason) = now.ended {
            send_ended(&tx, &reason).await;
            return;
        }
        if point.is_none_or(|p| p.seq != now.seq) {
            let send_at = attachment.pacer.send_at(last_sent, Instant::now());
            if send_at > Instant::now() {
                // Streaming output: the next update covers all of it.
                tokio::select! {
                    biased;
                    _ = cut_off.cancelled() => break,
                    _ = done.cancelled() => return,
                    _ = tokio::time::sleep_until(send_at) => continue,
                }
            }
            let build = || fetch(&attachment, point, history_rows, oldest, window);
            let fetched = match &view {
                Some(view) => view.update(point, now.seq, build).await,
                None => build().await,
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
            last_sent = Some(Instant::now());
        }
        tokio::select! {
            // The other tasks end when access does: say why before `done`.
            biased;
            _ = cut_off.cancelled() => break,
            r = pulse.changed() => if r.is_err() {
                // The actor is gone; its last pulse (if any) says why.
                let reason = pulse.borrow().ended.clone().unwrap_or(EndReason::Killed);
                send_ended(&tx, &reason).await;
                return;
            },
            _ = done.cancelled() => return,
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
    let mut update = attachment
        .handle()
        .update(point, history_rows, oldest)
        .await
        .ok()?;
    let next = update.point();
    if let Some(w) = window {
        w.session_state(&mut update);
    }
    let mut update = convert::update(update);
    if let Some(w) = window {
        w.update(&mut update);
    }
    Some((next, update))
}

#[allow(clippy::too_many_arguments)]
async fn input_task(
    attachment: Arc<Attachment>,
    presence: Arc<Presence>,
    read_only: bool,
    mut writer: bool,
    mut inbound: Streaming<pb::AttachRequest>,
    tx: Tx,
    done: CancellationToken,
) {
    let _done = done.clone().drop_guard();
    let cut_off = presence.cut_off();
    loop {
        let msg = tokio::select! {
            m = inbound.message() => m,
            _ = done.cancelled() => return,
            _ = cut_off.cancelled() => return,
        };
        let msg = match msg {
            Ok(Some(pb::AttachRequest { msg: Some(m) })) => m,
            Ok(Some(pb::AttachRequest { msg: None })) => continue,
            // The client sends nothing more (a watcher may close its side
            // after `start`): updates go on until it goes.
            Ok(None) => {
                tokio::select! {
                    _ = tx.closed() => {}
                    _ = done.cancelled() => {}
                    _ = cut_off.cancelled() => {}
                }
                return;
            }
            Err(e) => {
                tracing::debug!(client = attachment.client.0, "attach stream: {e}");
                // The client may still be there (a message over the limit):
                // the stream ends with why, not a bare OK.
                let why = input_failed(&e);
                let _ = tokio::time::timeout(CUT_OFF_NOTICE, tx.send(Err(why))).await;
                return;
            }
        };
        // A collaborator's role now decides input and resizes.
        let may_write = match (&msg, presence.collab()) {
            (Req::Input(_) | Req::Resize(_) | Req::TerminalLook(_), Some(_)) => {
                match presence.role() {
                    Ok(role) => role == Role::Editor && !read_only,
                    Err(st) => {
                        let _ = tx.send(Err(st)).await;
                        return;
                    }
                }
            }
            _ => writer,
        };
        if may_write != writer {
            writer = may_write;
            let _ = attachment.set_read_only(!writer).await;
        }
        let refusal: Option<Status> = match msg {
            Req::Input(data) => {
                if read_only {
                    Some(status(Error::ReadOnly))
                } else if !writer {
                    presence.refused("input");
                    Some(Status::permission_denied(
                        "you are a viewer: ask for control (the owner grants edit)",
                    ))
                } else {
                    presence.typed(&data);
                    attachment.input(data).await.err().map(status)
                }
            }
            Req::Resize(s) => match Size::checked(s.cols, s.rows) {
                None => Some(status(Error::InvalidArgument(format!(
                    "invalid size {}x{}: ignored",
                    s.cols, s.rows
                )))),
                Some(_) if read_only => None,
                Some(_) if !writer => {
                    presence.refused("resize");
                    Some(Status::permission_denied(
                        "you are a viewer: your size does not change the session",
                    ))
                }
                Some(size) => attachment.resize(size).await.err().map(status),
            },
            Req::Start(_) => Some(status(Error::InvalidArgument(
                "already attached: `start` ignored".to_owned(),
            ))),
            Req::Select(sel) => {
                presence.select(sel);
                None
            }
            // A read-only client or a viewer does not say what the program
            // sees: ignored (their client sends it unasked).
            Req::TerminalLook(_) if read_only || !writer => None,
            Req::TerminalLook(look) => match convert::terminal_look(&look) {
                Ok(look) => attachment.terminal_look(look).await.err().map(status),
                Err(why) => Some(status(Error::InvalidArgument(format!(
                    "terminal look ignored: {why}"
                )))),
            },
        };
        if let Some(st) = refusal
            && tx.send(notice(&st)).await.is_err()
        {
            return;
        }
    }
}

/// Why an attach stream ends when reading the client's messages failed. A
/// message over `limits.max_message_bytes` is tonic's OUT_OF_RANGE (as for a
/// unary call), said so that a client knows what to change.
fn input_failed(e: &Status) -> Status {
    match e.code() {
        tonic::Code::OutOfRange => Status::out_of_range(format!(
            "attach message refused, the stream ends: {} (limits.max_message_bytes; \
             send input in smaller pieces)",
            e.message()
        )),
        code => Status::new(
            code,
            format!("the attach stream's input failed: {}", e.message()),
        ),
    }
}
