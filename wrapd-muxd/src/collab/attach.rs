//! The attach stream, whichever door it comes in by: a stream of
//! `AttachRequest`s in (the door decodes its wire into them), a stream of
//! `AttachEvent`s out, whose last item, if it is an error, says why the stream
//! ended. Per client, three tasks share one `session::Attachment`:
//! - the sync task (`sync`) wakes on the session's pulse, asks the actor for
//!   what changed since the client's sync point and sends it — while a send is
//!   blocked by a slow client nothing accumulates, the next update simply
//!   covers more;
//! - the input task (`input`) forwards input, resizes and selections, and
//!   reports refusals as notices;
//! - the presence task (`presence`) sends who is here whenever that changes.
//!
//! For a collaborator the sync task filters each update by the share's
//! starting point (one update shared by every collaborator at the same point:
//! `shared_updates`) and counts its bytes against the share's limits; the
//! input task asks for their role at every message; all three end when they
//! are removed or the share stops.
//!
//! Any task ending (client gone, session over) ends the others; dropping the
//! last `Arc<Attachment>` detaches the client.

use std::pin::Pin;
use std::sync::Arc;

use futures_util::{Stream, StreamExt};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::Status;
use wrapd_proto::pb;
use wrapd_proto::pb::attach_event::Msg as Event;
use wrapd_proto::pb::attach_request::Msg as Req;
use wrapd_proto::version::{self, Speaker};

use super::input::input_task;
use super::presence::{self, Presence};
use super::stream_reads::StreamReads;
use super::sync::sync_task;
use crate::convert::{self, new_session};
use crate::daemon::Daemon;
use crate::error::{Error, status};
use crate::session::{Size, SyncPoint};
use crate::share::Role;
use crate::share::authz::{self, Access, Caller, Rpc};
use crate::share::filter::Window;
use crate::term::RowIndex;

/// What a client sends, as its door decoded it; an error ends the stream
/// (the door says why: a message over the limit, one it could not decode).
pub type Inbound = Pin<Box<dyn Stream<Item = Result<pb::AttachRequest, Status>> + Send>>;
/// What the client gets; an error is the last item, and says why it ended.
pub type EventStream = ReceiverStream<Result<pb::AttachEvent, Status>>;
pub(super) type Tx = mpsc::Sender<Result<pb::AttachEvent, Status>>;

/// How long a cut-off collaborator's stream waits to deliver why.
pub(super) const CUT_OFF_NOTICE: std::time::Duration = std::time::Duration::from_millis(500);
/// Events buffered per client at most (each a whole update).
const EVENT_BUFFER: usize = 2;
/// A client sends `start` within this long of opening the stream, or the
/// stream ends (DEADLINE_EXCEEDED): an open stream holds a connection (and,
/// on the web door, a place among its connections) for as long as it lasts,
/// and one that never starts must not hold it for ever.
pub const START_WITHIN: std::time::Duration = std::time::Duration::from_secs(5);

pub(super) fn event(msg: Event) -> Result<pb::AttachEvent, Status> {
    Ok(pb::AttachEvent { msg: Some(msg) })
}

/// Attach `caller` with the requests of `inbound` (the first must be
/// `start`): the events for them, or why not.
pub async fn attach(
    daemon: Arc<Daemon>,
    caller: Caller,
    inbound: impl Stream<Item = Result<pb::AttachRequest, Status>> + Send + 'static,
) -> Result<EventStream, Status> {
    let mut inbound: Inbound = Box::pin(inbound);
    // Refuse a stranger before waiting for anything from them: an
    // unauthenticated caller must not hold a stream open.
    authz::authorize(&daemon.shares, &daemon.registry, &caller, Rpc::Attach, "")?;
    let first = tokio::time::timeout(START_WITHIN, inbound.next())
        .await
        .map_err(|_| {
            Status::deadline_exceeded(format!(
                "no `start` within {} s of opening the attach stream: open it again and \
                 send `start` first",
                START_WITHIN.as_secs()
            ))
        })?;
    let start = match first.transpose()? {
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
    let reads = StreamReads::new(
        daemon.clone(),
        attachment.handle().clone(),
        collab.clone(),
        tx.clone(),
        done.clone(),
    );
    tokio::spawn(sync_task(
        slot,
        attachment.clone(),
        collab,
        daemon,
        resume,
        start.history_rows,
        tx.clone(),
        done.clone(),
    ));
    tokio::spawn(input_task(
        attachment,
        presence,
        reads,
        start.read_only,
        writer,
        inbound,
        tx,
        done,
    ));
    Ok(ReceiverStream::new(rx))
}
