//! The attach stream broke without an end (a daemon being upgraded, a
//! network or ssh route that dropped): the client says "reconnecting…" in its
//! status line, stays usable (scroll mode, detach), keeps what is typed
//! meanwhile, and tries again with backoff, resuming from the last sequence
//! number it saw. A final answer (removed, revoked, share stopped, limit
//! reached, certificate refused or expired, session gone, daemon stopped)
//! ends it with the message and no retry.

use std::time::Duration;

use tokio::time::Instant;
use wrapd_proto::pb;

use super::{AttachOptions, Outcome, ShareSide};
use crate::connect::status_message;

/// The first try comes at once (a daemon being upgraded is back within
/// milliseconds, and meanwhile its socket holds the connection in its
/// backlog); after a failed try, the next comes after this long, each next
/// one after twice as long, up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Input typed while reconnecting that is kept to send once back (more is
/// dropped, and the status line says so).
const MAX_PENDING_INPUT: usize = 64 << 10;

/// Being without a stream, trying to get one back.
#[derive(Debug)]
pub(super) struct Reconnecting {
    /// Tries made so far.
    tries: u32,
    next_at: Instant,
    /// Why the last try (or the stream) failed.
    why: String,
    /// Typed meanwhile, to send once resumed.
    pending: Vec<u8>,
    dropped_input: bool,
}

/// What a failed try means.
pub(super) enum Failure {
    /// Try again later.
    Retry,
    /// A final answer: the attach ends so, with no retry.
    Final(Outcome),
}

impl Reconnecting {
    /// The stream broke because of `why`: the first try comes at once.
    pub fn start(why: String) -> Reconnecting {
        Reconnecting {
            tries: 0,
            next_at: Instant::now(),
            why,
            pending: Vec::new(),
            dropped_input: false,
        }
    }

    /// When the next try is due.
    pub fn due(&self) -> Instant {
        self.next_at
    }

    /// What the status line says meanwhile.
    pub fn status(&self) -> String {
        let dropped = if self.dropped_input {
            " (some typing was dropped)"
        } else {
            ""
        };
        match self.tries {
            0 => format!("reconnecting…{dropped} ({})", self.why),
            n => format!("reconnecting… try {n}{dropped} ({})", self.why),
        }
    }

    /// A try failed with `s`: final, or when to try next.
    pub fn failed(&mut self, s: &tonic::Status, opts: &AttachOptions) -> Failure {
        if let Some(outcome) = final_answer(s, opts) {
            return Failure::Final(outcome);
        }
        self.tries += 1;
        self.why = status_message(s);
        let backoff = FIRST_BACKOFF
            .saturating_mul(1 << (self.tries - 1).min(10))
            .min(MAX_BACKOFF);
        self.next_at = Instant::now() + backoff;
        Failure::Retry
    }

    /// Keep `data` (typed while reconnecting) to send once back.
    pub fn keep_input(&mut self, data: Vec<u8>) {
        if self.pending.len() + data.len() > MAX_PENDING_INPUT {
            self.dropped_input = true;
            return;
        }
        self.pending.extend(data);
    }

    /// What was typed meanwhile (once resumed).
    pub fn take_input(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.pending)
    }
}

/// The start of a stream that resumes from what the client has.
pub(super) fn resume(
    mut start: pb::AttachStart,
    session_id: &str,
    seq: u64,
    screen_start: u64,
) -> pb::AttachStart {
    start.target = session_id.to_owned();
    start.create = false;
    start.create_request = None;
    start.resume_session_id = session_id.to_owned();
    start.resume_seq = seq;
    start.resume_screen_start = screen_start;
    start
}

/// A status that says "no" (as opposed to a broken connection), or a daemon
/// that is gone for good: how the attach ends.
pub(super) fn final_answer(s: &tonic::Status, opts: &AttachOptions) -> Option<Outcome> {
    use tonic::Code;
    let refusal = matches!(
        s.code(),
        Code::PermissionDenied
            | Code::Unauthenticated
            | Code::FailedPrecondition
            | Code::NotFound
            | Code::ResourceExhausted
    );
    if refusal {
        return Some(Outcome::Refused(status_message(s)));
    }
    match &opts.share {
        // The TLS handshake said no: expired, revoked, removed, stopped.
        ShareSide::Collaborator { .. } => {
            let text = format!("{s:?}").to_ascii_lowercase();
            text.contains("certificate").then(|| {
                Outcome::Refused(
                    crate::share::tls::certificate_refused(s).unwrap_or(status_message(s)),
                )
            })
        }
        // A daemon that stopped removes its socket (one being upgraded, or
        // started again by systemd, keeps it).
        ShareSide::Owner { socket } if !socket.exists() => Some(Outcome::LostServer(format!(
            "the daemon has stopped: its socket {} is gone",
            socket.display()
        ))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tries_back_off_up_to_a_limit_and_say_how_many() {
        let opts = AttachOptions::default();
        let mut r = Reconnecting::start("the stream broke".into());
        assert_eq!(r.status(), "reconnecting… (the stream broke)");
        assert!(r.due() <= Instant::now(), "the first try is at once");
        let mut last = Duration::ZERO;
        for _ in 0..20 {
            let before = Instant::now();
            assert!(matches!(
                r.failed(&tonic::Status::unavailable("no route"), &opts),
                Failure::Retry
            ));
            let wait = r.due() - before;
            assert!(wait >= last.min(MAX_BACKOFF - Duration::from_millis(1)));
            assert!(wait <= MAX_BACKOFF + Duration::from_millis(50), "{wait:?}");
            last = wait;
        }
        assert!(
            r.status().starts_with("reconnecting… try 20 ("),
            "{}",
            r.status()
        );
    }

    #[test]
    fn refusals_and_refused_certificates_are_final() {
        let owner = AttachOptions::default();
        let mut r = Reconnecting::start(String::new());
        let removed = tonic::Status::permission_denied("you were removed from this share");
        assert!(
            matches!(r.failed(&removed, &owner), Failure::Final(Outcome::Refused(m)) if m.contains("removed"))
        );
        let gone = tonic::Status::not_found("no session `x`");
        assert!(matches!(r.failed(&gone, &owner), Failure::Final(_)));
        let full = tonic::Status::resource_exhausted("the share is full");
        assert!(matches!(r.failed(&full, &owner), Failure::Final(_)));
        let dir = tempfile::tempdir().unwrap();
        let stopped = AttachOptions {
            share: ShareSide::Owner {
                socket: dir.path().join("muxd.sock"),
            },
            ..Default::default()
        };
        let broken = tonic::Status::unavailable("connection refused");
        assert!(
            matches!(r.failed(&broken, &stopped), Failure::Final(Outcome::LostServer(m)) if m.contains("has stopped"))
        );
        std::fs::write(dir.path().join("muxd.sock"), b"").unwrap();
        assert!(matches!(r.failed(&broken, &stopped), Failure::Retry));
    }

    #[test]
    fn typing_meanwhile_is_kept_within_a_bound() {
        let mut r = Reconnecting::start(String::new());
        r.keep_input(b"ls\r".to_vec());
        r.keep_input(vec![b'x'; MAX_PENDING_INPUT]);
        assert!(r.status().contains("some typing was dropped"));
        assert_eq!(r.take_input(), b"ls\r");
        assert!(r.take_input().is_empty());
    }
}
