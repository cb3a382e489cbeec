//! The attach stream. Per client, two tasks share one [`Attachment`]:
//! - the sync task wakes on the session's pulse, asks the actor for what changed
//!   since the client's sync point and sends it — while a send is blocked by a
//!   slow client nothing accumulates, the next update simply covers more;
//! - the input task forwards input and resizes, and reports refusals as notices.
//!
//! Either task ending (client gone, session over) ends the other; dropping the
//! last `Arc<Attachment>` detaches the client.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::{Status, Streaming};
use wrapd_proto::pb;
use wrapd_proto::pb::attach_event::Msg as Event;
use wrapd_proto::pb::attach_request::Msg as Req;

use super::{convert, new_session, status};
use crate::daemon::Daemon;
use crate::error::Error;
use crate::session::{Attachment, EndReason, Size, SyncPoint};
use crate::term::RowIndex;

pub type EventStream = ReceiverStream<Result<pb::AttachEvent, Status>>;

/// Events buffered per client at most (each a whole update).
const EVENT_BUFFER: usize = 2;

fn event(msg: Event) -> Result<pb::AttachEvent, Status> {
    Ok(pb::AttachEvent { msg: Some(msg) })
}

pub async fn attach(
    daemon: Arc<Daemon>,
    mut inbound: Streaming<pb::AttachRequest>,
) -> Result<EventStream, Status> {
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
    let size = start
        .size
        .and_then(|s| Size::checked(s.cols, s.rows))
        .ok_or_else(|| Status::invalid_argument("attach needs a size of at least 1x1"))?;
    let handle = match daemon.registry.resolve(&start.target) {
        Ok(h) => h,
        Err(Error::UnknownSession(_) | Error::NoSessions) if start.create => {
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
    let client = daemon.registry.new_client_id();
    let attachment = Arc::new(
        handle
            .attach(client, size, start.read_only)
            .await
            .map_err(status)?,
    );
    let max = daemon.config().limits.max_clients;
    if attachment.info.clients as usize > max {
        // Dropping the attachment detaches it again.
        return Err(status(Error::Limit(format!(
            "session `{}` already has {max} clients attached (limits.max_clients)",
            attachment.info.name
        ))));
    }
    daemon.registry.touch(&handle.id);
    let resumed = start.resume_session_id == handle.id.0 && start.resume_seq > 0;
    let resume = resumed.then_some(SyncPoint {
        seq: start.resume_seq,
        screen_start: RowIndex(start.resume_screen_start),
    });
    tracing::debug!(session = %handle.id, client = client.0, read_only = start.read_only, resumed, "client attached");

    let (tx, rx) = mpsc::channel(EVENT_BUFFER);
    let attached = pb::Attached {
        session: Some(convert::session_info(attachment.info.clone())),
        client_id: client.0,
        resumed,
    };
    tx.send(event(Event::Attached(attached)))
        .await
        .map_err(|_| Status::cancelled("client gone"))?;

    let done = CancellationToken::new();
    tokio::spawn(sync_task(
        attachment.clone(),
        resume,
        start.history_rows,
        tx.clone(),
        done.clone(),
    ));
    tokio::spawn(input_task(attachment, start.read_only, inbound, tx, done));
    Ok(ReceiverStream::new(rx))
}

async fn sync_task(
    attachment: Arc<Attachment>,
    mut point: Option<SyncPoint>,
    history_rows: u32,
    tx: mpsc::Sender<Result<pb::AttachEvent, Status>>,
    done: CancellationToken,
) {
    let _done = done.clone().drop_guard();
    let mut pulse = attachment.pulse.clone();
    loop {
        let now = pulse.borrow_and_update().clone();
        if let Some(reason) = now.ended {
            let _ = tx.send(event(Event::Ended(convert::ended(&reason)))).await;
            return;
        }
        if point.is_none_or(|p| p.seq != now.seq) {
            let Ok(update) = attachment.handle().update(point, history_rows).await else {
                // The actor is gone: its last pulse says why.
                let reason = pulse.borrow().ended.clone().unwrap_or(EndReason::Killed);
                let _ = tx.send(event(Event::Ended(convert::ended(&reason)))).await;
                return;
            };
            point = Some(update.point());
            let sent = tokio::select! {
                r = tx.send(event(Event::Update(convert::update(update)))) => r.is_ok(),
                _ = done.cancelled() => false,
            };
            if !sent {
                return;
            }
        }
        tokio::select! {
            r = pulse.changed() => if r.is_err() {
                // The actor is gone; its last pulse (if any) says why.
                let reason = pulse.borrow().ended.clone().unwrap_or(EndReason::Killed);
                let _ = tx.send(event(Event::Ended(convert::ended(&reason)))).await;
                return;
            },
            _ = done.cancelled() => return,
        }
    }
}

async fn input_task(
    attachment: Arc<Attachment>,
    read_only: bool,
    mut inbound: Streaming<pb::AttachRequest>,
    tx: mpsc::Sender<Result<pb::AttachEvent, Status>>,
    done: CancellationToken,
) {
    let _done = done.clone().drop_guard();
    loop {
        let msg = tokio::select! {
            m = inbound.message() => m,
            _ = done.cancelled() => return,
        };
        let refusal = match msg {
            Ok(Some(pb::AttachRequest {
                msg: Some(Req::Input(data)),
            })) => {
                if read_only {
                    Some(Error::ReadOnly)
                } else {
                    attachment.input(data).await.err()
                }
            }
            Ok(Some(pb::AttachRequest {
                msg: Some(Req::Resize(s)),
            })) => match Size::checked(s.cols, s.rows) {
                None => Some(Error::InvalidArgument(format!(
                    "invalid size {}x{}: ignored",
                    s.cols, s.rows
                ))),
                Some(_) if read_only => None,
                Some(size) => attachment.resize(size).await.err(),
            },
            Ok(Some(pb::AttachRequest {
                msg: Some(Req::Start(_)),
            })) => Some(Error::InvalidArgument(
                "already attached: `start` ignored".to_owned(),
            )),
            // Highlights reach other participants once presence is kept (sharing).
            Ok(Some(pb::AttachRequest {
                msg: Some(Req::Select(_)),
            })) => None,
            Ok(Some(pb::AttachRequest { msg: None })) => None,
            Ok(None) => return,
            Err(e) => {
                tracing::debug!(client = attachment.client.0, "attach stream: {e}");
                return;
            }
        };
        if let Some(e) = refusal {
            let st = status(e);
            let notice = pb::Notice {
                code: format!("{:?}", st.code()),
                message: st.message().to_owned(),
            };
            if tx.send(event(Event::Notice(notice))).await.is_err() {
                return;
            }
        }
    }
}
