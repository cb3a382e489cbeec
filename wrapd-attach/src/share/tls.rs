//! The TLS side of joining a share: a gRPC channel to a daemon's share port,
//! over TCP or through `ssh -W`, that trusts only the CA pinned in the link.
//!
//! Verification: the server's chain (or the CA stored at enrollment) must
//! hold a certificate whose SHA-256 (DER) is the link's pin, and the leaf must
//! verify against that CA for the name `wrapd-muxd`. Nothing else is trusted:
//! not the system's roots, not a CA that merely looks right.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, anyhow};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tonic::transport::{Channel, Endpoint};
use wrapd_proto::link::SERVER_NAME;

use crate::connect::error_chain;
use crate::ssh::{Remote, SshHost, Tunnel};

/// What the user reads when the daemon is not the one the link names.
pub const PIN_MISMATCH: &str = "the daemon's CA does not match the link's pin: refusing to connect";

/// How long reaching the daemon's port may take (ssh may take a while).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// The ring provider, the only one built in (see DEPENDENCIES.md).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Make ring the process-wide provider (harmless when already done).
pub fn install_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Lower-case hex SHA-256 of a certificate (DER): what a link pins.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Accepts a server only through the pinned CA.
#[derive(Debug)]
pub struct PinnedVerifier {
    /// The link's pin: SHA-256 of the CA certificate, lower-case hex.
    pin: String,
    /// The CA certificate kept from enrollment, if any (a server may send
    /// only its leaf).
    known_ca: Option<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
}

impl PinnedVerifier {
    pub fn new(pin: &str, known_ca: Option<CertificateDer<'static>>) -> PinnedVerifier {
        PinnedVerifier {
            pin: pin.to_ascii_lowercase(),
            known_ca,
            provider: provider(),
        }
    }
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let ca = intermediates
            .iter()
            .map(|c| c.clone().into_owned())
            .chain(self.known_ca.clone())
            .find(|c| fingerprint(c) == self.pin)
            .ok_or_else(|| rustls::Error::General(PIN_MISMATCH.to_owned()))?;
        let mut roots = RootCertStore::empty();
        roots
            .add(ca)
            .map_err(|_| rustls::Error::General(PIN_MISMATCH.to_owned()))?;
        let inner =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), self.provider.clone())
                .build()
                .map_err(|e| {
                    rustls::Error::General(format!("cannot check the daemon's CA: {e}"))
                })?;
        inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map_err(|e| {
                rustls::Error::General(format!(
                    "the daemon's certificate is not valid for `{SERVER_NAME}` under the pinned CA ({e}): refusing to connect"
                ))
            })
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A client certificate and its key, PEM.
#[derive(Clone)]
pub struct ClientIdentity {
    pub certificate_pem: String,
    pub key_pem: String,
}

/// Never prints the key.
impl std::fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientIdentity").finish_non_exhaustive()
    }
}

/// Where the daemon's share port is, and how we trust it.
#[derive(Clone)]
pub struct Target {
    /// `host:port` as the link gives it.
    pub addr: String,
    /// Reach `127.0.0.1:PORT` through `ssh -W` on this host instead.
    pub via: Option<SshHost>,
    pub pin: String,
    pub known_ca_pem: Option<String>,
    pub identity: Option<ClientIdentity>,
}

/// The rustls client configuration for a target: pinned CA, ALPN h2, our
/// certificate when we have one.
pub fn client_config(target: &Target) -> Result<rustls::ClientConfig> {
    let known_ca = match &target.known_ca_pem {
        Some(pem) => Some(
            CertificateDer::from_pem_slice(pem.as_bytes())
                .map_err(|e| anyhow!("the stored CA certificate is unreadable: {e}"))?,
        ),
        None => None,
    };
    let verifier = Arc::new(PinnedVerifier::new(&target.pin, known_ca));
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match &target.identity {
        Some(id) => {
            let chain = CertificateDer::pem_slice_iter(id.certificate_pem.as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| anyhow!("the client certificate is unreadable: {e}"))?;
            let key = PrivateKeyDer::from_pem_slice(id.key_pem.as_bytes())
                .map_err(|e| anyhow!("the client key is unreadable: {e}"))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| anyhow!("the client certificate does not fit its key: {e}"))?
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(config)
}

/// Anything a TLS stream can run over.
trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// One connection: TCP (or ssh), then the TLS handshake. Errors say which
/// part failed, in words.
async fn connect_once(target: &Target, tls: TlsConnector) -> io::Result<Box<dyn Io>> {
    let name = ServerName::try_from(SERVER_NAME).map_err(io::Error::other)?;
    match &target.via {
        None => {
            let tcp = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&target.addr))
                .await
                .map_err(|_| io::Error::other("timed out"))??;
            let _ = tcp.set_nodelay(true);
            let tls = tls.connect(name, tcp).await.map_err(readable)?;
            Ok(Box::new(tls))
        }
        Some(host) => {
            let port = target.addr.rsplit_once(':').map_or("7443", |(_, p)| p);
            let tunnel = Tunnel::open(host, Remote::Forward(format!("127.0.0.1:{port}")))
                .map_err(io::Error::other)?;
            match tls.connect(name, tunnel).into_fallible().await {
                Ok(s) => Ok(Box::new(s)),
                Err((e, _)) if rustls_error(&e).is_some() => Err(readable(e)),
                // The stream ended: ssh says why.
                Err((_, mut tunnel)) => {
                    let why =
                        tokio::time::timeout(Duration::from_secs(5), tunnel.failure(b"")).await;
                    Err(match why {
                        Ok(e) => io::Error::other(e.to_string()),
                        Err(_) => io::Error::other(format!(
                            "ssh to {host} forwarded nothing to 127.0.0.1:{port}"
                        )),
                    })
                }
            }
        }
    }
}

/// Whether the connection ended without a word from TLS (no alert): the
/// daemon closed it.
fn cut_short(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<io::Error>() {
            if rustls_error(io).is_some() {
                return false;
            }
            if matches!(
                io.kind(),
                io::ErrorKind::UnexpectedEof
                    | io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::BrokenPipe
            ) {
                return true;
            }
        }
        cur = err.source();
    }
    false
}

fn rustls_error(e: &io::Error) -> Option<&rustls::Error> {
    e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>())
}

/// The alerts a server sends when it does not accept our certificate.
fn refuses_certificate(alert: rustls::AlertDescription) -> bool {
    use rustls::AlertDescription as A;
    matches!(
        alert,
        A::BadCertificate
            | A::UnknownCA
            | A::CertificateRevoked
            | A::CertificateExpired
            | A::CertificateUnknown
            | A::CertificateRequired
            | A::AccessDenied
    )
}

const REFUSED_CERTIFICATE: &str = "the daemon refused our certificate (expired, revoked, \
     removed from the share, or the share was stopped): ask the owner for a new link";

/// A handshake error with rustls' wrapping taken off our own messages.
fn readable(e: io::Error) -> io::Error {
    match rustls_error(&e) {
        Some(rustls::Error::General(msg)) => io::Error::other(msg.clone()),
        Some(rustls::Error::InvalidCertificate(rustls::CertificateError::Other(o))) => {
            io::Error::other(o.to_string())
        }
        Some(rustls::Error::AlertReceived(alert)) if refuses_certificate(*alert) => {
            io::Error::other(REFUSED_CERTIFICATE)
        }
        Some(other) => io::Error::other(format!("TLS handshake failed: {other}")),
        None => e,
    }
}

/// A gRPC channel to the target. The connection is made now (so errors show
/// at once) and again whenever it breaks (the channel reconnects by itself).
pub async fn channel(target: Target) -> Result<Channel> {
    let tls = TlsConnector::from(Arc::new(client_config(&target)?));
    let shown = target.via.as_ref().map_or(target.addr.clone(), |h| {
        format!("{} via ssh {h}", target.addr)
    });
    let connector = tower::service_fn(move |_: tonic::codegen::http::Uri| {
        let (target, tls) = (target.clone(), tls.clone());
        async move {
            connect_once(&target, tls)
                .await
                .map(hyper_util::rt::TokioIo::new)
        }
    });
    // The URI only names the connection; the connector decides where it goes.
    let endpoint = Endpoint::from_static("http://wrapd-muxd.invalid");
    let mut attempt = 1;
    loop {
        match endpoint.connect_with_connector(connector.clone()).await {
            Err(e) if attempt < HANDSHAKE_ATTEMPTS && cut_short(&e) => {
                tracing::debug!("the daemon closed our connection as it opened ({e}); again");
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
            }
            r => {
                return r.map_err(|e| {
                    anyhow!("cannot connect to the share at {shown}: {}", innermost(&e))
                });
            }
        }
    }
}

/// Connections tried at most when the daemon closes them as they open: a
/// daemon whose room for connections without a certificate is full closes
/// the oldest to let a newer one in (so strangers cannot keep anyone out),
/// and several people joining at once from one address (an office behind
/// one NAT) push each other out that way. Anything else — a refused
/// certificate, a wrong pin, no daemon listening — is final at once.
const HANDSHAKE_ATTEMPTS: u32 = 6;

/// The pause before attempt `attempt + 1`: 40, 80, 160, 320, 640 ms, and up
/// to 40 more at random, so joiners that collided do not collide again.
fn backoff(attempt: u32) -> Duration {
    let jitter = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() % 40);
    Duration::from_millis((20 << attempt) + u64::from(jitter))
}

/// The last cause of an error: our own message, without tonic's wrapping.
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    let last = cur.to_string();
    if last.is_empty() {
        error_chain(e)
    } else {
        last
    }
}

/// Under TLS 1.3 a refused client certificate shows as a vague failure of
/// the first request: say what it most likely was.
pub fn certificate_refused(status: &tonic::Status) -> Option<String> {
    let text = format!("{status:?}").to_ascii_lowercase();
    let tls_words = ["certificate", "alert", "handshake", "reset", "broken pipe"]
        .iter()
        .any(|w| text.contains(w));
    let vague = match status.code() {
        tonic::Code::Unknown | tonic::Code::Cancelled => true,
        tonic::Code::Unavailable => tls_words,
        _ => false,
    };
    vague.then(|| REFUSED_CERTIFICATE.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};

    #[test]
    fn a_connection_the_daemon_closed_is_tried_again_a_refusal_is_not() {
        let closed = io::Error::new(io::ErrorKind::UnexpectedEof, "tls handshake eof");
        assert!(cut_short(&closed));
        let wrapped = anyhow::Error::new(io::Error::new(io::ErrorKind::BrokenPipe, "pipe"))
            .context("connecting");
        assert!(cut_short(wrapped.as_ref()));
        let alert = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::AlertReceived(rustls::AlertDescription::BadCertificate),
        );
        assert!(!cut_short(&alert));
        let refused = io::Error::new(io::ErrorKind::ConnectionRefused, "no daemon");
        assert!(!cut_short(&refused));
    }

    #[test]
    fn retries_back_off_and_all_fit_in_a_few_seconds() {
        let waits: Vec<Duration> = (1..HANDSHAKE_ATTEMPTS).map(backoff).collect();
        assert!(waits.windows(2).all(|w| w[1] > w[0]), "{waits:?}");
        assert!(waits.iter().sum::<Duration>() < Duration::from_secs(2));
    }

    struct Pki {
        ca_der: CertificateDer<'static>,
        leaf_der: CertificateDer<'static>,
    }

    fn pki(leaf_name: &str) -> Pki {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_key = KeyPair::generate().unwrap();
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);
        let leaf_key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(vec![leaf_name.to_owned()])
            .unwrap()
            .signed_by(&leaf_key, &issuer)
            .unwrap();
        Pki {
            ca_der: ca.der().clone(),
            leaf_der: leaf.der().clone(),
        }
    }

    fn verify(v: &PinnedVerifier, p: &Pki, chain: bool) -> Result<ServerCertVerified, String> {
        let intermediates = if chain {
            vec![p.ca_der.clone()]
        } else {
            vec![]
        };
        v.verify_server_cert(
            &p.leaf_der,
            &intermediates,
            &ServerName::try_from(SERVER_NAME).unwrap(),
            &[],
            UnixTime::now(),
        )
        .map_err(|e| e.to_string())
    }

    #[test]
    fn the_pinned_ca_is_accepted_from_the_chain_or_the_store() {
        let p = pki(SERVER_NAME);
        let pin = fingerprint(&p.ca_der);
        assert!(verify(&PinnedVerifier::new(&pin, None), &p, true).is_ok());
        let stored = PinnedVerifier::new(&pin.to_ascii_uppercase(), Some(p.ca_der.clone()));
        assert!(verify(&stored, &p, false).is_ok());
    }

    #[test]
    fn another_ca_is_refused_with_the_clear_message() {
        let p = pki(SERVER_NAME);
        let other = pki(SERVER_NAME);
        let wrong_pin = fingerprint(&other.ca_der);
        let e = verify(&PinnedVerifier::new(&wrong_pin, None), &p, true).unwrap_err();
        assert!(e.contains(PIN_MISMATCH), "{e}");
        // A stored CA that is not the pinned one does not help either.
        let v = PinnedVerifier::new(&wrong_pin, Some(p.ca_der.clone()));
        assert!(verify(&v, &p, true).unwrap_err().contains(PIN_MISMATCH));
        // Without the CA anywhere, nothing matches.
        let pin = fingerprint(&p.ca_der);
        assert!(
            verify(&PinnedVerifier::new(&pin, None), &p, false)
                .unwrap_err()
                .contains(PIN_MISMATCH)
        );
    }

    #[test]
    fn a_leaf_of_the_pinned_ca_for_another_name_is_refused() {
        let p = pki("not-wrapd");
        let pin = fingerprint(&p.ca_der);
        let e = verify(&PinnedVerifier::new(&pin, None), &p, true).unwrap_err();
        assert!(e.contains("not valid for `wrapd-muxd`"), "{e}");
    }

    #[test]
    fn a_leaf_signed_by_someone_else_under_a_pinned_chain_is_refused() {
        // The chain holds the pinned CA, but the leaf comes from another CA.
        let p = pki(SERVER_NAME);
        let other = pki(SERVER_NAME);
        let mixed = Pki {
            ca_der: p.ca_der.clone(),
            leaf_der: other.leaf_der.clone(),
        };
        let pin = fingerprint(&p.ca_der);
        assert!(verify(&PinnedVerifier::new(&pin, None), &mixed, true).is_err());
    }

    #[test]
    fn vague_failures_of_the_first_request_are_named() {
        let s = tonic::Status::unknown("h2 protocol error: error reading a body from connection");
        assert!(certificate_refused(&s).is_some());
        assert!(certificate_refused(&tonic::Status::cancelled("")).is_some());
        assert!(certificate_refused(&tonic::Status::permission_denied("viewer")).is_none());
    }
}
