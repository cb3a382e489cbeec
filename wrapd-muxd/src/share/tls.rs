//! The share port: TLS over TCP, one handshake per connection.
//!
//! Client certificates are optional (`Enroll` needs none). The TLS layer checks
//! that a client holds the key of the certificate it presents; whether that
//! certificate chains to our CA (or the team CA), and is in date, is decided
//! right after the handshake with the same webpki verifier, so that a refusal
//! reaches the client as a gRPC status with a clear message instead of a
//! broken handshake. The verdict travels with the connection ([`PeerInfo`],
//! tonic's connect info) into every request's extensions.
//!
//! What a connection may hold is [`crate::admission`]'s to say: each is
//! admitted at accept as unauthenticated (which may push out an older one),
//! moves to the certificate holders' pool once its certificate verifies, and
//! is closed when its ticket says so. The two kinds come out of separate
//! channels, for servers with different HTTP/2 limits.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::{ServerConfig, WebPkiClientVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, RootCertStore};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::LazyConfigAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::Connected;

use super::ca::{Ca, Identity};
use super::identity::PeerCert;
use crate::admission::{Admission, Ticket};

/// A handshake that takes longer than this is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Who is at the other end of a TLS connection.
#[derive(Debug, Clone)]
pub enum PeerIdentity {
    /// No client certificate (enrollment only).
    Anonymous,
    /// A certificate our CA issued at enrollment.
    Enrolled(PeerCert),
    /// A certificate from the trusted team CA.
    Team(PeerCert),
    /// A browser's web credential (never on the share port): what a
    /// certificate from enrollment would say.
    Browser(PeerCert),
    /// A certificate that does not verify: why, in words for the user.
    Refused(String),
}

/// What tonic puts into each request's extensions on the share port.
#[derive(Debug, Clone)]
pub struct PeerInfo {
    pub addr: SocketAddr,
    pub identity: Arc<PeerIdentity>,
}

/// A TLS connection and who it is.
pub struct PeerConn {
    io: TlsStream<TcpStream>,
    info: PeerInfo,
    /// Its place on the port, given back when the connection closes.
    ticket: Ticket,
    /// Resolves (with why) when admission wants the connection closed.
    closing: Pin<Box<dyn Future<Output = &'static str> + Send>>,
    /// Whether it has sent anything since the handshake.
    spoke: bool,
}

impl PeerConn {
    /// An error that makes the server drop the connection, once it must close.
    fn poll_closing(&mut self, cx: &mut Context<'_>) -> Option<io::Error> {
        let why = match self.closing.as_mut().poll(cx) {
            Poll::Ready(why) => why,
            Poll::Pending => return None,
        };
        tracing::debug!(peer = %self.info.addr, "share port: connection {why}");
        Some(io::Error::new(io::ErrorKind::TimedOut, why))
    }
}

impl Connected for PeerConn {
    type ConnectInfo = PeerInfo;
    fn connect_info(&self) -> PeerInfo {
        self.info.clone()
    }
}

impl AsyncRead for PeerConn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Some(e) = self.poll_closing(cx) {
            return Poll::Ready(Err(e));
        }
        let before = buf.filled().len();
        let result = std::task::ready!(Pin::new(&mut self.io).poll_read(cx, buf));
        if !self.spoke && buf.filled().len() > before {
            self.spoke = true;
            self.ticket.spoke();
        }
        Poll::Ready(result)
    }
}

impl AsyncWrite for PeerConn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if let Some(e) = self.poll_closing(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.io).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if let Some(e) = self.poll_closing(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

/// The trusted team CA, and the email domain its members must have.
pub struct TeamTrust {
    pub ca: CertificateDer<'static>,
    pub email_domain: String,
}

/// Everything the acceptor needs: the rustls config and the two verifiers.
pub struct TlsSetup {
    config: Arc<ServerConfig>,
    ours: Arc<dyn ClientCertVerifier>,
    team: Option<(Arc<dyn ClientCertVerifier>, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("TLS: {0}")]
    Rustls(#[from] rustls::Error),
    #[error("TLS client verifier: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn verifier(
    roots: &[CertificateDer<'static>],
) -> Result<Arc<dyn ClientCertVerifier>, TlsSetupError> {
    let mut store = RootCertStore::empty();
    for r in roots {
        store.add(r.clone())?;
    }
    Ok(
        WebPkiClientVerifier::builder_with_provider(Arc::new(store), provider())
            .allow_unauthenticated()
            .build()?,
    )
}

impl TlsSetup {
    pub fn new(
        ca: &Ca,
        server: Identity,
        team: Option<TeamTrust>,
    ) -> Result<TlsSetup, TlsSetupError> {
        let ours = verifier(std::slice::from_ref(ca.cert_der()))?;
        let mut all_roots = vec![ca.cert_der().clone()];
        let team = match team {
            Some(t) => {
                all_roots.push(t.ca.clone());
                Some((verifier(&[t.ca])?, t.email_domain))
            }
            None => None,
        };
        let handshake = Arc::new(Deferred {
            inner: verifier(&all_roots)?,
        });
        let mut config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .with_client_cert_verifier(handshake)
            .with_single_cert(vec![server.cert_der, ca.cert_der().clone()], server.key_der)?;
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(TlsSetup {
            config: Arc::new(config),
            ours,
            team,
        })
    }

    /// Decide who presented `chain` (leaf first).
    fn identify(&self, chain: Option<&[CertificateDer<'static>]>) -> PeerIdentity {
        let Some((leaf, rest)) = chain.and_then(|c| c.split_first()) else {
            return PeerIdentity::Anonymous;
        };
        let now = UnixTime::now();
        let ours = self.ours.verify_client_cert(leaf, rest, now);
        if ours.is_ok() {
            return match PeerCert::parse(leaf) {
                Some(c) if c.share.is_some() => PeerIdentity::Enrolled(c),
                _ => PeerIdentity::Refused(
                    "your certificate does not name a share: join with a share link".to_owned(),
                ),
            };
        }
        if let Some((team, domain)) = &self.team {
            match team.verify_client_cert(leaf, rest, now) {
                Ok(_) => {
                    return match PeerCert::parse(leaf) {
                        Some(c) if c.email.is_empty() => PeerIdentity::Refused(
                            "your team certificate names no email address".to_owned(),
                        ),
                        Some(c)
                            if !domain.is_empty()
                                && !c
                                    .email
                                    .to_ascii_lowercase()
                                    .ends_with(&format!("@{}", domain.to_ascii_lowercase())) =>
                        {
                            PeerIdentity::Refused(format!(
                                "your team certificate's email {} is not in the team's domain {domain}",
                                c.email
                            ))
                        }
                        Some(c) => PeerIdentity::Team(c),
                        None => {
                            PeerIdentity::Refused("your team certificate cannot be read".to_owned())
                        }
                    };
                }
                Err(e) if !is_unknown_issuer(&e) => {
                    return PeerIdentity::Refused(describe(&e, "team"));
                }
                Err(_) => {}
            }
        }
        match ours {
            Err(e) => PeerIdentity::Refused(describe(&e, "share")),
            Ok(_) => unreachable!("handled above"),
        }
    }
}

fn is_unknown_issuer(e: &rustls::Error) -> bool {
    matches!(
        e,
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)
    )
}

/// A refusal in words: what is wrong and what to do.
fn describe(e: &rustls::Error, kind: &str) -> String {
    match e {
        rustls::Error::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        ) => format!(
            "your {kind} certificate has expired: join again with a share link (it enrolls you anew)"
        ),
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. },
        ) => format!("your {kind} certificate is not valid yet (check your clock)"),
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            "your certificate was not issued by this daemon's CA (nor a team CA it trusts): \
             join with a share link from the session's owner"
                .to_owned()
        }
        rustls::Error::InvalidCertificate(CertificateError::BadSignature) => {
            format!("your {kind} certificate's signature is invalid (has it been altered?)")
        }
        rustls::Error::InvalidCertificate(CertificateError::Revoked) => {
            format!("your {kind} certificate has been revoked")
        }
        other => format!("your {kind} certificate was refused: {other}"),
    }
}

/// The handshake's client verifier: proof of key possession now, the chain's
/// verdict later (see the module docs).
#[derive(Debug)]
struct Deferred {
    inner: Arc<dyn ClientCertVerifier>,
}

impl ClientCertVerifier for Deferred {
    fn client_auth_mandatory(&self) -> bool {
        false
    }
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }
    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Connections that completed TLS: certificate holders' and everyone else's.
pub struct Incoming {
    pub authenticated: mpsc::Receiver<io::Result<PeerConn>>,
    pub unauthenticated: mpsc::Receiver<io::Result<PeerConn>>,
}

/// Accept connections on `listener` until `shutdown`, each admitted by
/// `admission`; each handshake runs in its own task with a timeout.
pub fn accept_loop(
    listener: TcpListener,
    setup: Arc<TlsSetup>,
    admission: Arc<Admission>,
    shutdown: CancellationToken,
) -> Incoming {
    let (authenticated, authenticated_rx) = mpsc::channel(16);
    let (unauthenticated, unauthenticated_rx) = mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let (tcp, addr) = tokio::select! {
                r = listener.accept() => match r {
                    Ok(c) => c,
                    Err(e) => {
                        admission.warn_listener(format_args!("share port: accept: {e}"));
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
                _ = shutdown.cancelled() => return,
            };
            let ticket = admission.admit(addr.ip());
            let setup = setup.clone();
            let (authenticated, unauthenticated) = (authenticated.clone(), unauthenticated.clone());
            tokio::spawn(async move {
                // The client's first message whole, then the rest: a client
                // that got that far goes after those still trickling theirs
                // when room is needed (see `admission`).
                let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, async {
                    let acceptor = rustls::server::Acceptor::default();
                    let start = LazyConfigAcceptor::new(acceptor, tcp).await?;
                    ticket.hello_received();
                    start.into_stream(setup.config.clone()).await
                });
                let io = tokio::select! {
                    r = handshake => match r {
                        Ok(Ok(io)) => io,
                        Ok(Err(e)) => {
                            ticket.warn(addr, format_args!("share port: TLS handshake failed: {e}"));
                            return;
                        }
                        Err(_) => {
                            ticket.warn(addr, format_args!("share port: TLS handshake timed out"));
                            return;
                        }
                    },
                    why = ticket.closing() => {
                        tracing::debug!(peer = %addr, "share port: handshake {why}");
                        return;
                    }
                };
                ticket.handshake_done();
                let identity = setup.identify(io.get_ref().1.peer_certificates());
                serve(io, addr, identity, ticket, authenticated, unauthenticated).await;
            });
        }
    });
    Incoming {
        authenticated: authenticated_rx,
        unauthenticated: unauthenticated_rx,
    }
}

/// Hand a connection that completed TLS to the server for its kind.
async fn serve(
    io: TlsStream<TcpStream>,
    addr: SocketAddr,
    identity: PeerIdentity,
    mut ticket: Ticket,
    authenticated: mpsc::Sender<io::Result<PeerConn>>,
    unauthenticated: mpsc::Sender<io::Result<PeerConn>>,
) {
    let holder = match &identity {
        PeerIdentity::Enrolled(c) | PeerIdentity::Team(c) | PeerIdentity::Browser(c) => {
            Some(c.serial.clone())
        }
        PeerIdentity::Refused(why) => {
            ticket.warn(addr, format_args!("share port: certificate refused: {why}"));
            None
        }
        PeerIdentity::Anonymous => None,
    };
    if let Some(serial) = &holder
        && let Err(why) = ticket.authenticate(serial)
    {
        ticket.warn(
            addr,
            format_args!("share port: refusing a certificate holder's connection: {why}"),
        );
        return;
    }
    let tx = if ticket.is_authenticated() {
        authenticated
    } else {
        unauthenticated
    };
    let conn = PeerConn {
        io,
        info: PeerInfo {
            addr,
            identity: Arc::new(identity),
        },
        closing: Box::pin(ticket.closing()),
        ticket,
        spoke: false,
    };
    let _ = tx.send(Ok(conn)).await;
}
