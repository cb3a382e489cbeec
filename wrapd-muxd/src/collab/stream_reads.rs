//! Reads of the history on an attach stream (`AttachRequest.read`): how a
//! browser, which cannot call `ReadRows` or `SearchRows`, reads rows it does
//! not hold and searches the whole history. Each read is `history`'s (the
//! same window, masking and byte limits as the calls), in the participant's
//! turn (`reads`: at most 4 in flight across all their streams and calls),
//! and runs as a task of its own, so that typing and updates never wait for
//! it; its answer is an `AttachEvent.read` with the read's id. A stream has
//! at most [`PER_STREAM`] reads waiting or running: one more is refused at
//! once, and the stream goes on.

use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tonic::Status;
use wrapd_proto::pb;
use wrapd_proto::pb::attach_event::Msg as Event;
use wrapd_proto::pb::history_answer::Answer;
use wrapd_proto::pb::history_read::Read;

use super::attach::{Tx, event};
use super::history;
use super::input::notice_of;
use super::reads;
use crate::daemon::Daemon;
use crate::session::SessionHandle;
use crate::share::authz::{self, Collab};

/// Reads one stream may have waiting or running at once.
pub const PER_STREAM: usize = reads::PER_PARTICIPANT;

/// One attach stream's reads of its session's history.
pub(super) struct StreamReads {
    daemon: Arc<Daemon>,
    handle: SessionHandle,
    collab: Option<Collab>,
    in_flight: Arc<Semaphore>,
    tx: Tx,
    done: CancellationToken,
}

impl StreamReads {
    pub fn new(
        daemon: Arc<Daemon>,
        handle: SessionHandle,
        collab: Option<Collab>,
        tx: Tx,
        done: CancellationToken,
    ) -> StreamReads {
        StreamReads {
            daemon,
            handle,
            collab,
            in_flight: Arc::new(Semaphore::new(PER_STREAM)),
            tx,
            done,
        }
    }

    /// Start `read`: its answer follows on the stream. One too many is
    /// refused here, at once (the client waits for the refusal to go out,
    /// so that it cannot pile them up).
    pub async fn start(&self, read: pb::HistoryRead) {
        let id = read.id;
        let Ok(permit) = self.in_flight.clone().try_acquire_owned() else {
            let why = Status::resource_exhausted(format!(
                "{PER_STREAM} reads of the history are waiting on this stream already: \
                 wait for their answers"
            ));
            send(&self.tx, &self.done, id, Err(why)).await;
            return;
        };
        let (daemon, handle, collab) = (
            self.daemon.clone(),
            self.handle.clone(),
            self.collab.clone(),
        );
        let (tx, done) = (self.tx.clone(), self.done.clone());
        tokio::spawn(async move {
            let _permit = permit;
            let answer = tokio::select! {
                a = answer(&daemon, &handle, collab.as_ref(), read.read) => a,
                _ = done.cancelled() => return,
            };
            send(&tx, &done, id, answer).await;
        });
    }
}

/// Send the answer to read `id` (unless the stream ends first).
async fn send(tx: &Tx, done: &CancellationToken, id: u32, answer: Result<Answer, Status>) {
    let answer = pb::HistoryAnswer {
        id,
        answer: Some(answer.unwrap_or_else(|why| Answer::Refused(notice_of(&why)))),
    };
    tokio::select! {
        _ = tx.send(event(Event::Read(answer))) => {}
        _ = done.cancelled() => {}
    }
}

/// The answer to `read`, for the owner or collaborator `collab` (their access
/// checked now, against the live list), once it is their turn to read.
async fn answer(
    daemon: &Daemon,
    handle: &SessionHandle,
    collab: Option<&Collab>,
    read: Option<Read>,
) -> Result<Answer, Status> {
    if let Some(c) = collab {
        authz::live_role(&daemon.shares, c)?;
    }
    let who = collab.map(|c| (c.share_id.as_str(), c.participant_id.as_str()));
    let _turn = daemon.history_reads.turn(who).await;
    match read {
        Some(Read::Rows(rows)) => history::read_rows(daemon, handle, collab, &rows)
            .await
            .map(Answer::Rows),
        Some(Read::Search(search)) => history::search_rows(daemon, handle, collab, search)
            .await
            .map(Answer::Search),
        None => Err(Status::invalid_argument(
            "a read of the history names rows or a search",
        )),
    }
}
