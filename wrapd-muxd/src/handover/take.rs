//! The new image's side: find the state the previous image left, check all
//! of it before starting anything, then take the sessions, shares and
//! listeners over. If the check fails, execute the previous binary (kept
//! open by it) with the same state: it takes it back.

use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::sync::Arc;

use anyhow::Context;
use prost::Message;
use wrapd_proto::pb;
use wrapd_proto::state as hpb;

use super::{
    ENV_REFUSED, ENV_STATE_FD, ENV_TEST_REFUSE, FORMAT_VERSION, fds, monotonic_us, shares, web,
};
use crate::daemon::Daemon;
use crate::session::{self, Restored};
use crate::share::credentials::TokenHash;
use crate::share::identity::PeerCert;
use crate::share::state::Share;

/// The state the previous image left in a memfd for this one.
pub struct Incoming {
    pub state: hpb::Handover,
    /// The memfd, kept until the state is taken (a fall-back passes it on).
    pub(super) memfd: OwnedFd,
    /// Set in the previous binary when a newer one refused the state: why.
    pub refused: Option<String>,
    /// A refusal a test asked for ([`super::ENV_TEST_REFUSE`]).
    pub(super) test_refusal: Option<String>,
    /// From systemd's descriptor store after a restart (not an exec): the
    /// Unix socket is systemd's to pass, and these names leave the store
    /// once taken.
    pub(super) restart: Option<Vec<String>>,
}

impl Incoming {
    /// Taken over after a restart under systemd, not by an exec.
    pub fn is_restart(&self) -> bool {
        self.restart.is_some()
    }
}

/// The state named by `WRAPD_HANDOVER_FD`, if any, decoded and of a format
/// this daemon reads. Removes the variables from the environment.
///
/// # Safety
/// Changes the environment and takes ownership of the named descriptor: call
/// once, before any other thread runs.
pub unsafe fn read_env_state() -> anyhow::Result<Option<Incoming>> {
    let Some(value) = std::env::var_os(ENV_STATE_FD) else {
        return Ok(None);
    };
    let refused = std::env::var(ENV_REFUSED).ok();
    let test_refusal = std::env::var(ENV_TEST_REFUSE).ok();
    // SAFETY: the caller promises no other thread runs.
    unsafe {
        std::env::remove_var(ENV_STATE_FD);
        std::env::remove_var(ENV_REFUSED);
        std::env::remove_var(ENV_TEST_REFUSE);
    }
    let fd: RawFd = value
        .to_str()
        .and_then(|v| v.parse().ok())
        .filter(|&fd| fd > 2 && fds::is_open(fd))
        .with_context(|| format!("{ENV_STATE_FD}={value:?} names no open descriptor"))?;
    // SAFETY: the previous image passed this descriptor to us alone.
    let memfd = unsafe { fds::take(fd) };
    fds::set_inherited(fd, false)?;
    let bytes = fds::read_all(memfd.as_fd()).context("reading the hand-over state")?;
    let state = hpb::Handover::decode(&bytes[..])
        .context("the hand-over state is not a wrapd.state.v1.Handover")?;
    check_format(&state).map_err(anyhow::Error::msg)?;
    Ok(Some(Incoming {
        state,
        memfd,
        refused,
        test_refusal,
        restart: None,
    }))
}

pub(super) fn check_format(state: &hpb::Handover) -> Result<(), String> {
    if state.format == 0 {
        return Err("the hand-over state has no format version".to_owned());
    }
    if state.min_reader > FORMAT_VERSION {
        return Err(format!(
            "the hand-over state (format {}, from wrapd-muxd {}) needs a reader of format {} \
             or newer; this wrapd-muxd {} reads format {FORMAT_VERSION}",
            state.format,
            state.writer_version,
            state.min_reader,
            super::VERSION
        ));
    }
    Ok(())
}

/// A state checked whole: everything decoded, nothing started.
pub struct Checked {
    pub sessions: Vec<Restored>,
    pub shares: Vec<Share>,
    pub web_credentials: Vec<(TokenHash, PeerCert)>,
    /// The rest (its sessions and shares taken out).
    pub state: hpb::Handover,
}

/// Decode every session's terminal and every share; what is wrong, in words.
pub fn check(mut state: hpb::Handover) -> Result<Checked, String> {
    check_format(&state)?;
    let sessions = decode_sessions(std::mem::take(&mut state.sessions))?;
    let shares = std::mem::take(&mut state.shares)
        .into_iter()
        .map(shares::restore)
        .collect::<Result<Vec<_>, _>>()?;
    let web_credentials = web::restore(std::mem::take(&mut state.web_credentials))?;
    Ok(Checked {
        sessions,
        shares,
        web_credentials,
        state,
    })
}

/// Decode the sessions' terminals on every core (the pause of a hand-over
/// waits for them), keeping their order.
fn decode_sessions(sessions: Vec<hpb::Session>) -> Result<Vec<Restored>, String> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_worker = sessions.len().div_ceil(workers).max(1);
    let mut chunks: Vec<Vec<hpb::Session>> = Vec::new();
    let mut rest = sessions.into_iter().peekable();
    while rest.peek().is_some() {
        chunks.push(rest.by_ref().take(per_worker).collect());
    }
    std::thread::scope(|scope| {
        let decoding: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                scope.spawn(|| {
                    chunk
                        .into_iter()
                        .map(Restored::decode)
                        .collect::<Result<Vec<_>, _>>()
                })
            })
            .collect();
        let mut all = Vec::new();
        for worker in decoding {
            let decoded = worker
                .join()
                .unwrap_or_else(|_| Err("decoding a terminal failed (a panic)".to_owned()));
            all.extend(decoded?);
        }
        Ok(all)
    })
}

/// Every descriptor the state names is open here (the probe, which gets
/// none, does not check this; the new image does, before taking any).
fn check_fds(checked: &Checked, restart: bool) -> Result<(), String> {
    let l = checked.state.listeners.clone().unwrap_or_default();
    // After a restart systemd passes the socket, and the lock is taken anew.
    let unix = (!restart).then_some([("the Unix socket", l.unix_socket), ("its lock", l.lock)]);
    let named = unix
        .into_iter()
        .flatten()
        .chain(l.share_port.map(|fd| ("the share port", Some(fd))))
        .chain(l.web_door.map(|fd| ("the web door", Some(fd))))
        .map(|(what, fd)| (what.to_owned(), fd))
        .chain(
            checked
                .sessions
                .iter()
                .map(|s| (format!("session `{}`'s terminal", s.name()), s.master_fd())),
        );
    for (what, fd) in named {
        match fd {
            Some(fd) if fd > 2 && fds::is_open(fd) => {}
            _ => return Err(format!("{what} did not come across the exec ({fd:?})")),
        }
    }
    Ok(())
}

/// Check `incoming` for this image; if it cannot be taken, hand it back to
/// the previous binary (this returns only if that is impossible).
pub fn check_or_fall_back(mut incoming: Incoming) -> anyhow::Result<(Checked, Incoming)> {
    // The state moves into the check; what a fall-back needs stays.
    let state = std::mem::take(&mut incoming.state);
    incoming.state = hpb::Handover {
        fallback_exe: state.fallback_exe,
        notify_socket: state.notify_socket.clone(),
        fdstore_max: state.fdstore_max,
        writer_binary: state.writer_binary.clone(),
        ..Default::default()
    };
    let restart = incoming.is_restart();
    let checked = check(state).and_then(|c| check_fds(&c, restart).map(|()| c));
    let why = match (checked, incoming.test_refusal.take()) {
        (Ok(checked), None) => return Ok((checked, incoming)),
        (Ok(_), Some(why)) => format!("{why} ({ENV_TEST_REFUSE} is set)"),
        (Err(why), _) => why,
    };
    let fallback = (!restart)
        .then_some(incoming.state.fallback_exe)
        .flatten()
        .filter(|&fd| fds::is_open(fd));
    let (Some(exe), None) = (fallback, &incoming.refused) else {
        anyhow::bail!("cannot take the hand-over state: {why}");
    };
    tracing::error!(
        "cannot take the hand-over state: {why}; handing it back to the previous binary"
    );
    let memfd = incoming.memfd.as_raw_fd();
    fds::set_inherited(memfd, true)?;
    let systemd = super::Systemd {
        notify_socket: incoming.state.notify_socket.clone(),
        fdstore_max: incoming.state.fdstore_max as usize,
    };
    let [notify, fdstore] = systemd.env();
    let env = fds::next_env(
        &[
            (ENV_STATE_FD, memfd.to_string()),
            (ENV_REFUSED, why.clone()),
            notify,
            fdstore,
        ],
        &[],
    );
    // SAFETY: the previous image passed it to us, and nothing here took it.
    let exe = unsafe { fds::take(exe) };
    let binary = std::path::PathBuf::from(&incoming.state.writer_binary);
    let e = fds::exec(&binary, Some(exe.as_fd()), env);
    anyhow::bail!("cannot take the hand-over state ({why}), nor hand it back: {e}")
}

/// The Unix socket and lock the state names (checked open).
pub fn unix_fds(checked: &Checked) -> super::UnixFds {
    let l = checked.state.listeners.clone().unwrap_or_default();
    // SAFETY: checked open; passed to us alone, taken once, here.
    let take = |fd: Option<i32>| unsafe { fds::take(fd.expect("checked")) };
    super::UnixFds {
        socket: take(l.unix_socket),
        lock: take(l.lock),
        path: l.unix_socket_path.into(),
        remove_on_exit: l.remove_socket_on_exit,
    }
}

/// Take over the sessions, shares and share port of `checked`; `unstore`
/// takes a name out of systemd's descriptor store (after a restart).
pub fn restore(daemon: &Arc<Daemon>, checked: Checked, incoming: Incoming, unstore: impl Fn(&str)) {
    let Checked {
        sessions,
        shares,
        web_credentials,
        state,
    } = checked;
    let count = sessions.len() as u32;
    for restored in sessions {
        let name = restored.name().to_owned();
        // SAFETY: checked open; passed to us alone, taken once, here.
        let master = unsafe { fds::take(restored.master_fd().expect("checked")) };
        let started = session::restore(
            restored,
            master,
            daemon.session_end_hook(),
            daemon.shutdown.child_token(),
        )
        .map_err(|e| e.to_string())
        .and_then(|handle| {
            daemon
                .registry
                .adopt(&name, handle)
                .map_err(|e| e.to_string())
        });
        if let Err(e) = started {
            tracing::error!(session = %name, "cannot take the session over: {e}");
        }
    }
    let pause_us = monotonic_us().saturating_sub(state.paused_at_us);
    {
        let mut st = daemon.shares.lock();
        st.shares.extend(shares);
        st.daily.extend(
            state
                .daily
                .iter()
                .map(|d| (d.key.clone(), (d.day, d.bytes))),
        );
    }
    daemon.shares.bump();
    if let Some(fd) = state.listeners.as_ref().and_then(|l| l.share_port) {
        // SAFETY: checked open; passed to us alone, taken once, here.
        daemon.handover.put_share_port(unsafe { fds::take(fd) });
        if let Err(e) = crate::share::port::ensure_open(daemon) {
            tracing::error!("the share port did not come back: {e}");
        }
    }
    daemon.web_credentials.restore(web_credentials);
    if let Some(fd) = state.listeners.as_ref().and_then(|l| l.web_door) {
        // SAFETY: checked open; passed to us alone, taken once, here. The
        // web door takes it when it opens (`web::start`).
        daemon.handover.put_web_door(unsafe { fds::take(fd) });
    }
    for name in incoming.restart.iter().flatten() {
        unstore(name);
    }
    if let Some(fd) = state
        .fallback_exe
        .filter(|&fd| !incoming.is_restart() && fds::is_open(fd))
    {
        // SAFETY: passed to us alone; not needed any more.
        drop(unsafe { fds::take(fd) });
    }
    drop(incoming.memfd);
    let last = pb::LastHandover {
        handover_id: state.handover_id.clone(),
        taken: incoming.refused.is_none(),
        why: incoming.refused.clone().unwrap_or_default(),
        from_version: state.writer_version.clone(),
        from_binary: state.writer_binary.clone(),
        at_ms: crate::session::now_ms(),
        sessions: count,
        pause_us,
    };
    match &incoming.refused {
        None => tracing::info!(
            from = %state.writer_version, sessions = count, pause_ms = pause_us / 1000,
            "took over from the previous image"
        ),
        Some(why) => tracing::error!(
            sessions = count,
            "the new binary refused the state ({why}): this binary took it back"
        ),
    }
    daemon.handover.set_last(last);
    // The state's buffers are free now: give them back to the system, so
    // that the daemon is no larger after a hand-over than before it.
    // SAFETY: a plain glibc call.
    unsafe { nix::libc::malloc_trim(0) };
}
