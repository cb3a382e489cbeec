//! Reads of a session's history in flight, counted per participant.
//!
//! A read of the history (rows, a search, blocks, a block's output) is
//! queued on the session's actor, which does them one at a time; a search
//! through 100,000 rows takes tens of milliseconds. One collaborator asking
//! for hundreds at once (over several connections) would make everyone
//! else's reads of that session wait behind theirs. So each participant has
//! at most [`PER_PARTICIPANT`] reads queued or running; their next one waits
//! in its own request (not on the actor) until one of theirs is done. The
//! owner's reads are not counted: they are local and trusted, and a
//! collaborator's flood cannot delay them by more than every participant's
//! few. (Typing and updates never wait for reads: `session::handle`'s lanes.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Reads of the history one participant may have queued or running at once.
pub const PER_PARTICIPANT: usize = 4;
/// Participants remembered before idle ones are forgotten.
const REMEMBERED: usize = 1024;

/// (share id, participant id).
type Participant = (String, String);

#[derive(Default, Clone)]
pub struct HistoryReads {
    /// Each participant's permits to read.
    participants: Arc<Mutex<HashMap<Participant, Arc<Semaphore>>>>,
}

/// A read's place; dropping it lets the participant's next read go.
pub struct ReadTurn {
    _permit: Option<OwnedSemaphorePermit>,
}

impl HistoryReads {
    /// Wait for a turn to read: at once for the owner (`who` is `None`),
    /// else once fewer than [`PER_PARTICIPANT`] of the participant's reads
    /// are in flight. `who` is (share id, participant id).
    pub async fn turn(&self, who: Option<(&str, &str)>) -> ReadTurn {
        let Some((share, participant)) = who else {
            return ReadTurn { _permit: None };
        };
        let permits = {
            let mut map = self
                .participants
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if map.len() >= REMEMBERED {
                map.retain(|_, s| s.available_permits() < PER_PARTICIPANT);
            }
            map.entry((share.to_owned(), participant.to_owned()))
                .or_insert_with(|| Arc::new(Semaphore::new(PER_PARTICIPANT)))
                .clone()
        };
        // The semaphore is never closed.
        ReadTurn {
            _permit: permits.acquire_owned().await.ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::pin;
    use std::task::Poll;

    use super::*;

    /// Whether `fut` is done after one poll.
    async fn ready_at_once(fut: impl Future) -> bool {
        let mut fut = pin!(fut);
        std::future::poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx).is_ready())).await
    }

    #[tokio::test]
    async fn a_participants_fifth_read_waits_for_one_of_theirs() {
        let reads = HistoryReads::default();
        let ada = Some(("share", "ada"));
        let mut held = Vec::new();
        for _ in 0..PER_PARTICIPANT {
            held.push(reads.turn(ada).await);
        }
        assert!(!ready_at_once(reads.turn(ada)).await, "a fifth read waits");
        // Others are not held up by Ada's reads, nor is the owner.
        assert!(ready_at_once(reads.turn(Some(("share", "bo")))).await);
        assert!(ready_at_once(reads.turn(None)).await);
        held.pop();
        assert!(
            ready_at_once(reads.turn(ada)).await,
            "one done, the next goes"
        );
    }

    #[tokio::test]
    async fn idle_participants_are_forgotten_once_many_were_seen() {
        let reads = HistoryReads::default();
        for i in 0..REMEMBERED + 10 {
            drop(reads.turn(Some(("share", &format!("p{i}")))).await);
        }
        let remembered = reads.participants.lock().unwrap().len();
        assert!(remembered <= REMEMBERED, "{remembered} remembered");
    }
}
