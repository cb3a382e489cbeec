//! A browser-like client of the web door: HTTP (hyper) and the WebSocket
//! (tungstenite) over TCP, or TLS with the owner's certificate.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::HeaderMap;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use prost::Message as _;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};
use wrapd_common::config::Config;
use wrapd_proto::link::ShareLink;
use wrapd_proto::pb;
use wrapd_proto::pb::attach_event::Msg as Event;
use wrapd_proto::pb::attach_request::Msg as Req;

use super::share_common::{TestDaemon, cat_shared_with_a_viewer_link, install_crypto};

/// An answer, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("no {name} header in {self:#?}"))
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {self:#?}"))
    }

    pub fn message(&self) -> String {
        self.json()["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The credential cookie it sets: its `name=value` pair and attributes.
    pub fn cookie(&self) -> (String, String) {
        let c = self.header("set-cookie");
        let (pair, attrs) = c.split_once(';').unwrap();
        (pair.to_owned(), attrs.to_owned())
    }
}

/// A browser-like client of the web door at `base` (`http(s)://host:port`).
pub struct Client {
    pub base: String,
    /// Trusted for HTTPS (the owner's certificate), if any.
    pub tls: Option<tokio_rustls::TlsConnector>,
}

pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

impl Client {
    pub fn plain(d: &TestDaemon) -> Client {
        Client {
            base: d.daemon.web_base().expect("the web door listens"),
            tls: None,
        }
    }

    pub fn host(&self) -> &str {
        self.base.split_once("://").unwrap().1
    }

    pub async fn connect(&self) -> Box<dyn Io> {
        let tcp = tokio::net::TcpStream::connect(self.host()).await.unwrap();
        match &self.tls {
            None => Box::new(tcp),
            Some(tls) => {
                let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
                Box::new(tls.connect(name, tcp).await.unwrap())
            }
        }
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Reply {
        let io = self.connect().await;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
            .await
            .unwrap();
        tokio::spawn(conn);
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", self.host());
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(Full::new(Bytes::from(body.to_owned()))).unwrap();
        let res = sender.send_request(req).await.unwrap();
        let (status, headers) = (res.status().as_u16(), res.headers().clone());
        let body = res.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Reply {
        let headers: Vec<(&str, &str)> = cookie.map(|c| ("cookie", c)).into_iter().collect();
        self.send("GET", path, &headers, "").await
    }

    /// Enroll as a browser does, from the share's own page.
    pub async fn enroll(&self, share: &str, secret: &str, name: &str) -> Reply {
        let origin = self.base.clone();
        let body = serde_json::json!({"secret": secret, "name": name}).to_string();
        self.send(
            "POST",
            &format!("/s/{share}/api/enroll"),
            &[("origin", &origin), ("content-type", "application/json")],
            &body,
        )
        .await
    }

    /// Ask what joining with `secret` asks of the joiner, as the page does.
    pub async fn link_asks(&self, share: &str, secret: &str) -> Reply {
        let origin = self.base.clone();
        let body = serde_json::json!({ "secret": secret }).to_string();
        self.send(
            "POST",
            &format!("/s/{share}/api/link"),
            &[("origin", &origin), ("content-type", "application/json")],
            &body,
        )
        .await
    }

    pub async fn whoami(&self, share: &str, cookie: Option<&str>) -> Reply {
        self.get(&format!("/s/{share}/api/whoami"), cookie).await
    }
}

pub fn web_config() -> Config {
    let mut config = Config::default();
    config.share.web_listen = Some("127.0.0.1:0".parse().unwrap());
    config
}

pub fn secret(link: &ShareLink) -> &str {
    link.secret.as_deref().unwrap()
}

/// A certificate for `localhost` (what the owner would get from ACME or
/// mkcert), written to `cert_path` and `key_path`; its DER.
pub fn owner_certificate(
    cert_path: &std::path::Path,
    key_path: &std::path::Path,
) -> rustls_pki_types::CertificateDer<'static> {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    std::fs::write(cert_path, cert.pem()).unwrap();
    std::fs::write(key_path, key.serialize_pem()).unwrap();
    cert.der().clone()
}

/// A TLS client that trusts `cert` only.
pub fn trusting(cert: &rustls_pki_types::CertificateDer<'static>) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.clone()).unwrap();
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(tls))
}

/// A daemon serving HTTPS with an owner's certificate in `dir`; its DER.
pub async fn https_daemon(
    dir: &std::path::Path,
) -> (TestDaemon, rustls_pki_types::CertificateDer<'static>) {
    install_crypto();
    let (cert_path, key_path) = (dir.join("web.pem"), dir.join("web.key"));
    let cert = owner_certificate(&cert_path, &key_path);
    let mut config = web_config();
    config.share.web_certificate = cert_path;
    config.share.web_key = key_path;
    (TestDaemon::start_with(config).await, cert)
}

/// Where a WebSocket's stream stands after a frame.
#[derive(Debug)]
pub enum Frame {
    Event(Box<pb::AttachEvent>),
    /// The daemon closed it: the code and the reason.
    Closed(u16, String),
}

/// The attach stream as a browser holds it.
pub struct Socket {
    ws: WebSocketStream<Box<dyn Io>>,
}

impl Client {
    /// Open `/s/SHARE/ws` with `cookie`, from a page of `origin` (`None`: the
    /// server's own); the handshake's refusal as its HTTP status.
    pub async fn try_socket(
        &self,
        share: &str,
        cookie: Option<&str>,
        origin: Option<&str>,
    ) -> Result<Socket, u16> {
        let mut req = format!("ws://{}/s/{share}/ws", self.host())
            .into_client_request()
            .unwrap();
        let own = self.base.clone();
        let h = req.headers_mut();
        h.insert("origin", origin.unwrap_or(own.as_str()).parse().unwrap());
        if let Some(c) = cookie {
            h.insert("cookie", c.parse().unwrap());
        }
        match tokio_tungstenite::client_async(req, self.connect().await).await {
            Ok((ws, _)) => Ok(Socket { ws }),
            Err(tungstenite::Error::Http(res)) => Err(res.status().as_u16()),
            Err(e) => panic!("WebSocket handshake: {e}"),
        }
    }

    pub async fn socket(&self, share: &str, cookie: Option<&str>) -> Socket {
        self.try_socket(share, cookie, None)
            .await
            .unwrap_or_else(|status| panic!("WebSocket refused with HTTP {status}"))
    }

    /// Open the stream and attach with `start`: its first frame (`attached`,
    /// or the close that refused it).
    pub async fn attach(
        &self,
        share: &str,
        cookie: Option<&str>,
        start: pb::AttachStart,
    ) -> (Socket, Frame) {
        let mut s = self.socket(share, cookie).await;
        s.send(Req::Start(start)).await;
        let first = s.frame().await;
        (s, first)
    }
}

impl Socket {
    pub async fn send(&mut self, msg: Req) {
        let bytes = pb::AttachRequest { msg: Some(msg) }.encode_to_vec();
        self.send_raw(Message::Binary(bytes.into())).await;
    }

    pub async fn send_raw(&mut self, msg: Message) {
        // The daemon may have closed already: what it said is in the frames.
        let _ = self.ws.send(msg).await;
    }

    /// The next frame, within 10 s.
    pub async fn frame(&mut self) -> Frame {
        loop {
            let next = tokio::time::timeout(Duration::from_secs(10), self.ws.next())
                .await
                .expect("a frame within 10 s");
            match next {
                Some(Ok(Message::Binary(b))) => {
                    return Frame::Event(Box::new(
                        pb::AttachEvent::decode(b).expect("an AttachEvent"),
                    ));
                }
                Some(Ok(Message::Close(c))) => {
                    let (code, reason) = c.map_or((1005, String::new()), |c| {
                        (u16::from(c.code), c.reason.as_str().to_owned())
                    });
                    return Frame::Closed(code, reason);
                }
                Some(Ok(Message::Text(t))) => panic!("a text frame: {t}"),
                Some(Ok(_)) => {}
                Some(Err(e)) => panic!("the WebSocket failed: {e}"),
                None => panic!("the WebSocket ended without a close frame"),
            }
        }
    }

    /// The next event for which `pick` says something; panics at a close.
    pub async fn next<T>(&mut self, what: &str, mut pick: impl FnMut(&Event) -> Option<T>) -> T {
        let mut seen = Vec::new();
        loop {
            match self.frame().await {
                Frame::Event(ev) => {
                    let Some(e) = &ev.msg else { continue };
                    if let Some(t) = pick(e) {
                        return t;
                    }
                    seen.push(format!("{e:?}").chars().take(300).collect::<String>());
                }
                Frame::Closed(code, why) => {
                    panic!("closed ({code} {why}) waiting for {what}; saw {seen:#?}")
                }
            }
        }
    }

    /// The close frame that ends the stream, skipping events before it.
    pub async fn closed(&mut self) -> (u16, String) {
        loop {
            if let Frame::Closed(code, why) = self.frame().await {
                return (code, why);
            }
        }
    }
}

/// The first frame must be `attached`.
pub fn assert_attached(first: &Frame) -> &pb::Attached {
    if let Frame::Event(ev) = first
        && let Some(Event::Attached(a)) = &ev.msg
    {
        return a;
    }
    panic!("first frame is not `attached`: {first:?}")
}

/// An attach start for a browser's 40x10 view with history.
pub fn web_start() -> pb::AttachStart {
    pb::AttachStart {
        size: Some(pb::Size { cols: 40, rows: 10 }),
        history_rows: 1000,
        ..Default::default()
    }
}

/// A daemon with its web door (`config`), a `cat` session "s" shared with a
/// viewer link, and a browser for it.
pub async fn cat_shared_on_the_web(config: Config) -> (TestDaemon, Client, ShareLink) {
    let d = TestDaemon::start_with(config).await;
    let (_owner, _admin, link) = cat_shared_with_a_viewer_link(&d).await;
    let web = Client::plain(&d);
    (d, web, link)
}

/// Enroll `name` with `link` from a browser: the cookie and participant id.
pub async fn web_enroll(web: &Client, link: &ShareLink, name: &str) -> (String, String) {
    let r = web.enroll(&link.share_id, secret(link), name).await;
    assert_eq!(r.status, 200, "{r:#?}");
    let pid = r.json()["participant_id"].as_str().unwrap().to_owned();
    (r.cookie().0, pid)
}

/// The owner's list of shares.
pub async fn list_shares(d: &TestDaemon) -> pb::ListSharesResponse {
    d.admin()
        .await
        .list_shares(pb::ListSharesRequest::default())
        .await
        .unwrap()
        .into_inner()
}

/// Share "s"'s audit log as `action detail` lines (of one participant, or all).
pub async fn audit_details(d: &TestDaemon, participant: Option<&str>) -> Vec<String> {
    d.admin()
        .await
        .get_audit_log(pb::GetAuditLogRequest { target: "s".into() })
        .await
        .unwrap()
        .into_inner()
        .entries
        .into_iter()
        .filter(|e| participant.is_none_or(|p| e.participant_id == p))
        .map(|e| format!("{} {}", e.action, e.detail))
        .collect()
}

/// The owner stops sharing `target`.
pub async fn stop_share(d: &TestDaemon, target: &str) {
    d.admin()
        .await
        .stop_share(pb::StopShareRequest {
            target: target.into(),
            all: false,
        })
        .await
        .unwrap();
}

/// The owner starts a share.
pub async fn start_share(d: &TestDaemon, req: pb::StartShareRequest) -> pb::ShareInfo {
    d.admin().await.start_share(req).await.unwrap().into_inner()
}
