//! Reaching the daemon: connect to its socket, or start it in the background
//! first (as `tmux` starts its server).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use tonic::transport::{Channel, Endpoint};
use wrapd_proto::pb::mux_client::MuxClient;

pub type Client = MuxClient<Channel>;

/// Largest message accepted from the daemon (snapshots with much history).
const MAX_MESSAGE: usize = 64 << 20;

/// Connect to the daemon at `socket`; the error says how to start one.
pub async fn connect(socket: &Path) -> Result<Client> {
    let mut client = try_connect(socket).await.map_err(|e| {
        anyhow!(
            "cannot reach wrapd-muxd at {}: {e}\n\
             start it with `wrapd-muxd` (or `systemctl --user start wrapd-muxd`), \
             or run `wrapd-attach` / `wrapd-attach new`, which start it",
            socket.display()
        )
    })?;
    crate::versions::handshake(&mut client, socket).await?;
    Ok(client)
}

async fn try_connect(socket: &Path) -> Result<Client> {
    Ok(client(try_channel(socket).await?))
}

/// A channel to the daemon's socket, for services besides `Mux`
/// (`ShareAdmin`); the error says how to start the daemon.
pub async fn channel(socket: &Path) -> Result<Channel> {
    try_channel(socket).await.map_err(|e| {
        anyhow!(
            "cannot reach wrapd-muxd at {}: {e}\n\
             start it with `wrapd-muxd` (or `systemctl --user start wrapd-muxd`)",
            socket.display()
        )
    })
}

async fn try_channel(socket: &Path) -> Result<Channel> {
    if !socket.exists() {
        bail!("no socket there (the daemon is not running)");
    }
    wrapd_common::quiet_socket::channel(socket)
        .await
        .map_err(|e| anyhow!("{}", error_chain(&e)))
}

/// A `Mux` client on a channel (the daemon's socket or a share's TLS port).
pub fn client(channel: Channel) -> Client {
    MuxClient::new(channel)
        .max_decoding_message_size(MAX_MESSAGE)
        .max_encoding_message_size(MAX_MESSAGE)
}

/// A client speaking over byte streams that `open` makes (an ssh tunnel
/// each): one now, and another whenever the connection breaks (the channel
/// reconnects by itself, as over the socket).
pub async fn over_streams<S, F, Fut>(open: F) -> Result<Client>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
    F: Fn() -> Fut + Send + Clone + 'static,
    Fut: std::future::Future<Output = std::io::Result<S>> + Send + 'static,
{
    let connector = tower::service_fn(move |_: tonic::codegen::http::Uri| {
        let open = open.clone();
        async move { open().await.map(hyper_util::rt::TokioIo::new) }
    });
    // The URI only names the stream; nothing resolves it.
    let channel = Endpoint::from_static("http://wrapd-muxd.invalid")
        .connect_with_connector(connector)
        .await
        .map_err(|e| anyhow!("{}", error_chain(&e)))?;
    Ok(client(channel))
}

/// Connect, starting the daemon first if none is running.
pub async fn connect_or_start(socket: &Path) -> Result<Client> {
    if let Ok(mut client) = try_connect(socket).await {
        crate::versions::handshake(&mut client, socket).await?;
        return Ok(client);
    }
    let mut started = wrapd_common::background::start_daemon(&daemon_program(), socket)?;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match try_connect(socket).await {
            Ok(client) => return Ok(client),
            Err(_) if Instant::now() > deadline || started.exited().is_some() => {
                bail!("{}", started.failure(socket));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

/// `wrapd-muxd` next to this program, else on `$PATH`.
fn daemon_program() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join("wrapd-muxd")))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("wrapd-muxd"))
}

/// An error and its causes on one line.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

/// A daemon's refusal as the user should read it.
pub fn status_message(s: &tonic::Status) -> String {
    match s.code() {
        tonic::Code::Unavailable | tonic::Code::Unknown
            if s.message().is_empty() || s.message().contains("transport") =>
        {
            format!("lost the connection to wrapd-muxd ({})", s.message())
        }
        _ => s.message().to_owned(),
    }
}
