//! The web door: browsers join shares over HTTP(S), on a listener of its own
//! (`[share] web_listen`; off by default). See DESIGN.md, "Joining from a
//! browser". It translates HTTP into calls on the core (`share::enroll`,
//! `share::authz`) and decides nothing itself; the share port and its gRPC
//! services are not reachable from here.
//!
//! - `listener`: binding, the loopback rule for plain HTTP, TLS.
//! - `routes`: the page, its assets and the API, with the headers every
//!   response gets.
//! - `assets`: the page's files, built in.
//! - `stream`: the attach stream over a WebSocket (`collab::attach`).
//! - `refusal`: the one place a core refusal becomes an HTTP response or a
//!   WebSocket close code.
//! - `rate`: enrollment attempts per address.
//! - `limits`: connections per address, WebSockets per participant.

mod assets;
mod limits;
mod listener;
mod rate;
mod refusal;
mod routes;
mod stream;

pub use assets::asset;
pub use limits::{PER_ADDRESS, SOCKETS_PER_PARTICIPANT};
pub use listener::{WebListener, bind};
pub use routes::{COOKIE, CSP};

use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;
use wrapd_common::config::ShareConfig;

use crate::daemon::Daemon;
use limits::Counted;
use routes::{ConnectionSlot, Peer, Web};

/// Connections (handshaking, open, or upgraded to a WebSocket) the web door
/// holds at once (and one address at most `limits::PER_ADDRESS` of them).
pub const MAX_CONNECTIONS: usize = 256;
/// A TLS handshake, or a request's headers, that take longer are dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Open the web door if the config asks for one: its server task. If it
/// cannot open, the log says why and the daemon serves on without it.
pub fn start(daemon: &Arc<Daemon>) -> Option<JoinHandle<()>> {
    // After an upgrade, the listener the binary before this one passed on.
    let inherited = daemon.handover.take_web_door();
    let listener = match listener::open(&daemon.config().share, inherited) {
        Ok(listener) => listener?,
        Err(why) => {
            tracing::error!("no web door: {why}");
            return None;
        }
    };
    let public = public_base(&daemon.config().share, &listener);
    tracing::info!(url = %listener.base_url(), %public, "web door listening");
    daemon.set_web_base(Some(public));
    daemon
        .handover
        .keep_web_door(Some(listener.listener.as_fd()));
    Some(tokio::spawn(serve(daemon.clone(), listener)))
}

/// Serve browsers on `web` until the daemon shuts down (or a reload turns
/// the door off). A reload that names another address moves the door there:
/// the new address is bound first, the old one closed only once it is, and
/// connections open now keep going (as do browsers' credentials).
pub async fn serve(daemon: Arc<Daemon>, mut web: WebListener) {
    let shutdown = daemon.shutdown.clone();
    let mut reloads = daemon.reloads();
    let make_router = {
        let (daemon, credentials, enrollments) = (
            daemon.clone(),
            daemon.web_credentials.clone(),
            Arc::<rate::RateLimit>::default(),
        );
        let sockets = Arc::new(Counted::new(limits::SOCKETS_PER_PARTICIPANT));
        move |secure: bool| {
            routes::router(Web {
                secure,
                daemon: daemon.clone(),
                credentials: credentials.clone(),
                enrollments: enrollments.clone(),
                sockets: sockets.clone(),
            })
        }
    };
    let per_address = Counted::new(limits::PER_ADDRESS);
    let mut router = make_router(web.secure());
    let mut in_effect = daemon.config().share.web_listen;
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let (tcp, peer) = tokio::select! {
            r = web.listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!("web door: accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            Ok(()) = reloads.changed() => {
                let share = daemon.config().share.clone();
                if share.web_listen == in_effect {
                    let https = !share.web_certificate.as_os_str().is_empty();
                    if https != web.secure() {
                        tracing::error!("share.web_* not applied, the web door stays at {}: switching between HTTP and HTTPS on the same address is not done on a reload (choose another address or port in share.web_listen, or restart the daemon)", web.base_url());
                    } else {
                        reload_certificate(&daemon, web.cert.as_deref());
                    }
                    daemon.set_web_base(Some(public_base(&share, &web)));
                    continue;
                }
                // Bound while the old listener still listens.
                match bind(&share) {
                    Ok(Some(new)) => {
                        tracing::info!(old = %web.base_url(), new = %new.base_url(), "web door moved: browsers connected now stay; links made for the old address no longer reach this daemon");
                        daemon.set_web_base(Some(public_base(&share, &new)));
                        daemon.handover.keep_web_door(Some(new.listener.as_fd()));
                        router = make_router(new.secure());
                        (web, in_effect) = (new, share.web_listen);
                    }
                    Ok(None) => {
                        tracing::info!(old = %web.base_url(), "web door closed (share.web_listen is unset): browsers connected now stay");
                        daemon.set_web_base(None);
                        daemon.handover.keep_web_door(None);
                        return;
                    }
                    Err(why) => tracing::error!("share.web_* not applied, the web door stays at {}: {why}", web.base_url()),
                }
                continue;
            }
            _ = shutdown.cancelled() => return,
        };
        let address = match limits::address_key(peer.ip()) {
            None => None,
            Some(key) => match per_address.take(key) {
                Some(held) => Some(held),
                None => {
                    tracing::debug!(%peer, "web door: {} connections from this address open already: refusing this one", limits::PER_ADDRESS);
                    continue;
                }
            },
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "web door: {MAX_CONNECTIONS} connections open already: refusing this one");
            continue;
        };
        let (router, tls, shutdown) = (router.clone(), web.tls.clone(), shutdown.clone());
        let slot = ConnectionSlot::new(slot, address);
        tokio::spawn(async move {
            let Some(tls) = tls else {
                return connection(tcp, peer, slot, router, shutdown).await;
            };
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.accept(tcp)).await {
                Ok(Ok(io)) => connection(io, peer, slot, router, shutdown).await,
                Ok(Err(e)) => tracing::debug!(%peer, "web door: TLS handshake failed: {e}"),
                Err(_) => tracing::debug!(%peer, "web door: TLS handshake timed out"),
            }
        });
    }
}

/// Where browsers reach the door, for links: `[share] web_url` if set (a
/// proxy or a forward in front), else the door's own address.
fn public_base(share: &ShareConfig, web: &WebListener) -> String {
    if share.web_url.is_empty() {
        web.base_url()
    } else {
        share.web_url.clone()
    }
}

/// The config was reloaded (SIGHUP): re-read the certificate and key.
fn reload_certificate(daemon: &Daemon, cert: Option<&listener::WebCert>) {
    let Some(cert) = cert else { return };
    match cert.reload(&daemon.config().share) {
        Ok(()) => tracing::info!("web door: certificate re-read"),
        Err(why) => tracing::error!("web door: kept the certificate it had: {why}"),
    }
}

/// One HTTP/1.1 connection (upgrades allowed: the WebSocket runs on after it).
async fn connection<IO>(
    io: IO,
    peer: SocketAddr,
    slot: ConnectionSlot,
    router: axum::Router,
    stop: CancellationToken,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(Peer(peer));
        req.extensions_mut().insert(slot.clone());
        router.clone().oneshot(req)
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    tokio::select! {
        r = conn => if let Err(e) = r {
            tracing::debug!(%peer, "web door: connection: {e}");
        },
        _ = stop.cancelled() => {}
    }
}
