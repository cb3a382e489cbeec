//! Viewers that join as a browser does, without a browser: each enrolls
//! through the web twin of a share link (`POST /s/SHARE/api/enroll`, its own
//! name, so each is a distinct participant; the credential comes back as a
//! cookie), then opens the share's WebSocket (`/s/SHARE/ws`, with the page's
//! `Origin` and that cookie) and reads the attach stream: binary frames, one
//! `AttachEvent` each, exactly what the page decodes.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use prost::Message as _;
use std::net::{Ipv4Addr, SocketAddr};

use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::{ClientRequestBuilder, Message};
use tokio_tungstenite::{WebSocketStream, client_async};
use wrapd_proto::pb;
use wrapd_proto::pb::attach_event::Msg as Event;
use wrapd_proto::pb::attach_request::Msg as Req;

use super::{Received, Viewers};

pub type WebStream = WebSocketStream<TcpStream>;

/// A web link's parts: `http://ADDR/s/SHARE/#SECRET`.
struct WebLink {
    addr: String,
    share: String,
    secret: String,
}

impl WebLink {
    fn parse(link: &str) -> anyhow::Result<WebLink> {
        let parse = || {
            let rest = link.strip_prefix("http://")?;
            let (addr, path) = rest.split_once('/')?;
            let (path, secret) = path.split_once('#')?;
            let share = path.strip_prefix("s/")?.trim_end_matches('/');
            Some(WebLink {
                addr: addr.to_owned(),
                share: share.to_owned(),
                secret: secret.to_owned(),
            })
        };
        parse().with_context(|| format!("not a plain-HTTP web link: {link}"))
    }
}

impl Viewers {
    /// Like [`Viewers::add`], as browsers: join through the web link `link`
    /// as `count` new participants, open each one's stream (`cols`×`rows`),
    /// once its first screen has arrived; `read`: whether they go on reading.
    pub fn add_web(
        &mut self,
        link: &str,
        count: usize,
        cols: u16,
        rows: u16,
        read: bool,
    ) -> anyhow::Result<()> {
        let link = link.to_owned();
        self.in_batches(
            count,
            move |n| {
                let link = link.clone();
                async move {
                    attach_web(&link, n, cols, rows)
                        .await
                        .with_context(|| format!("web viewer {n} joining {link}"))
                }
            },
            |v, stream| {
                if read {
                    let received = Arc::new(Received::default());
                    v.runtime.spawn(read_web(stream, received.clone()));
                    v.readers.push(received);
                } else {
                    v.web_stalled.push(stream);
                }
            },
        )
    }
}

/// Enroll as `name`, from loopback address `from` (the door allows a few
/// enrollments an address; every 127.x.y.z is this machine): the
/// credential's cookie (`wrapd=…`).
async fn enroll(link: &WebLink, name: &str, from: Ipv4Addr) -> anyhow::Result<String> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((from, 0)))?;
    let tcp = socket.connect(link.addr.parse()?).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
    tokio::spawn(conn);
    let body = serde_json::json!({ "secret": link.secret, "name": name }).to_string();
    let req = hyper::Request::post(format!("/s/{}/api/enroll", link.share))
        .header("host", &link.addr)
        .header("origin", format!("http://{}", link.addr))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))?;
    let res = sender.send_request(req).await?;
    let status = res.status();
    let cookie = res
        .headers()
        .get("set-cookie")
        .and_then(|c| c.to_str().ok())
        .and_then(|c| c.split(';').next())
        .map(str::to_owned);
    let answer = res.into_body().collect().await?.to_bytes();
    match cookie {
        Some(c) if status.is_success() => Ok(c),
        _ => bail!(
            "enrollment refused ({status}): {}",
            String::from_utf8_lossy(&answer)
        ),
    }
}

/// Enroll, open the stream, and read until the first update (the screen).
async fn attach_web(link: &str, n: usize, cols: u16, rows: u16) -> anyhow::Result<WebStream> {
    let link = WebLink::parse(link)?;
    let from = Ipv4Addr::new(127, 1, (n / 250) as u8, (n % 250 + 1) as u8);
    let cookie = enroll(&link, &format!("web viewer {n}"), from).await?;
    let uri = format!("ws://{}/s/{}/ws", link.addr, link.share).parse()?;
    let request = ClientRequestBuilder::new(uri)
        .with_header("Origin", format!("http://{}", link.addr))
        .with_header("Cookie", cookie);
    let tcp = TcpStream::connect(&link.addr).await?;
    let (mut ws, _) = client_async(request, tcp)
        .await
        .context("opening the WebSocket")?;
    let start = pb::AttachRequest {
        msg: Some(Req::Start(pb::AttachStart {
            size: Some(pb::Size {
                cols: cols.into(),
                rows: rows.into(),
            }),
            ..Default::default()
        })),
    };
    ws.send(Message::Binary(start.encode_to_vec().into()))
        .await
        .context("sending start")?;
    while let Some(frame) = ws.next().await {
        if let Message::Binary(b) = frame.context("reading the stream")?
            && let Ok(pb::AttachEvent {
                msg: Some(Event::Update(_)),
            }) = pb::AttachEvent::decode(b)
        {
            return Ok(ws);
        }
    }
    bail!("the stream ended before the first screen")
}

/// Read and count events until the stream ends.
async fn read_web(mut ws: WebStream, received: Arc<Received>) {
    let why = loop {
        match ws.next().await {
            Some(Ok(Message::Binary(b))) => {
                received.bytes.fetch_add(b.len() as u64, Ordering::Relaxed);
                if let Ok(pb::AttachEvent {
                    msg: Some(Event::Update(u)),
                }) = pb::AttachEvent::decode(b)
                {
                    received.updates.fetch_add(1, Ordering::Relaxed);
                    received.seq.store(u.seq, Ordering::Release);
                }
            }
            Some(Ok(Message::Close(c))) => break format!("closed: {c:?}"),
            Some(Ok(_)) => continue,
            Some(Err(e)) => break format!("{e}"),
            None => break "closed by the daemon".to_owned(),
        }
    };
    *received.ended.lock().expect("not poisoned") = Some(why);
}
