//! The web door's limits against a real daemon: its connections in all, per
//! address (from this machine's own network address: loopback, a proxy's, is
//! not counted by address) and per participant, and the deadline for a
//! WebSocket's `start`; real TCP, TLS and WebSocket clients.

mod share_common;
mod web_common;

use share_common::*;
use web_common::*;

/// Does the web door answer a request on a new connection?
async fn answers(web: &Client) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut conn = web.connect().await;
    let req = format!("GET / HTTP/1.1\r\nHost: {}\r\n\r\n", web.host());
    if conn.write_all(req.as_bytes()).await.is_err() {
        return false;
    }
    let mut buf = [0u8; 64];
    matches!(conn.read(&mut buf).await, Ok(n) if n > 0)
}

#[tokio::test]
async fn the_door_holds_at_most_its_connections() {
    let (d, web, _link) = cat_shared_on_the_web(web_config()).await;
    assert!(answers(&web).await);
    // Connections that say nothing (from loopback: not counted per address)
    // hold their places until the header timeout.
    let mut open = Vec::new();
    for _ in 0..wrapd_muxd::web::MAX_CONNECTIONS {
        open.push(tokio::net::TcpStream::connect(web.host()).await.unwrap());
    }
    wait_for("the door to be full", || async {
        let full = !answers(&web).await;
        (full.then_some(()), "it still answers".to_owned())
    })
    .await;
    // One goes: its place is free again.
    drop(open.pop());
    wait_for("a free place", || async {
        let free = answers(&web).await;
        (free.then_some(()), "it does not answer".to_owned())
    })
    .await;
    d.stop().await;
}

#[tokio::test]
async fn sockets_that_never_start_close_and_a_participant_holds_few() {
    let (d, web, link) = cat_shared_on_the_web(web_config()).await;
    let share = link.share_id.as_str();
    let (ada, _) = web_enroll(&web, &link, "Ada").await;
    let (ben, _) = web_enroll(&web, &link, "Ben").await;
    let most = wrapd_muxd::web::SOCKETS_PER_PARTICIPANT;
    // Ada's sockets that never send `start`, up to her limit.
    let mut idle = Vec::new();
    for _ in 0..most {
        idle.push(web.socket(share, Some(&ada)).await);
    }
    // One more of hers is refused at once, saying why.
    let mut more = web.socket(share, Some(&ada)).await;
    let (code, why) = more.closed().await;
    assert_eq!(code, 4429, "{why}");
    assert!(why.contains("connections open"), "{why}");
    // Ben has places of his own.
    let (_ben_s, first) = web.attach(share, Some(&ben), web_start()).await;
    assert_attached(&first);
    // Hers that never start are closed: 4408, which the page answers by
    // opening another.
    for s in &mut idle {
        let (code, why) = s.closed().await;
        assert_eq!(code, 4408, "{why}");
        assert!(why.contains("start"), "{why}");
    }
    // Then she has her places again.
    wait_for("Ada's places back", || {
        let (web, ada) = (&web, ada.clone());
        async move {
            match web.attach(share, Some(&ada), web_start()).await {
                (s, Frame::Event(_)) => (Some(s), String::new()),
                (_, f) => (None, format!("{f:?}")),
            }
        }
    })
    .await;
    d.stop().await;
}

/// A TLS connection to the web door at `addr`, trusting `cert` only.
async fn tls_connection(
    addr: &str,
    cert: &rustls_pki_types::CertificateDer<'static>,
) -> Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>, String> {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    trusting(cert)
        .connect(name, tcp)
        .await
        .map_err(|e| e.to_string())
}

/// This machine's own address on its network (not loopback), if it has one:
/// where the route to the outside starts (nothing is sent).
fn network_address() -> Option<std::net::IpAddr> {
    let udp = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    udp.connect("203.0.113.1:9").ok()?;
    let ip = udp.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[tokio::test]
async fn one_address_holds_at_most_its_share_of_the_doors_connections() {
    let Some(ip) = network_address() else {
        let msg = "this machine has no network address besides loopback: \
                   the web door's per-address limit is not tested";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg}");
        }
        eprintln!("\n*** SKIPPING: {msg} ***\n");
        return;
    };
    install_crypto();
    let dir = tempfile::tempdir().unwrap();
    let mut config = web_config();
    config.share.web_listen = Some("0.0.0.0:0".parse().unwrap());
    config.share.web_certificate = dir.path().join("web.pem");
    config.share.web_key = dir.path().join("web.key");
    let cert = owner_certificate(&config.share.web_certificate, &config.share.web_key);
    let d = TestDaemon::start_with(config).await;
    let port = d
        .daemon
        .web_base()
        .unwrap()
        .rsplit_once(':')
        .unwrap()
        .1
        .to_owned();
    let (there, here) = (format!("{ip}:{port}"), format!("127.0.0.1:{port}"));
    // Connections from one address, open (and idle), up to its limit.
    let mut held = Vec::new();
    for n in 0..wrapd_muxd::web::PER_ADDRESS {
        let c = tls_connection(&there, &cert).await;
        held.push(c.unwrap_or_else(|e| panic!("connection {n} from {ip}: {e}")));
    }
    // One more from it is not served.
    assert!(tls_connection(&there, &cert).await.is_err());
    // Loopback (a reverse proxy, an `ssh -L` forward) is not counted by address.
    let mut local = Vec::new();
    for _ in 0..wrapd_muxd::web::PER_ADDRESS + 1 {
        local.push(tls_connection(&here, &cert).await.unwrap());
    }
    // One from the address closes: it gets a place again.
    drop(held.pop());
    wait_for("a place for that address again", || {
        let (there, cert) = (there.clone(), cert.clone());
        async move {
            match tls_connection(&there, &cert).await {
                Ok(c) => (Some(c), String::new()),
                Err(e) => (None, e),
            }
        }
    })
    .await;
    d.stop().await;
}
