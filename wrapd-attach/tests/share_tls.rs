//! The share transport against a real TLS server: tonic with rustls on a
//! loopback port and certificates made here. The `Share` service behind it
//! is a stand-in that only answers `Whoami` (the daemon's own service is
//! tested on the daemon's side); what is under test is our client: the pin,
//! ALPN, our certificate, and the messages when something is wrong.

use std::net::SocketAddr;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};
use tonic::{Request, Response, Status};
use wrapd_attach::share::tls::{self, ClientIdentity, Target};
use wrapd_proto::pb;
use wrapd_proto::pb::share_client::ShareClient;
use wrapd_proto::pb::share_server::{Share, ShareServer};

struct Ca {
    pem: String,
    der: Vec<u8>,
    issuer: Issuer<'static, KeyPair>,
}

fn ca() -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    Ca {
        pem: cert.pem(),
        der: cert.der().to_vec(),
        issuer: Issuer::new(params, key),
    }
}

/// A leaf for `names` signed by `ca`: (certificate PEM, key PEM).
fn leaf(ca: &Ca, names: &[&str]) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let cert = CertificateParams::new(names)
        .unwrap()
        .signed_by(&key, &ca.issuer)
        .unwrap();
    (cert.pem(), key.serialize_pem())
}

struct WhoamiOnly;

#[tonic::async_trait]
impl Share for WhoamiOnly {
    async fn enroll(
        &self,
        _: Request<pb::EnrollRequest>,
    ) -> Result<Response<pb::EnrollResponse>, Status> {
        Err(Status::unimplemented("not in this test"))
    }

    async fn whoami(
        &self,
        req: Request<pb::WhoamiRequest>,
    ) -> Result<Response<pb::WhoamiResponse>, Status> {
        let certs = req.peer_certs().map_or(0, |c| c.len());
        Ok(Response::new(pb::WhoamiResponse {
            name: format!("{certs} certificate(s)"),
            ..Default::default()
        }))
    }

    async fn request_control(
        &self,
        _: Request<pb::RequestControlRequest>,
    ) -> Result<Response<pb::RequestControlResponse>, Status> {
        Err(Status::unimplemented("not in this test"))
    }
}

/// Serve on a loopback port: the server sends its leaf and the CA, and
/// demands a client certificate from `client_ca`.
async fn serve(server_ca: &Ca, client_ca: &Ca) -> SocketAddr {
    let (cert, key) = leaf(server_ca, &["wrapd-muxd"]);
    let chain = format!("{cert}{}", server_ca.pem);
    let tls = ServerTlsConfig::new()
        .identity(Identity::from_pem(chain, key))
        .client_ca_root(Certificate::from_pem(&client_ca.pem));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
    let router = Server::builder()
        .tls_config(tls)
        .unwrap()
        .add_service(ShareServer::new(WhoamiOnly));
    tokio::spawn(router.serve_with_incoming(incoming));
    addr
}

fn target(addr: SocketAddr, pin: &[u8], identity: (String, String)) -> Target {
    Target {
        addr: addr.to_string(),
        via: None,
        pin: tls::fingerprint(pin),
        known_ca_pem: None,
        identity: Some(ClientIdentity {
            certificate_pem: identity.0,
            key_pem: identity.1,
        }),
    }
}

#[tokio::test]
async fn the_pinned_daemon_answers_over_mutual_tls() {
    tls::install_provider();
    let (server_ca, client_ca) = (ca(), ca());
    let addr = serve(&server_ca, &client_ca).await;
    let me = leaf(&client_ca, &["me"]);
    let channel = tls::channel(target(addr, &server_ca.der, me))
        .await
        .expect("connects");
    let who = ShareClient::new(channel)
        .whoami(pb::WhoamiRequest {})
        .await
        .expect("answers")
        .into_inner();
    assert_eq!(who.name, "1 certificate(s)");
}

#[tokio::test]
async fn a_daemon_with_another_ca_is_refused_with_the_clear_message() {
    tls::install_provider();
    let (server_ca, client_ca, other) = (ca(), ca(), ca());
    let addr = serve(&server_ca, &client_ca).await;
    let me = leaf(&client_ca, &["me"]);
    let err = tls::channel(target(addr, &other.der, me))
        .await
        .expect_err("refused");
    let text = format!("{err:#}");
    eprintln!("{text}");
    assert!(text.contains(tls::PIN_MISMATCH), "{text}");
    assert!(text.contains(&addr.to_string()), "{text}");
}

#[tokio::test]
async fn a_certificate_the_daemon_does_not_trust_gets_a_clear_message() {
    tls::install_provider();
    let (server_ca, client_ca, stranger) = (ca(), ca(), ca());
    let addr = serve(&server_ca, &client_ca).await;
    let foreign = leaf(&stranger, &["me"]);
    // Under TLS 1.3 the client's handshake may finish before the server's
    // verdict: the refusal then shows on the first request, vaguely.
    let message = match tls::channel(target(addr, &server_ca.der, foreign)).await {
        Err(e) => format!("{e:#}"),
        Ok(channel) => {
            let status = ShareClient::new(channel)
                .whoami(pb::WhoamiRequest {})
                .await
                .expect_err("refused");
            tls::certificate_refused(&status)
                .unwrap_or_else(|| panic!("not recognised as a refused certificate: {status:?}"))
        }
    };
    eprintln!("{message}");
    assert!(
        message.contains("the daemon refused our certificate"),
        "{message}"
    );
}

#[tokio::test]
async fn nobody_listening_is_named() {
    tls::install_provider();
    let ca = ca();
    // A port just freed; another test of this binary may take it before we
    // connect (seen: its share answered with another CA), so a few tries.
    let mut text = String::new();
    for _ in 0..5 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let me = leaf(&ca, &["me"]);
        let err = tls::channel(target(addr, &ca.der, me)).await.unwrap_err();
        text = format!("{err:#}");
        eprintln!("{text}");
        if !text.contains("does not match the link's pin") {
            break;
        }
    }
    assert!(text.contains("cannot connect to the share at"), "{text}");
    assert!(text.to_lowercase().contains("refused"), "{text}");
}
