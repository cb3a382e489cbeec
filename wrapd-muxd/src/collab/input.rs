//! An attach stream's input task: what the client sends, checked message by
//! message against their role now (see `attach`).

use std::sync::Arc;

use futures_util::StreamExt;
use tokio_util::sync::CancellationToken;
use tonic::Status;
use wrapd_proto::pb;
use wrapd_proto::pb::attach_event::Msg as Event;
use wrapd_proto::pb::attach_request::Msg as Req;

use super::attach::{CUT_OFF_NOTICE, Inbound, Tx, event};
use super::presence::Presence;
use super::stream_reads::StreamReads;
use crate::convert;
use crate::error::{Error, status};
use crate::session::{Attachment, Size};
use crate::share::Role;

/// A refusal as the client shows it.
pub(super) fn notice_of(st: &Status) -> pb::Notice {
    pb::Notice {
        code: format!("{:?}", st.code()),
        message: st.message().to_owned(),
    }
}

fn notice(st: &Status) -> Result<pb::AttachEvent, Status> {
    event(Event::Notice(notice_of(st)))
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn input_task(
    attachment: Arc<Attachment>,
    presence: Arc<Presence>,
    reads: StreamReads,
    read_only: bool,
    mut writer: bool,
    mut inbound: Inbound,
    tx: Tx,
    done: CancellationToken,
) {
    let _done = done.clone().drop_guard();
    let cut_off = presence.cut_off();
    loop {
        let msg = tokio::select! {
            m = inbound.next() => m,
            _ = done.cancelled() => return,
            _ = cut_off.cancelled() => return,
        };
        let msg = match msg {
            Some(Ok(pb::AttachRequest { msg: Some(m) })) => m,
            Some(Ok(pb::AttachRequest { msg: None })) => continue,
            // The client sends nothing more (a watcher may close its side
            // after `start`): updates go on until it goes.
            None => {
                tokio::select! {
                    _ = tx.closed() => {}
                    _ = done.cancelled() => {}
                    _ = cut_off.cancelled() => {}
                }
                return;
            }
            Some(Err(e)) => {
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
            // Answered on the stream when done (`stream_reads`).
            Req::Read(read) => {
                reads.start(read).await;
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
/// message over `limits.max_message_bytes` is OUT_OF_RANGE (as for a unary
/// call), said so that a client knows what to change.
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
