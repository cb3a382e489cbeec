//! How often one client is sent an update.
//!
//! A session that prints without pause commits a change every turn of its
//! actor (every 32 KiB). Sending each one would build, encode, send, decode
//! and apply an update per turn — several hundred a second for one `cat` —
//! while the client draws at most one frame per [`FRAME`]; on a small machine
//! that work comes out of the printing program's own throughput. So:
//! - a change that comes after a pause (longer than the current frame) goes
//!   at once: a prompt, a redraw, a counter ticking every 10 ms are never
//!   held back;
//! - a change that comes sooner waits for the frame, and the update then
//!   covers everything since;
//! - while output keeps streaming, every paced update doubles the frame, up
//!   to [`MAX_FRAME`]: a flood nobody can read is drawn at 30 frames a second,
//!   and the printing program keeps the machine (measured: at 125 updates a
//!   second a `cat` of colour text ran 10 % slower than at 30);
//! - in the moments after this client typed, everything goes at once and the
//!   frame starts again at [`FRAME`]: the echo of a key never waits (the
//!   client's own pacer draws it at once, too).

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The first frame of streaming output: the frame of `wrapd-attach`'s own
/// pacer.
pub use wrapd_common::pace::FRAME;

/// The longest frame, reached after output streamed for a few frames.
pub const MAX_FRAME: Duration = Duration::from_millis(32);

/// After this client's input, updates go at once for this long: the echo
/// (and what the key started, a prompt's redraw) is not paced.
const AFTER_INPUT: Duration = Duration::from_millis(50);

/// One client's record of its keys, shared by its input side (which marks
/// them) and its sync task (whose [`Cadence`] reads it).
#[derive(Debug, Default)]
pub struct UpdatePacer {
    typed_at: Mutex<Option<Instant>>,
}

impl UpdatePacer {
    /// The client sent input `now`.
    pub fn typed(&self, now: Instant) {
        *self.typed_at.lock().unwrap_or_else(|e| e.into_inner()) = Some(now);
    }

    /// Whether `now` is within the moments after the client's last key.
    fn echoing(&self, now: Instant) -> bool {
        let typed_at = *self.typed_at.lock().unwrap_or_else(|e| e.into_inner());
        typed_at.is_some_and(|t| now.saturating_duration_since(t) < AFTER_INPUT)
    }
}

/// When one client's updates go: owned by its sync task.
#[derive(Debug)]
pub struct Cadence {
    last_sent: Option<Instant>,
    frame: Duration,
    /// The update about to go was held for the frame (output is streaming).
    held: bool,
}

impl Default for Cadence {
    fn default() -> Self {
        Cadence {
            last_sent: None,
            frame: FRAME,
            held: false,
        }
    }
}

impl Cadence {
    /// When the update for a change seen `now` may go (`now` or earlier:
    /// at once).
    pub fn send_at(&mut self, pacer: &UpdatePacer, now: Instant) -> Instant {
        if pacer.echoing(now) {
            self.frame = FRAME;
            return now;
        }
        let Some(last) = self.last_sent else {
            return now;
        };
        let due = last + self.frame;
        if now >= due && !self.held {
            // The change came after a pause: nothing is streaming.
            self.frame = FRAME;
            return now;
        }
        self.held = true;
        due.max(now)
    }

    /// Whether output is streaming: the frame has grown, so the next change
    /// will wait for it.
    pub fn streaming(&self) -> bool {
        self.frame > FRAME
    }

    /// An update went at `now`.
    pub fn sent(&mut self, now: Instant) {
        if self.held {
            self.frame = (self.frame * 2).min(MAX_FRAME);
        }
        self.held = false;
        self.last_sent = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn output_after_a_pause_goes_at_once() {
        let pacer = UpdatePacer::default();
        let mut cadence = Cadence::default();
        let now = Instant::now();
        assert_eq!(cadence.send_at(&pacer, now), now);
        cadence.sent(now);
        let later = now + FRAME * 3;
        assert_eq!(cadence.send_at(&pacer, later), later);
    }

    #[test]
    fn a_program_ticking_slower_than_the_frame_gets_every_tick() {
        let pacer = UpdatePacer::default();
        let mut cadence = Cadence::default();
        let mut now = Instant::now();
        for _ in 0..20 {
            assert_eq!(cadence.send_at(&pacer, now), now);
            cadence.sent(now);
            now += ms(10);
        }
    }

    #[test]
    fn streaming_output_waits_for_a_frame_that_grows_to_the_longest() {
        let pacer = UpdatePacer::default();
        let mut cadence = Cadence::default();
        let start = Instant::now();
        cadence.sent(start);
        let mut last = start;
        let mut gaps = Vec::new();
        for _ in 0..6 {
            // A change a millisecond after the last update: held.
            let at = cadence.send_at(&pacer, last + ms(1));
            assert!(at > last + ms(1));
            // The sync task sleeps until then and asks again.
            assert_eq!(cadence.send_at(&pacer, at), at);
            cadence.sent(at);
            gaps.push(at - last);
            last = at;
        }
        assert_eq!(
            gaps,
            [FRAME, FRAME * 2, FRAME * 4, MAX_FRAME, MAX_FRAME, MAX_FRAME]
        );
        // A pause longer than the frame: at once, and the frame starts over.
        let after_pause = last + MAX_FRAME * 2;
        assert_eq!(cadence.send_at(&pacer, after_pause), after_pause);
        cadence.sent(after_pause);
        assert_eq!(
            cadence.send_at(&pacer, after_pause + ms(1)),
            after_pause + FRAME
        );
    }

    #[test]
    fn the_echo_of_a_key_is_not_paced_and_restarts_the_frame() {
        let pacer = UpdatePacer::default();
        let mut cadence = Cadence::default();
        let start = Instant::now();
        let mut last = start;
        cadence.sent(last);
        for _ in 0..5 {
            let at = cadence.send_at(&pacer, last + ms(1));
            cadence.send_at(&pacer, at);
            cadence.sent(at);
            last = at;
        }
        let now = last + ms(1);
        pacer.typed(now);
        assert_eq!(cadence.send_at(&pacer, now), now);
        cadence.sent(now);
        // Long after the key, streaming output is paced from the first frame.
        let later = now + AFTER_INPUT * 2;
        cadence.sent(later);
        assert_eq!(cadence.send_at(&pacer, later + ms(1)), later + FRAME);
    }

    #[test]
    fn streaming_is_a_grown_frame_and_a_pause_ends_it() {
        let pacer = UpdatePacer::default();
        let mut cadence = Cadence::default();
        let start = Instant::now();
        cadence.sent(start);
        assert!(!cadence.streaming());
        let at = cadence.send_at(&pacer, start + ms(1));
        cadence.sent(at);
        assert!(cadence.streaming(), "a held update grows the frame");
        let later = at + MAX_FRAME * 2;
        assert_eq!(cadence.send_at(&pacer, later), later);
        assert!(!cadence.streaming(), "a change after a pause starts over");
    }
}
