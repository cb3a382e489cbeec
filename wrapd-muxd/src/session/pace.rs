//! How often one client is sent an update.
//!
//! A session that prints without pause commits a change every turn of its
//! actor (every 32 KiB). Sending each one would build, encode, send, decode
//! and apply an update per turn — several hundred a second for one `cat` —
//! while the client draws at most one frame per [`FRAME`]; on a small machine
//! that work comes out of the printing program's own throughput. So an update
//! waits until a frame has passed since the last one, and the next update
//! then covers everything since. Output that comes after a pause goes at once,
//! and so does everything in the moments after this client typed: the echo of
//! a key never waits for the pacer (the client's own pacer draws it at once,
//! too).

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;
use wrapd_common::pace::FRAME;

/// After this client's input, updates go at once for this long: the echo
/// (and what the key started, a prompt's redraw) is not paced.
const AFTER_INPUT: Duration = Duration::from_millis(50);

/// One client's pacer, shared by its input side (which marks keys) and its
/// sync task (which asks when it may send).
#[derive(Debug)]
pub struct UpdatePacer {
    typed_at: Mutex<Option<Instant>>,
}

impl Default for UpdatePacer {
    fn default() -> Self {
        UpdatePacer {
            typed_at: Mutex::new(None),
        }
    }
}

impl UpdatePacer {
    /// The client sent input `now`.
    pub fn typed(&self, now: Instant) {
        *self.typed_at.lock().unwrap_or_else(|e| e.into_inner()) = Some(now);
    }

    /// When the next update may be sent, given when the last one was (`None`:
    /// none yet). `now` or earlier means at once.
    pub fn send_at(&self, last_sent: Option<Instant>, now: Instant) -> Instant {
        let typed_at = *self.typed_at.lock().unwrap_or_else(|e| e.into_inner());
        let echoing = typed_at.is_some_and(|t| now.saturating_duration_since(t) < AFTER_INPUT);
        match last_sent {
            Some(last) if !echoing => (last + FRAME).max(now),
            _ => now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_after_a_pause_goes_at_once() {
        let pacer = UpdatePacer::default();
        let now = Instant::now();
        assert_eq!(pacer.send_at(None, now), now);
        assert_eq!(pacer.send_at(Some(now - FRAME * 3), now), now);
    }

    #[test]
    fn streaming_output_waits_for_the_frame() {
        let pacer = UpdatePacer::default();
        let now = Instant::now();
        let last = now - FRAME / 4;
        assert_eq!(pacer.send_at(Some(last), now), last + FRAME);
    }

    #[test]
    fn the_echo_of_a_key_is_not_paced() {
        let pacer = UpdatePacer::default();
        let now = Instant::now();
        pacer.typed(now - Duration::from_millis(1));
        assert_eq!(
            pacer.send_at(Some(now - Duration::from_millis(1)), now),
            now
        );
        // Long after the key, streaming output is paced again.
        let later = now + AFTER_INPUT * 2;
        let last = later - FRAME / 2;
        assert_eq!(pacer.send_at(Some(last), later), last + FRAME);
    }
}
