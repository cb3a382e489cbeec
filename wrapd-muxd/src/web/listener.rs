//! `[share] web_listen`: where browsers connect, and over what. HTTPS with the
//! owner's certificate (`web_certificate`, `web_key`: PEM), or plain HTTP —
//! only on a loopback address, for `ssh -L` or a TLS-terminating reverse proxy
//! on the same machine. Anything else is refused before a socket opens.
//!
//! The certificate and key are re-read when the daemon reloads (SIGHUP), so a
//! renewed certificate (ACME) takes over without a restart: [`WebCert`].

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, PoisonError, RwLock};

use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use wrapd_common::config::ShareConfig;

/// The web door's socket, and its TLS if it has any.
pub struct WebListener {
    pub listener: TcpListener,
    pub tls: Option<TlsAcceptor>,
    /// The certificate `tls` serves, to re-read on reload.
    pub cert: Option<Arc<WebCert>>,
    addr: SocketAddr,
}

impl WebListener {
    /// Where it listens (the port, if the config said 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Served over HTTPS (cookies get `Secure`).
    pub fn secure(&self) -> bool {
        self.tls.is_some()
    }

    /// `http(s)://ADDR`, what web links start with.
    pub fn base_url(&self) -> String {
        let scheme = if self.secure() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }
}

/// The web listener the config asks for: `None` if it asks for none, or why
/// it cannot be had (in words for the owner). Must run inside a Tokio runtime.
pub fn bind(share: &ShareConfig) -> Result<Option<WebListener>, String> {
    let Some(addr) = share.web_listen else {
        return Ok(None);
    };
    let cert = &share.web_certificate;
    let key = &share.web_key;
    let cert = match (cert.as_os_str().is_empty(), key.as_os_str().is_empty()) {
        (true, true) => None,
        (false, false) => Some(Arc::new(WebCert::load(cert, key)?)),
        _ => {
            return Err(
                "share.web_certificate and share.web_key go together: set both (PEM files) \
                 for HTTPS, or neither for plain HTTP on a loopback address"
                    .to_owned(),
            );
        }
    };
    if cert.is_none() && !addr.ip().is_loopback() {
        return Err(plain_http_refused(addr));
    }
    let listener = std::net::TcpListener::bind(addr)
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .and_then(TcpListener::from_std)
        .map_err(|e| {
            format!(
                "cannot listen for browsers on {addr}: {e} (choose another address with \
                 share.web_listen in the config)"
            )
        })?;
    let addr = listener.local_addr().unwrap_or(addr);
    Ok(Some(WebListener {
        listener,
        tls: cert.as_ref().map(|c| acceptor(c.clone())).transpose()?,
        cert,
        addr,
    }))
}

fn plain_http_refused(addr: SocketAddr) -> String {
    format!(
        "share.web_listen = \"{addr}\" is not a loopback address, and plain HTTP there would \
         carry everything collaborators see and type, and their credentials, unencrypted \
         across the network: set share.web_certificate and share.web_key (PEM, from ACME, \
         mkcert or your PKI) to serve HTTPS, or listen on 127.0.0.1 and put a TLS reverse \
         proxy (Caddy, nginx) or `ssh -L` in front"
    )
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A TLS acceptor for browsers: the owner's certificate, no client
/// certificates, HTTP/1.1 (a WebSocket is an HTTP/1.1 upgrade).
fn acceptor(cert: Arc<WebCert>) -> Result<TlsAcceptor, String> {
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS for browsers: {e}"))?
        .with_no_client_auth()
        .with_cert_resolver(cert);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// The web door's certificate chain and key. [`WebCert::reload`] swaps in
/// new files for the connections that follow; files that do not load leave
/// the old pair serving.
#[derive(Debug)]
pub struct WebCert {
    current: RwLock<Arc<CertifiedKey>>,
}

impl WebCert {
    fn load(cert: &Path, key: &Path) -> Result<WebCert, String> {
        Ok(WebCert {
            current: RwLock::new(Arc::new(read_pair(cert, key)?)),
        })
    }

    /// Re-read the files `share` names (SIGHUP).
    pub fn reload(&self, share: &ShareConfig) -> Result<(), String> {
        let pair = read_pair(&share.web_certificate, &share.web_key)?;
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(pair);
        Ok(())
    }
}

impl ResolvesServerCert for WebCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.current
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        )
    }
}

/// A certificate chain and its key from PEM files, checked to belong together.
fn read_pair(cert: &Path, key: &Path) -> Result<CertifiedKey, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<_, _>>())
        .map_err(|e| {
            format!(
                "share.web_certificate: cannot read PEM certificates from {}: {e}",
                cert.display()
            )
        })?;
    if chain.is_empty() {
        return Err(format!(
            "share.web_certificate: {} holds no PEM certificate",
            cert.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| {
        format!(
            "share.web_key: cannot read a PEM private key from {}: {e}",
            key.display()
        )
    })?;
    CertifiedKey::from_der(chain, key, &provider()).map_err(|e| {
        format!("share.web_certificate and share.web_key do not make a TLS identity: {e}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share(listen: &str) -> ShareConfig {
        ShareConfig {
            web_listen: Some(listen.parse().unwrap()),
            ..ShareConfig::default()
        }
    }

    #[tokio::test]
    async fn plain_http_only_on_loopback() {
        for addr in ["0.0.0.0:0", "192.0.2.1:7680", "[::]:0"] {
            let e = bind(&share(addr)).err().unwrap();
            assert!(e.contains("not a loopback address"), "{e}");
            assert!(e.contains("share.web_certificate"), "{e}");
        }
        for addr in ["127.0.0.1:0", "[::1]:0"] {
            let Ok(Some(l)) = bind(&share(addr)) else {
                // A machine without IPv6 loopback cannot test `::1`.
                assert!(addr.starts_with('['), "{addr} must bind");
                continue;
            };
            assert!(l.addr().ip().is_loopback() && l.addr().port() != 0);
            assert!(!l.secure() && l.base_url().starts_with("http://"));
        }
        assert!(bind(&ShareConfig::default()).unwrap().is_none());
    }

    #[tokio::test]
    async fn a_certificate_needs_its_key_and_both_must_load() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = share("127.0.0.1:0");
        s.web_certificate = dir.path().join("cert.pem");
        let e = bind(&s).err().unwrap();
        assert!(e.contains("go together"), "{e}");
        s.web_key = dir.path().join("key.pem");
        std::fs::write(&s.web_certificate, "not pem").unwrap();
        let e = bind(&s).err().unwrap();
        assert!(e.contains("share.web_certificate"), "{e}");
        // A certificate with another key than its own.
        let (cert, _) = self_signed();
        let (_, other_key) = self_signed();
        std::fs::write(&s.web_certificate, cert).unwrap();
        std::fs::write(&s.web_key, other_key).unwrap();
        let e = bind(&s).err().unwrap();
        assert!(e.contains("do not make a TLS identity"), "{e}");
    }

    fn self_signed() -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        (cert.pem(), key.serialize_pem())
    }

    #[test]
    fn a_reload_swaps_the_pair_and_a_bad_file_keeps_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = share("127.0.0.1:0");
        s.web_certificate = dir.path().join("cert.pem");
        s.web_key = dir.path().join("key.pem");
        let write = |(cert, key): (String, String)| {
            std::fs::write(&s.web_certificate, cert).unwrap();
            std::fs::write(&s.web_key, key).unwrap();
        };
        write(self_signed());
        let web = WebCert::load(&s.web_certificate, &s.web_key).unwrap();
        let served = |w: &WebCert| w.current.read().unwrap().cert[0].clone();
        let first = served(&web);
        write(self_signed());
        web.reload(&s).unwrap();
        let second = served(&web);
        assert_ne!(first, second);
        std::fs::write(&s.web_key, "garbage").unwrap();
        assert!(web.reload(&s).is_err());
        assert_eq!(served(&web), second);
    }
}
