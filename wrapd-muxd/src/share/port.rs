//! The share port: TLS for collaborators, opened when the first share starts.
//!
//! Nobody can join before something is shared, so the daemon opens no port
//! and sets up no TLS until then (an idle daemon also maps less of its
//! binary). A port that cannot be bound fails that share with a message
//! naming the address, and the next share tries again; once open, the port
//! stays open until the daemon stops.
//!
//! A reload applies `share.listen` and `share.team_ca` to the open port
//! ([`SharePort::reconfigure`]): a new address is bound first and the old
//! one closed only once it is (connections made before keep going); a new
//! team CA is used for the handshakes that follow.
//!
//! Strangers can reach it, so what they may hold is bounded
//! ([`crate::admission`]), and connections without a certificate (which may
//! only enroll) are served with tighter HTTP/2 limits than certificate
//! holders' (two servers, one per kind).

use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;
use wrapd_common::config::ShareConfig;

use crate::admission::{Admission, Limits};
use crate::daemon::Daemon;
use crate::rpc::MuxService;
use crate::rpc::share::ShareService;
use crate::share::ca::{Ca, DaemonCa, pem_to_der};
use crate::share::tls::{self, CurrentSetup, Handoff, TeamTrust, TlsSetup};

/// HTTP/2 streams a certificate holder's connection may have open at once.
const MAX_STREAMS_PER_CONNECTION: u32 = 32;
/// Pings on an idle certificate holder's connection, and how long an answer
/// may take before the connection is dropped.
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(30);
const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(20);
/// The largest request header list a certificate holder may send (gRPC's are
/// a few hundred bytes).
const MAX_HEADER_LIST: u32 = 16 * 1024;
/// Without a certificate one may only enroll (one short request): fewer
/// streams, smaller headers, quicker pings, and a time limit per request.
const ANONYMOUS_MAX_STREAMS: u32 = 2;
const ANONYMOUS_MAX_HEADER_LIST: u32 = 8 * 1024;
const ANONYMOUS_KEEPALIVE: Duration = Duration::from_secs(5);
const ANONYMOUS_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Streams a peer may reset (or make us reset) before it is cut off.
const MAX_RESETS: usize = 16;

/// The port once open: where it listens, and its server task.
#[derive(Default)]
pub struct SharePort {
    open: Mutex<Option<Open>>,
}

struct Open {
    addr: SocketAddr,
    task: Option<JoinHandle<()>>,
    /// Stops accepting on `addr` alone (when the port moves).
    accepting: CancellationToken,
    /// Where accepted connections go: the servers, which outlive a move.
    handoff: Handoff,
    /// The TLS of new handshakes, and what is admitted.
    setup: CurrentSetup,
    admission: Arc<Admission>,
    /// The settings in effect: `share.listen` (`addr` is where that bound)
    /// and the team's (`setup` was made with them).
    listen: SocketAddr,
    team: (PathBuf, String),
    /// A copy of the listener, for a hand-over to a new binary to pass on.
    fd: OwnedFd,
}

impl SharePort {
    /// Where the port listens, if it is open.
    pub fn addr(&self) -> Option<SocketAddr> {
        self.lock().as_ref().map(|o| o.addr)
    }

    /// The listener's descriptor (a copy), if the port is open.
    pub fn fd(&self) -> Option<RawFd> {
        self.lock().as_ref().map(|o| o.fd.as_raw_fd())
    }

    /// The server task, for the daemon to wait for at shutdown.
    pub fn take_task(&self) -> Option<JoinHandle<()>> {
        self.lock().as_mut().and_then(|o| o.task.take())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Open>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Apply `share` (a reloaded config) to the open port: its address and
    /// its team CA. What could not be applied, each in words for the log (the
    /// port goes on as it was in that respect). A closed port has nothing to
    /// do: it opens with the config of the time.
    pub fn reconfigure(
        &self,
        ca: &DaemonCa,
        share: &ShareConfig,
        shutdown: &CancellationToken,
    ) -> Vec<String> {
        let mut open = self.lock();
        let Some(o) = open.as_mut() else {
            return Vec::new();
        };
        let mut problems = Vec::new();
        let team = (share.team_ca.clone(), share.team_email_domain.clone());
        if team != o.team {
            match ca.get().and_then(|ca| setup(&ca, share, true)) {
                Ok(new) => {
                    *o.setup.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(new);
                    o.team = team;
                    tracing::info!("share.team_ca: new handshakes use the reloaded team settings");
                }
                Err(why) => problems.push(format!(
                    "share.team_ca not applied, the team settings before the reload still \
                     hold: {why}"
                )),
            }
        }
        if share.listen != o.listen {
            match bind(share.listen).and_then(|l| copy_fd(&l).map(|fd| (l, fd))) {
                Ok((listener, fd)) => {
                    let addr = listener.local_addr().unwrap_or(share.listen);
                    let accepting = shutdown.child_token();
                    tls::accept_loop(
                        listener,
                        o.setup.clone(),
                        o.admission.clone(),
                        accepting.clone(),
                        o.handoff.clone(),
                    );
                    o.accepting.cancel();
                    tracing::info!(
                        old = %o.addr,
                        new = %addr,
                        "share port moved: collaborators connected now stay; links made for the \
                         old address no longer reach this daemon (`wrapd-attach share ls` \
                         shows the new one)"
                    );
                    (o.addr, o.listen, o.accepting, o.fd) = (addr, share.listen, accepting, fd);
                }
                Err(why) => problems.push(format!(
                    "share.listen not applied, still listening on {}: {why}",
                    o.addr
                )),
            }
        }
        problems
    }
}

/// A listener on `addr` for the share port, or why not (for the owner).
fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, String> {
    adopt(std::net::TcpListener::bind(addr), addr)
}

/// `bound` as the share port's listener (bound here, or passed on by the
/// binary before this one), or why not.
fn adopt(
    bound: std::io::Result<std::net::TcpListener>,
    addr: SocketAddr,
) -> Result<tokio::net::TcpListener, String> {
    bound
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .and_then(tokio::net::TcpListener::from_std)
        .map_err(|e| {
            format!(
                "cannot listen for collaborators on {addr}: {e} (choose another address with \
                 share.listen in the config or wrapd-muxd --share-listen)"
            )
        })
}

/// The port's TLS for `ca` and the team settings of `share`. A team CA that
/// cannot be read is a warning (no team access) when the port opens, and an
/// error when `strict` (a reload keeps what it had).
fn setup(ca: &Ca, share: &ShareConfig, strict: bool) -> Result<TlsSetup, String> {
    let team = match team_trust(share) {
        Ok(team) => team,
        Err(why) if strict => return Err(why),
        Err(why) => {
            tracing::warn!("{why}; team members cannot join");
            None
        }
    };
    ca.server_identity()
        .map_err(|e| e.to_string())
        .and_then(|server| TlsSetup::new(ca, server, team).map_err(|e| e.to_string()))
        .map_err(|e| format!("sharing is off: cannot set up TLS: {e}"))
}

/// Open `daemon`'s share port unless it is open; its address, or why it
/// cannot be opened (as the owner should read it).
pub fn ensure_open(daemon: &Arc<Daemon>) -> Result<SocketAddr, String> {
    let mut open = daemon.share_port.lock();
    if let Some(o) = open.as_ref() {
        return Ok(o.addr);
    }
    let ca = daemon.ca.get()?;
    let config = daemon.config();
    let addr = config.share.listen;
    // Bound here, synchronously: the lock keeps two first shares from racing.
    // After a hand-over to a new binary, the listener is the one it passed.
    let listener = match daemon.handover.take_share_port() {
        Some(fd) => adopt(Ok(std::net::TcpListener::from(fd)), addr)?,
        None => bind(addr)?,
    };
    let tls_now = setup(&ca, &config.share, false)?;
    let current: CurrentSetup = Arc::new(std::sync::RwLock::new(Arc::new(tls_now)));
    let local = listener.local_addr().unwrap_or(addr);
    let fd = copy_fd(&listener)?;
    tracing::info!(addr = %local, ca = %ca.fingerprint(), "share port listening");
    let shutdown = daemon.shutdown.clone();
    let accepting = shutdown.child_token();
    let admission = Admission::new(Limits::SHARE_PORT);
    let (handoff, incoming) = tls::handoff();
    tls::accept_loop(
        listener,
        current.clone(),
        admission.clone(),
        accepting.clone(),
        handoff.clone(),
    );
    let authenticated = tonic::transport::Server::builder()
        .max_concurrent_streams(Some(MAX_STREAMS_PER_CONNECTION))
        .concurrency_limit_per_connection(MAX_STREAMS_PER_CONNECTION as usize)
        .http2_keepalive_interval(Some(KEEPALIVE_INTERVAL))
        .http2_keepalive_timeout(Some(KEEPALIVE_TIMEOUT))
        .http2_max_header_list_size(Some(MAX_HEADER_LIST))
        .http2_max_pending_accept_reset_streams(Some(MAX_RESETS))
        .http2_max_local_error_reset_streams(Some(MAX_RESETS))
        .add_routes(routes(daemon))
        .serve_with_incoming_shutdown(
            ReceiverStream::new(incoming.authenticated),
            shutdown.clone().cancelled_owned(),
        );
    let anonymous = tonic::transport::Server::builder()
        .max_concurrent_streams(Some(ANONYMOUS_MAX_STREAMS))
        .concurrency_limit_per_connection(ANONYMOUS_MAX_STREAMS as usize)
        .http2_keepalive_interval(Some(ANONYMOUS_KEEPALIVE))
        .http2_keepalive_timeout(Some(ANONYMOUS_KEEPALIVE))
        .http2_max_header_list_size(Some(ANONYMOUS_MAX_HEADER_LIST))
        .http2_max_pending_accept_reset_streams(Some(MAX_RESETS))
        .http2_max_local_error_reset_streams(Some(MAX_RESETS))
        .timeout(ANONYMOUS_REQUEST_TIMEOUT)
        .add_routes(routes(daemon))
        .serve_with_incoming_shutdown(
            ReceiverStream::new(incoming.unauthenticated),
            shutdown.cancelled_owned(),
        );
    let task = tokio::spawn(async move {
        let (a, b) = tokio::join!(authenticated, anonymous);
        for e in [a.err(), b.err()].into_iter().flatten() {
            tracing::warn!("share port: {e}");
        }
    });
    *open = Some(Open {
        addr: local,
        task: Some(task),
        accepting,
        handoff,
        setup: current,
        admission,
        listen: addr,
        team: (
            config.share.team_ca.clone(),
            config.share.team_email_domain.clone(),
        ),
        fd,
    });
    Ok(local)
}

/// A copy of `listener`'s descriptor, kept for a hand-over to pass on.
fn copy_fd(listener: &tokio::net::TcpListener) -> Result<OwnedFd, String> {
    listener
        .as_fd()
        .try_clone_to_owned()
        .map_err(|e| format!("cannot keep a copy of the share port's socket: {e}"))
}

/// What the share port serves (to both kinds of connection: the services
/// decide per request who may do what).
fn routes(daemon: &Arc<Daemon>) -> Routes {
    Routes::new(MuxService::remote_server(daemon.clone()))
        .add_service(ShareService::server(daemon.clone()))
        .add_service(crate::rpc::owner_only::OwnerOnly::server())
}

/// The configured team CA, if any, or why it cannot be used.
fn team_trust(share: &ShareConfig) -> Result<Option<TeamTrust>, String> {
    if share.team_ca.as_os_str().is_empty() {
        return Ok(None);
    }
    let path = &share.team_ca;
    match std::fs::read_to_string(path)
        .ok()
        .and_then(|pem| pem_to_der(&pem))
    {
        Some(ca) => Ok(Some(TeamTrust {
            ca,
            email_domain: share.team_email_domain.clone(),
        })),
        None => Err(format!(
            "share.team_ca: cannot read a PEM certificate from {}",
            path.display()
        )),
    }
}
