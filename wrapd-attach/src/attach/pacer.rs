//! When the attached client draws a frame.
//!
//! Output that streams in is drawn at most once per [`FRAME`]: a program
//! printing megabytes must not make us redraw for every chunk. But a key the
//! user typed is waiting for its echo, and the echo must not wait for the
//! frame limiter (that made echo take up to 8 ms where tmux takes 0.2): the
//! first frame after a key is drawn at once. Keys come at human speed (or at
//! a paste's, which is one key), so this cannot turn into a frame per chunk.
//! Nor may a snapshot wait (the first screen after attaching, or after a
//! reconnection): a frame drawn a moment before it arrived (the outer
//! terminal's queries, a notice) would otherwise hold the session's first
//! screen back by a frame.

use tokio::time::Instant;
use wrapd_common::pace::FRAME;

#[derive(Debug)]
pub struct Pacer {
    last_draw: Instant,
    /// A key went to the session, or a snapshot came, since the last
    /// frame: the next one is drawn at once.
    at_once: bool,
}

impl Pacer {
    pub fn new(now: Instant) -> Pacer {
        Pacer {
            last_draw: now - FRAME,
            at_once: false,
        }
    }

    /// Input was sent to the session: its echo may draw at once.
    pub fn typed(&mut self) {
        self.at_once = true;
    }

    /// A snapshot came (the session's whole screen): draw it at once.
    pub fn snapshot(&mut self) {
        self.at_once = true;
    }

    /// The earliest time a pending change may be drawn.
    pub fn draw_at(&self) -> Instant {
        if self.at_once {
            self.last_draw
        } else {
            self.last_draw + FRAME
        }
    }

    /// Whether a pending change may be drawn `now`.
    pub fn may_draw(&self, now: Instant) -> bool {
        now >= self.draw_at()
    }

    /// A frame was drawn `now`.
    pub fn drew(&mut self, now: Instant) {
        self.last_draw = now;
        self.at_once = false;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn streaming_output_is_drawn_once_per_frame() {
        let t0 = Instant::now();
        let mut p = Pacer::new(t0);
        assert!(p.may_draw(t0), "the first frame draws at once");
        p.drew(t0);
        assert!(!p.may_draw(t0 + Duration::from_millis(3)));
        assert_eq!(p.draw_at(), t0 + FRAME);
        assert!(p.may_draw(t0 + FRAME));
    }

    #[test]
    fn the_frame_after_a_key_is_not_held_back() {
        let t0 = Instant::now();
        let mut p = Pacer::new(t0);
        p.drew(t0);
        let key = t0 + Duration::from_millis(3);
        p.typed();
        assert!(
            p.may_draw(key + Duration::from_micros(300)),
            "the echo draws at once"
        );
        p.drew(key + Duration::from_micros(300));
        // Only that one: more output right after waits for the frame.
        assert!(!p.may_draw(key + Duration::from_millis(1)));
    }

    #[test]
    fn a_snapshot_is_drawn_at_once_even_right_after_a_frame() {
        let t0 = Instant::now();
        let mut p = Pacer::new(t0);
        p.drew(t0);
        let came = t0 + Duration::from_millis(1);
        assert!(!p.may_draw(came), "streaming output would wait");
        p.snapshot();
        assert!(p.may_draw(came), "the session's first screen does not");
        p.drew(came);
        assert!(!p.may_draw(came + Duration::from_millis(1)));
    }
}
