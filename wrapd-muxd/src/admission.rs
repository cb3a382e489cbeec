//! Admission: what a peer may hold on a listener that strangers can reach
//! (the share port; a web listener would take the same rules).
//!
//! A connection is *unauthenticated* from accept until it shows a certificate
//! we trust (the TLS handshake). Unauthenticated connections cost nothing to
//! open, so they may not hold anything for long, nor keep anyone else out:
//! - they share a small pool of slots, at most a few from one source address;
//! - a newcomer is never turned away: when its address's share or the pool is
//!   full, an older unauthenticated connection is closed to make room — first
//!   one that finished TLS and has sent nothing since, then one whose first
//!   TLS message (the ClientHello) has not all come yet, then one further in
//!   its handshake, then one that sends requests, oldest first within each
//!   (so strangers trickling handshakes from many addresses push out each
//!   other, not a client whose handshake is under way);
//! - one source is an IPv4 address, or an IPv6 /64 (what one host is given);
//! - each is closed a fixed time after it was accepted (enrolling takes one
//!   request; a handshake that trickles in byte by byte ends too).
//!
//! Certificate holders move to their own pool, which strangers cannot touch,
//! with a cap per identity; a full pool refuses the newcomer, with a log line.
//! Counting is all here; the listener closes what a [`Ticket`] tells it to.
//!
//! Nor may strangers fill the daemon's log: warnings about peers (failed
//! handshakes, refused certificates) and about the listener (accept failing
//! when file descriptors run out) are written at most
//! [`WARNINGS_PER_MINUTE`] a minute, and the next one says how many were left
//! out.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// The rules of one listener.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Unauthenticated connections held at once.
    pub unauthenticated: usize,
    /// Of those, from one source address.
    pub unauthenticated_per_source: usize,
    /// How long after accept an unauthenticated connection is closed.
    pub unauthenticated_lifetime: Duration,
    /// Connections of certificate holders held at once.
    pub authenticated: usize,
    /// Of those, with one identity.
    pub authenticated_per_identity: usize,
}

impl Limits {
    /// The share port's: every connection a collaborator's client needs fits
    /// in the authenticated pool however many strangers knock. The
    /// unauthenticated pool is as large as a daemon's default 1,024 open
    /// files allow beside the authenticated one and its sessions: strangers
    /// from many addresses churn through it, and the larger it is, the longer
    /// a newcomer has to send its ClientHello before it could be pushed out.
    pub const SHARE_PORT: Limits = Limits {
        unauthenticated: 256,
        unauthenticated_per_source: 8,
        unauthenticated_lifetime: Duration::from_secs(20),
        authenticated: 192,
        authenticated_per_identity: 16,
    };
}

/// Warnings about peers written per minute at most.
pub const WARNINGS_PER_MINUTE: u32 = 30;

/// How long a connection that finished TLS may stay silent and still count
/// as handshaking when room is needed (a client sends its first request
/// right after the handshake; this covers the moment in between).
const QUIET_GRACE: Duration = Duration::from_secs(1);
/// What [`Waiting::progress`] holds besides the time a connection went quiet.
const HANDSHAKING: u64 = u64::MAX;
const REQUESTING: u64 = u64::MAX - 1;
/// Its ClientHello came whole; the rest of the handshake is under way.
const HELLO: u64 = u64::MAX - 2;

/// Admission for one listener.
pub struct Admission {
    limits: Limits,
    /// What quiet times count from.
    epoch: Instant,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    next: u64,
    /// Unauthenticated connections by the order they came in.
    waiting: BTreeMap<u64, Waiting>,
    per_source: HashMap<IpAddr, usize>,
    authenticated: usize,
    per_identity: HashMap<String, usize>,
    warnings: Warnings,
}

/// Warnings about peers in the current minute.
#[derive(Default)]
struct Warnings {
    /// When the minute started (ms since the epoch).
    since_ms: u64,
    written: u32,
    left_out: u64,
}

struct Waiting {
    source: IpAddr,
    /// [`HANDSHAKING`], [`HELLO`], [`REQUESTING`], or when TLS finished (ms
    /// since the epoch) and nothing has been sent since.
    progress: Arc<AtomicU64>,
    close: CancellationToken,
}

impl Waiting {
    /// Which goes first when room is needed (the lowest): silent since TLS,
    /// then still sending its ClientHello, then further in the handshake (or
    /// just through it), then sending requests.
    fn rank(&self, now_ms: u64) -> u8 {
        match self.progress.load(Ordering::Relaxed) {
            REQUESTING => 3,
            HELLO => 2,
            HANDSHAKING => 1,
            quiet if now_ms.saturating_sub(quiet) < QUIET_GRACE.as_millis() as u64 => 2,
            _ => 0,
        }
    }
}

/// Why a connection was closed or refused (for the log).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{0} certificate holders' connections are open already")]
    AuthenticatedFull(usize),
    #[error("{0} connections with this certificate are open already")]
    IdentityFull(usize),
}

impl Admission {
    pub fn new(limits: Limits) -> Arc<Admission> {
        Arc::new(Admission {
            limits,
            epoch: Instant::now(),
            state: Mutex::default(),
        })
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A connection from `source` was accepted: it is let in, unauthenticated,
    /// and an older one is told to close if that makes room.
    pub fn admit(self: &Arc<Self>, source: IpAddr) -> Ticket {
        let source = source_of(source);
        let progress = Arc::new(AtomicU64::new(HANDSHAKING));
        let close = CancellationToken::new();
        let now = self.now_ms();
        let mut st = self.lock();
        if st.per_source.get(&source).copied().unwrap_or(0)
            >= self.limits.unauthenticated_per_source
        {
            st.make_room(Some(source), now);
        }
        if st.waiting.len() >= self.limits.unauthenticated {
            st.make_room(None, now);
        }
        let id = st.next;
        st.next += 1;
        st.waiting.insert(
            id,
            Waiting {
                source,
                progress: progress.clone(),
                close: close.clone(),
            },
        );
        *st.per_source.entry(source).or_default() += 1;
        Ticket {
            admission: self.clone(),
            id,
            source,
            progress,
            close,
            deadline: Some(Instant::now() + self.limits.unauthenticated_lifetime),
            identity: None,
        }
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Log a warning about `peer`, unless this minute's are used up.
    pub fn warn(&self, peer: std::net::SocketAddr, what: std::fmt::Arguments<'_>) {
        match self.may_warn() {
            None => {}
            Some(0) => tracing::warn!(%peer, "{what}"),
            Some(left_out) => {
                tracing::warn!(%peer, "{what} (and {left_out} such warnings left out before)")
            }
        }
    }

    /// Log a warning about the listener itself (accept failing: out of file
    /// descriptors, say, which a flood could cause), within the same limit.
    pub fn warn_listener(&self, what: std::fmt::Arguments<'_>) {
        match self.may_warn() {
            None => {}
            Some(0) => tracing::warn!("{what}"),
            Some(left_out) => {
                tracing::warn!("{what} (and {left_out} such warnings left out before)")
            }
        }
    }

    /// Whether one more warning fits in this minute: how many were left out
    /// since the last one written, if so.
    fn may_warn(&self) -> Option<u64> {
        let now = self.now_ms();
        let mut st = self.lock();
        let w = &mut st.warnings;
        if now.saturating_sub(w.since_ms) >= 60_000 {
            w.since_ms = now;
            w.written = 0;
        }
        if w.written >= WARNINGS_PER_MINUTE {
            w.left_out += 1;
            return None;
        }
        w.written += 1;
        Some(std::mem::take(&mut w.left_out))
    }

    /// Unauthenticated and authenticated connections held now.
    pub fn counts(&self) -> (usize, usize) {
        let st = self.lock();
        (st.waiting.len(), st.authenticated)
    }
}

impl State {
    /// Close the unauthenticated connection that has come least far, oldest
    /// first (from `source` only, if given), and stop counting it.
    fn make_room(&mut self, source: Option<IpAddr>, now_ms: u64) {
        let victim = self
            .waiting
            .iter()
            .filter(|(_, w)| source.is_none_or(|s| w.source == s))
            .min_by_key(|(id, w)| (w.rank(now_ms), **id))
            .map(|(id, _)| *id);
        if let Some(id) = victim {
            self.forget(id);
        }
    }

    fn forget(&mut self, id: u64) {
        let Some(w) = self.waiting.remove(&id) else {
            return;
        };
        w.close.cancel();
        if let Some(n) = self.per_source.get_mut(&w.source) {
            *n -= 1;
            if *n == 0 {
                self.per_source.remove(&w.source);
            }
        }
    }
}

/// The source a connection counts against: its IPv4 address, or the /64 of
/// its IPv6 address (a host is given a whole /64, so per address would be no
/// limit at all).
fn source_of(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

/// One admitted connection; dropping it gives its slot back.
pub struct Ticket {
    admission: Arc<Admission>,
    id: u64,
    source: IpAddr,
    progress: Arc<AtomicU64>,
    close: CancellationToken,
    /// When an unauthenticated connection is closed (none once authenticated).
    deadline: Option<Instant>,
    /// Whose certificate, once authenticated.
    identity: Option<String>,
}

impl Ticket {
    pub fn source(&self) -> IpAddr {
        self.source
    }

    /// Log a warning about this connection's peer (see [`Admission::warn`]).
    pub fn warn(&self, peer: std::net::SocketAddr, what: std::fmt::Arguments<'_>) {
        self.admission.warn(peer, what);
    }

    /// Its whole ClientHello came.
    pub fn hello_received(&self) {
        let _ = self.progress.compare_exchange(
            HANDSHAKING,
            HELLO,
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }

    /// It finished TLS (and has sent nothing since).
    pub fn handshake_done(&self) {
        let now = self.admission.now_ms();
        let _ = self
            .progress
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |p| {
                matches!(p, HANDSHAKING | HELLO).then_some(now)
            });
    }

    /// It sent something after TLS.
    pub fn spoke(&self) {
        self.progress.store(REQUESTING, Ordering::Relaxed);
    }

    /// It showed a trusted certificate naming `identity`: move it to the
    /// authenticated pool (no deadline, nobody can push it out), if there is
    /// room for it there.
    pub fn authenticate(&mut self, identity: &str) -> Result<(), Refusal> {
        let limits = self.admission.limits;
        let mut st = self.admission.lock();
        if st.authenticated >= limits.authenticated {
            return Err(Refusal::AuthenticatedFull(limits.authenticated));
        }
        let held = st.per_identity.get(identity).copied().unwrap_or(0);
        if held >= limits.authenticated_per_identity {
            return Err(Refusal::IdentityFull(limits.authenticated_per_identity));
        }
        if !st.waiting.contains_key(&self.id) {
            // Pushed out just now; it is closing.
            return Ok(());
        }
        st.forget_quietly(self.id);
        st.authenticated += 1;
        *st.per_identity.entry(identity.to_owned()).or_default() += 1;
        self.identity = Some(identity.to_owned());
        self.deadline = None;
        Ok(())
    }

    pub fn is_authenticated(&self) -> bool {
        self.identity.is_some()
    }

    /// Resolves when the connection must close: pushed out to make room, or
    /// (unauthenticated) its time is up. Never, once authenticated.
    pub fn closing(&self) -> impl Future<Output = &'static str> + Send + 'static {
        let close = self.close.clone();
        let deadline = self.deadline;
        async move {
            if close.is_cancelled() {
                return "closed to make room for a newer connection";
            }
            match deadline {
                Some(at) => tokio::select! {
                    _ = close.cancelled() => "closed to make room for a newer connection",
                    _ = tokio::time::sleep_until(at) => "its time without a certificate is up",
                },
                None => std::future::pending().await,
            }
        }
    }
}

impl State {
    /// Stop counting `id` as unauthenticated without closing it.
    fn forget_quietly(&mut self, id: u64) {
        if let Some(w) = self.waiting.remove(&id)
            && let Some(n) = self.per_source.get_mut(&w.source)
        {
            *n -= 1;
            if *n == 0 {
                self.per_source.remove(&w.source);
            }
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut st = self.admission.lock();
        match &self.identity {
            None => st.forget_quietly(self.id),
            Some(who) => {
                st.authenticated = st.authenticated.saturating_sub(1);
                if let Some(n) = st.per_identity.get_mut(who) {
                    *n -= 1;
                    if *n == 0 {
                        st.per_identity.remove(who);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));

    fn limits() -> Limits {
        Limits {
            unauthenticated: 4,
            unauthenticated_per_source: 2,
            unauthenticated_lifetime: Duration::from_secs(20),
            authenticated: 2,
            authenticated_per_identity: 1,
        }
    }

    fn closed(t: &Ticket) -> bool {
        t.close.is_cancelled()
    }

    #[test]
    fn a_newcomer_pushes_out_the_oldest_of_its_own_address_first() {
        let adm = Admission::new(limits());
        let a1 = adm.admit(A);
        let b1 = adm.admit(B);
        let a2 = adm.admit(A);
        let a3 = adm.admit(A);
        assert!(closed(&a1) && !closed(&a2) && !closed(&a3) && !closed(&b1));
        assert_eq!(adm.counts(), (3, 0));
    }

    #[test]
    fn idle_connections_go_before_handshaking_ones_and_those_before_requesting_ones() {
        let adm = Arc::new(Admission {
            limits: Limits {
                unauthenticated_per_source: 10,
                ..limits()
            },
            epoch: Instant::now() - Duration::from_secs(10),
            state: Mutex::default(),
        });
        let requesting = adm.admit(A);
        requesting.spoke();
        let handshaking = adm.admit(A);
        let idle = adm.admit(A);
        idle.handshake_done();
        // Silent for longer than the grace.
        idle.progress.store(0, Ordering::Relaxed);
        let fourth = adm.admit(B);
        fourth.spoke();
        let newer = |adm: &Arc<Admission>| {
            let t = adm.admit(B);
            t.spoke();
            t
        };
        let _new1 = newer(&adm);
        assert!(closed(&idle) && !closed(&handshaking) && !closed(&requesting));
        let _new2 = newer(&adm);
        assert!(closed(&handshaking) && !closed(&requesting));
        let _new3 = newer(&adm);
        assert!(closed(&requesting) && !closed(&fourth));
    }

    #[test]
    fn a_connection_whose_client_hello_came_goes_after_those_still_sending_theirs() {
        let adm = Admission::new(Limits {
            unauthenticated_per_source: 10,
            ..limits()
        });
        let hello = adm.admit(A);
        hello.hello_received();
        let trickling: Vec<Ticket> = (0..3).map(|_| adm.admit(B)).collect();
        let _newer: Vec<Ticket> = (0..3).map(|_| adm.admit(B)).collect();
        assert!(trickling.iter().all(closed), "the oldest trickling ones go");
        assert!(!closed(&hello));
        hello.handshake_done();
        hello.spoke();
        assert_eq!(hello.progress.load(Ordering::Relaxed), REQUESTING);
    }

    #[test]
    fn an_ipv6_host_counts_as_one_source_for_its_whole_64() {
        let adm = Admission::new(limits());
        let ip =
            |last: u16| IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 9, 9, 9, last));
        let first = adm.admit(ip(1));
        let _second = adm.admit(ip(2));
        let _third = adm.admit(ip(3));
        assert!(closed(&first), "two per source here: the /64 is one source");
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        assert_eq!(source_of(mapped), A);
    }

    #[test]
    fn a_connection_that_just_finished_tls_counts_as_handshaking() {
        let adm = Admission::new(limits());
        let older = adm.admit(A);
        let just_done = adm.admit(A);
        just_done.handshake_done();
        let _new = adm.admit(A);
        assert!(closed(&older) && !closed(&just_done));
    }

    #[test]
    fn certificate_holders_have_their_own_pool_that_newcomers_cannot_touch() {
        let adm = Admission::new(limits());
        let mut held = adm.admit(A);
        held.authenticate("p1").unwrap();
        let flood: Vec<Ticket> = (0..100).map(|_| adm.admit(A)).collect();
        assert!(!closed(&held));
        assert_eq!(adm.counts(), (2, 1));
        // One connection per identity here; the pool holds two.
        let mut same = adm.admit(B);
        assert_eq!(same.authenticate("p1"), Err(Refusal::IdentityFull(1)));
        let mut other = adm.admit(B);
        other.authenticate("p2").unwrap();
        let mut third = adm.admit(B);
        assert_eq!(third.authenticate("p3"), Err(Refusal::AuthenticatedFull(2)));
        drop(held);
        third.authenticate("p3").unwrap();
        drop(flood);
        drop((same, other, third));
        assert_eq!(adm.counts(), (0, 0));
    }

    #[test]
    fn warnings_about_peers_are_limited_per_minute_and_the_rest_counted() {
        let adm = Admission::new(limits());
        let peer = "127.0.0.1:1".parse().unwrap();
        for i in 0..WARNINGS_PER_MINUTE + 10 {
            adm.warn(peer, format_args!("test warning {i}"));
        }
        let st = adm.lock();
        assert_eq!(st.warnings.written, WARNINGS_PER_MINUTE);
        assert_eq!(st.warnings.left_out, 10);
    }

    #[tokio::test]
    async fn an_unauthenticated_connection_closes_when_its_time_is_up() {
        let adm = Admission::new(Limits {
            unauthenticated_lifetime: Duration::from_millis(50),
            ..limits()
        });
        let t = adm.admit(A);
        let why = t.closing().await;
        assert_eq!(why, "its time without a certificate is up");
        let pushed = adm.admit(B);
        let closing = pushed.closing();
        let _more: Vec<Ticket> = (0..2).map(|_| adm.admit(B)).collect();
        assert_eq!(closing.await, "closed to make room for a newer connection");
    }
}
