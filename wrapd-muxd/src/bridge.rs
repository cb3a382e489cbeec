//! `wrapd-muxd bridge`: the daemon's socket on standard input and output, for
//! a client on another machine that runs this through `ssh` (as WezTerm's
//! `wezterm cli proxy`). The daemon is started first if it is not running.
//!
//! Before relaying, the bridge writes [`GREETING`]: a client that reads it
//! knows that ssh, the remote `wrapd-muxd` and the daemon all worked, and
//! anything else it reads instead (or nothing) is an error to explain.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::UnixStream;
use wrapd_common::background::{self, StartError};
use wrapd_common::bridge::GREETING;

/// How long a daemon we started may take to serve its socket.
const START_LIMIT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    #[error("cannot reach wrapd-muxd at {}: {source}", socket.display())]
    Connect {
        socket: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Start(#[from] StartError),
    #[error("{0}")]
    NotServing(String),
    #[error("relaying: {0}")]
    Relay(#[source] io::Error),
}

/// Relay stdin/stdout to the daemon at `socket` until either side closes.
/// `program` is the wrapd-muxd to start when none serves the socket.
pub async fn run(socket: &Path, program: &Path) -> Result<(), BridgeError> {
    let stream = connect_or_start(socket, program).await?;
    let (mut from_daemon, mut to_daemon) = stream.into_split();
    let mut stdin = tokio::io::stdin();
    let mut stdout = tokio::io::stdout();
    stdout
        .write_all(GREETING)
        .await
        .map_err(BridgeError::Relay)?;
    stdout.flush().await.map_err(BridgeError::Relay)?;
    // When one direction ends, the conversation is over.
    tokio::select! {
        r = tokio::io::copy(&mut stdin, &mut to_daemon) => r,
        r = tokio::io::copy(&mut from_daemon, &mut stdout) => r,
    }
    .map(drop)
    .map_err(BridgeError::Relay)
}

async fn connect_or_start(socket: &Path, program: &Path) -> Result<UnixStream, BridgeError> {
    let connect_err = |source| BridgeError::Connect {
        socket: socket.to_owned(),
        source,
    };
    match UnixStream::connect(socket).await {
        Ok(s) => return Ok(s),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused
            ) => {}
        Err(e) => return Err(connect_err(e)),
    }
    let mut started = background::start_daemon(program, socket)?;
    let deadline = Instant::now() + START_LIMIT;
    loop {
        match UnixStream::connect(socket).await {
            Ok(s) => return Ok(s),
            Err(_) if Instant::now() > deadline || started.exited().is_some() => {
                return Err(BridgeError::NotServing(started.failure(socket)));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}
