//! The share port: TLS for collaborators, opened when the first share starts.
//!
//! Nobody can join before something is shared, so the daemon opens no port
//! and sets up no TLS until then (an idle daemon also maps less of its
//! binary). A port that cannot be bound fails that share with a message
//! naming the address, and the next share tries again; once open, the port
//! stays open until the daemon stops.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::config::ShareConfig;
use crate::daemon::Daemon;
use crate::rpc::MuxService;
use crate::rpc::share::ShareService;
use crate::share::ca::pem_to_der;
use crate::share::tls::{self, TeamTrust, TlsSetup};

/// HTTP/2 streams one share-port connection may have open at once.
const MAX_STREAMS_PER_CONNECTION: u32 = 32;
/// Pings on an idle share-port connection, and how long an answer may take
/// before the connection is dropped.
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(30);
const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// The port once open: where it listens, and its server task.
#[derive(Default)]
pub struct SharePort {
    open: Mutex<Option<Open>>,
}

struct Open {
    addr: SocketAddr,
    task: Option<JoinHandle<()>>,
}

impl SharePort {
    /// Where the port listens, if it is open.
    pub fn addr(&self) -> Option<SocketAddr> {
        self.lock().as_ref().map(|o| o.addr)
    }

    /// The server task, for the daemon to wait for at shutdown.
    pub fn take_task(&self) -> Option<JoinHandle<()>> {
        self.lock().as_mut().and_then(|o| o.task.take())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Open>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }
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
    let listener = std::net::TcpListener::bind(addr)
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .and_then(tokio::net::TcpListener::from_std)
        .map_err(|e| {
            format!(
                "cannot listen for collaborators on {addr}: {e} (choose another address with \
                 share.listen in the config or wrapd-muxd --share-listen)"
            )
        })?;
    let team = team_trust(&config.share);
    let setup = ca
        .server_identity()
        .map_err(|e| e.to_string())
        .and_then(|server| TlsSetup::new(&ca, server, team).map_err(|e| e.to_string()))
        .map_err(|e| format!("sharing is off: cannot set up TLS: {e}"))?;
    let local = listener.local_addr().unwrap_or(addr);
    tracing::info!(addr = %local, ca = %ca.fingerprint(), "share port listening");
    let shutdown = daemon.shutdown.clone();
    let incoming = tokio_stream::wrappers::ReceiverStream::new(tls::accept_loop(
        listener,
        Arc::new(setup),
        shutdown.clone(),
    ));
    // Strangers can reach this port: bound what one connection may hold.
    let server = tonic::transport::Server::builder()
        .max_concurrent_streams(Some(MAX_STREAMS_PER_CONNECTION))
        .concurrency_limit_per_connection(MAX_STREAMS_PER_CONNECTION as usize)
        .http2_keepalive_interval(Some(KEEPALIVE_INTERVAL))
        .http2_keepalive_timeout(Some(KEEPALIVE_TIMEOUT))
        .add_service(MuxService::remote_server(daemon.clone()))
        .add_service(ShareService::server(daemon.clone()))
        .add_service(crate::rpc::owner_only::OwnerOnly::server())
        .serve_with_incoming_shutdown(incoming, shutdown.cancelled_owned());
    let task = tokio::spawn(async move {
        if let Err(e) = server.await {
            tracing::warn!("share port: {e}");
        }
    });
    *open = Some(Open {
        addr: local,
        task: Some(task),
    });
    Ok(local)
}

/// The configured team CA, if any (a bad file is a warning: no team access).
fn team_trust(share: &ShareConfig) -> Option<TeamTrust> {
    if share.team_ca.as_os_str().is_empty() {
        return None;
    }
    let path = &share.team_ca;
    match std::fs::read_to_string(path)
        .ok()
        .and_then(|pem| pem_to_der(&pem))
    {
        Some(ca) => Some(TeamTrust {
            ca,
            email_domain: share.team_email_domain.clone(),
        }),
        None => {
            tracing::warn!(
                "share.team_ca: cannot read a PEM certificate from {}; team members cannot join",
                path.display()
            );
            None
        }
    }
}
