//! `wrapd-muxd`: run the wrapd daemon in the foreground.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;
use wrapd_muxd::config::Config;
use wrapd_muxd::{Listener, paths};

/// The wrapd daemon: owns your terminal sessions and serves them to wrapd-attach.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve in the foreground (the default).
    Serve {
        /// Socket path [default: $WRAPD_SOCKET, $XDG_RUNTIME_DIR/wrapd/muxd.sock or /tmp/wrapd-$UID/muxd.sock].
        #[arg(long)]
        socket: Option<PathBuf>,
        /// Config file [default: $XDG_CONFIG_HOME/wrapd/config.toml].
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("WRAPD_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .init();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wrapd-muxd: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let Cmd::Serve { socket, config } = cli.command.unwrap_or(Cmd::Serve {
        socket: None,
        config: None,
    });
    let config = match config {
        Some(path) => Config::load(&path)?,
        None => Config::load_default()?,
    };
    let socket = socket.unwrap_or_else(paths::socket_path);
    // Writes to a client that vanished must be errors, not a fatal signal.
    // SAFETY: setting a signal disposition at startup, before any thread runs.
    unsafe {
        nix::sys::signal::signal(
            nix::sys::signal::Signal::SIGPIPE,
            nix::sys::signal::SigHandler::SigIgn,
        )
    }
    .context("ignoring SIGPIPE")?;
    let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
    runtime.block_on(async {
        let listener = Listener::bind(&socket)?;
        let shutdown = CancellationToken::new();
        tokio::spawn(stop_on_signal(shutdown.clone()));
        wrapd_muxd::run(config, listener, shutdown).await
    })
}

async fn stop_on_signal(shutdown: CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot install signal handlers");
        return;
    };
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
        _ = int.recv() => tracing::info!("SIGINT: shutting down"),
    }
    shutdown.cancel();
}
