//! `GET /s/SHARE/ws`: a browser's attach stream, as a WebSocket. After the
//! origin check (a page of another site gets 403 and no socket) it is
//! `collab::attach` — the gRPC stream's code — with binary frames for its
//! messages: each frame from the browser is one `AttachRequest`, each frame
//! to it one `AttachEvent` (protobuf, `mux.proto`). Why a stream ends, or was
//! never started (no credential, removed, a limit), is the close frame: code
//! 4000 + the HTTP status of the refusal (4401, 4403, 4429, …) and its
//! message; 4408 for a socket that sent no `start` within
//! `collab::START_WITHIN` (the page opens another). A session that ended
//! closes normally (1000) after `ended`. One participant holds at most
//! `limits::SOCKETS_PER_PARTICIPANT` sockets (4429 past that).

use std::future::ready;
use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Extension, Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use prost::Message as _;
use tonic::Status;
use wrapd_proto::pb;

use super::limits::SOCKETS_PER_PARTICIPANT;
use super::refusal::{Refused, close_code};
use super::routes::{ConnectionSlot, Web, share_id};
use crate::collab;
use crate::daemon::Daemon;
use crate::share::authz::Caller;
use crate::share::tls::PeerIdentity;

/// Longest close reason a close frame carries (RFC 6455: 125 bytes less the code).
const MAX_REASON: usize = 123;
/// Close code of a stream that ended as it should (the session ended).
const NORMAL: u16 = 1000;

pub async fn stream(
    State(web): State<Web>,
    Path(share): Path<String>,
    Extension(slot): Extension<ConnectionSlot>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Result<Response, Refused> {
    let share = share_id(&share)?;
    // A WebSocket is not covered by CORS: only the share's own page opens it.
    web.same_origin(&headers, true)?;
    // Refusals from here on reach the page as close frames, which it can
    // read (a refused handshake tells a page nothing).
    let (caller, held) = match web.credential(&headers, share) {
        Err(why) => (Err(why), None),
        Ok(holder) => match holder
            .share
            .as_ref()
            .and_then(|(s, p, _)| web.sockets.take((s.clone(), p.clone())))
        {
            None => (Err(too_many_sockets()), None),
            Some(held) => (
                Ok(Caller::Peer(Arc::new(PeerIdentity::Browser(holder)))),
                Some(held),
            ),
        },
    };
    let max = web.daemon.config().limits.max_message_bytes;
    let daemon = web.daemon.clone();
    Ok(upgrade
        .max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| async move {
            run(daemon, caller, socket).await;
            // Counted among the door's connections, and the participant's
            // sockets, until now.
            drop((slot, held));
        }))
}

fn too_many_sockets() -> Status {
    Status::resource_exhausted(format!(
        "you already have {SOCKETS_PER_PARTICIPANT} connections open to this share, the limit: \
         close a page of it first"
    ))
}

/// The stream on `socket` for `caller` (or why not), until either side ends it.
async fn run(daemon: Arc<Daemon>, caller: Result<Caller, Status>, socket: WebSocket) {
    let (mut to_browser, from_browser) = socket.split();
    let requests = from_browser
        .take_while(|m| ready(!matches!(m, Ok(Message::Close(_)))))
        .filter_map(|m| ready(request(m)));
    let events = match caller {
        Ok(caller) => collab::attach(daemon.clone(), caller, requests).await,
        Err(why) => Err(why),
    };
    let end = match events {
        Err(why) => Some(why),
        Ok(mut events) => loop {
            let event = tokio::select! {
                e = events.next() => e,
                _ = daemon.shutdown.cancelled() => {
                    break Some(Status::unavailable("the daemon is shutting down"));
                }
            };
            match event {
                Some(Ok(event)) => {
                    let frame = Message::Binary(event.encode_to_vec().into());
                    if let Err(e) = to_browser.send(frame).await {
                        // The browser is gone: dropping the events ends the stream.
                        tracing::debug!("web stream: the browser went: {e}");
                        return;
                    }
                }
                Some(Err(why)) => break Some(why),
                None => break None,
            }
        },
    };
    let _ = to_browser
        .send(Message::Close(Some(close_frame(end))))
        .await;
}

/// One frame from the browser as a request: `None` for the frames that are
/// the WebSocket's own (ping, pong), an error for anything not a request.
fn request(m: Result<Message, axum::Error>) -> Option<Result<pb::AttachRequest, Status>> {
    match m {
        Ok(Message::Binary(bytes)) => Some(pb::AttachRequest::decode(bytes).map_err(|e| {
            Status::invalid_argument(format!("a frame that is not an AttachRequest: {e}"))
        })),
        Ok(Message::Text(_)) => Some(Err(Status::invalid_argument(
            "text frames are not requests: send each AttachRequest as a binary frame",
        ))),
        Ok(_) => None,
        Err(e) => Some(Err(read_failed(e))),
    }
}

/// Why reading the socket failed; a frame over `limits.max_message_bytes`
/// says so, as on gRPC (the core adds what to do).
fn read_failed(e: axum::Error) -> Status {
    match e.into_inner().downcast::<tungstenite::Error>() {
        Ok(e) => match *e {
            tungstenite::Error::Capacity(c) => Status::out_of_range(c.to_string()),
            e => Status::invalid_argument(format!("the WebSocket failed: {e}")),
        },
        Err(e) => Status::invalid_argument(format!("the WebSocket failed: {e}")),
    }
}

/// The close frame for a stream that ended with `end` (`None`: as it should).
fn close_frame(end: Option<Status>) -> CloseFrame {
    let Some(why) = end else {
        return CloseFrame {
            code: NORMAL,
            reason: "the stream ended".into(),
        };
    };
    CloseFrame {
        code: close_code(why.code()),
        reason: fit(why.message(), MAX_REASON).into(),
    }
}

/// `text` cut to at most `max` bytes, at a character's edge, marked if cut.
fn fit(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max - '…'.len_utf8();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_reasons_fit_a_close_frame_and_keep_their_characters_whole() {
        assert_eq!(fit("short", MAX_REASON), "short");
        let long = "é".repeat(100);
        let cut = fit(&long, MAX_REASON);
        assert!(cut.len() <= MAX_REASON && cut.ends_with('…'), "{cut}");
        assert!(cut.trim_end_matches('…').chars().all(|c| c == 'é'));
    }

    #[test]
    fn refusals_close_with_their_http_status_in_the_4000s() {
        let f = close_frame(Some(Status::permission_denied("the owner removed you")));
        assert_eq!((f.code, f.reason.as_str()), (4403, "the owner removed you"));
        assert_eq!(close_frame(Some(Status::unauthenticated(""))).code, 4401);
        assert_eq!(close_frame(Some(Status::resource_exhausted(""))).code, 4429);
        assert_eq!(close_frame(None).code, NORMAL);
    }
}
