//! `wrapd-muxd`: run the wrapd daemon, check its config, install it as a
//! systemd user service, or bridge its socket to stdio (for `ssh`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, CommandFactory, Parser, Subcommand};
use tokio_util::sync::CancellationToken;
use wrapd_common::cli_docs::{self, CompletionsArgs, ManArgs};
use wrapd_common::config::{Config, DEFAULT_TOML};
use wrapd_muxd::daemon::Daemon;
use wrapd_muxd::systemd::{activation, notify, units};
use wrapd_muxd::{Listener, bridge, handover, server};

/// The wrapd daemon: owns your terminal sessions and serves them to wrapd-attach.
///
/// With no command it serves (`serve`, whose options it takes too).
#[derive(Parser)]
#[command(version, about, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(flatten)]
    serve: ServeArgs,
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve in the foreground (the default). Under systemd: takes the socket
    /// it passes (socket activation) and reports readiness; SIGHUP re-reads the config.
    Serve(ServeArgs),
    /// Check or print the configuration.
    #[command(subcommand)]
    Config(ConfigCmd),
    /// Write the systemd user units (wrapd-muxd.service, wrapd-muxd.socket)
    /// into ~/.config/systemd/user, running this wrapd-muxd.
    InstallService,
    /// Remove the systemd user units that install-service wrote.
    UninstallService,
    /// A team CA for sharing with your team without invitations.
    #[command(subcommand)]
    Team(TeamCmd),
    /// Relay stdin/stdout to the daemon's socket, starting the daemon if it
    /// is not running (what `wrapd-attach ssh://HOST` runs on HOST).
    Bridge {
        /// Socket path [default: as for `serve`].
        #[arg(long)]
        socket: Option<PathBuf>,
    },
    /// Print a shell completion script: `wrapd-muxd completions bash`
    /// (the README says where each shell looks for them).
    Completions(CompletionsArgs),
    /// Print the man page, or write all of them with --dir.
    Man(ManArgs),
    /// Hand the running daemon over to the binary installed now (or
    /// --binary) without losing a session: it re-executes in place, same
    /// pid; its programs notice nothing. A binary that cannot take over
    /// changes nothing, and this says why. (SIGUSR2 to the daemon does the
    /// same with the installed binary.)
    Upgrade {
        /// The new wrapd-muxd [default: the daemon's own path, as installed now].
        #[arg(long, value_name = "PATH")]
        binary: Option<PathBuf>,
        /// Socket path [default: as for `serve`].
        #[arg(long)]
        socket: Option<PathBuf>,
    },
    /// (Run by `upgrade`) read the hand-over state and say whether this
    /// binary can take it.
    #[command(name = "handover-probe", hide = true)]
    HandoverProbe,
}

#[derive(Args)]
struct ServeArgs {
    /// Socket path [default: $WRAPD_SOCKET, the config's daemon.socket,
    /// $XDG_RUNTIME_DIR/wrapd/muxd.sock or /tmp/wrapd-$UID/muxd.sock].
    #[arg(long)]
    socket: Option<PathBuf>,
    /// Config file [default: $XDG_CONFIG_HOME/wrapd/config.toml].
    #[arg(long)]
    config: Option<PathBuf>,
    /// Where to listen for collaborators (TLS) [default: the config's
    /// share.listen, 127.0.0.1:7443]; port 0 picks a free one.
    #[arg(long, value_name = "ADDR")]
    share_listen: Option<std::net::SocketAddr>,
}

#[derive(Subcommand)]
enum ConfigCmd {
    /// Validate a config file; the error names the key and the line.
    Check {
        /// The file to check [default: $XDG_CONFIG_HOME/wrapd/config.toml].
        file: Option<PathBuf>,
    },
    /// Print the default config, commented (a starting point for your own).
    Default,
}

#[derive(Subcommand)]
enum TeamCmd {
    /// Make a team CA (kept if one exists). Daemons trust it with
    /// `share.team_ca = "DIR/ca.pem"`.
    Init {
        /// Where the CA's key and certificate go [default: $XDG_CONFIG_HOME/wrapd/team].
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Make a member's identity (key and certificate) from the team CA.
    Issue {
        /// The member's email: who they are in every share they join.
        email: String,
        /// Display name [default: the email's user part].
        #[arg(long)]
        name: Option<String>,
        /// The team CA's directory [default: $XDG_CONFIG_HOME/wrapd/team].
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The daemon logs what it does; a command run once (`team init`,
    // `config check`, ...) says it in its own words on stdout, and logs only
    // warnings and errors.
    let serving = matches!(cli.command, None | Some(Cmd::Serve(_)));
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("WRAPD_LOG")
                .unwrap_or_else(|_| if serving { "info" } else { "warn" }.into()),
        )
        .init();
    let result = match cli.command {
        None => serve(cli.serve),
        Some(Cmd::Serve(args)) => serve(args),
        Some(Cmd::Config(ConfigCmd::Check { file })) => check_config(file),
        Some(Cmd::Config(ConfigCmd::Default)) => {
            print!("{DEFAULT_TOML}");
            Ok(())
        }
        Some(Cmd::InstallService) => install_service(),
        Some(Cmd::UninstallService) => uninstall_service(),
        Some(Cmd::Bridge { socket }) => run_bridge(socket),
        Some(Cmd::Team(cmd)) => team(cmd),
        Some(Cmd::Completions(args)) => {
            cli_docs::run_completions(Cli::command(), &args).map_err(Into::into)
        }
        Some(Cmd::Man(args)) => cli_docs::run_man(Cli::command(), &args).map_err(Into::into),
        Some(Cmd::Upgrade { binary, socket }) => upgrade(binary, socket),
        Some(Cmd::HandoverProbe) => handover::probe::be_probe(check_serve_args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wrapd-muxd: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load_config(path: Option<&Path>) -> anyhow::Result<Config> {
    Ok(match path {
        Some(path) => Config::load(path)?,
        None => Config::load_default()?,
    })
}

fn check_config(file: Option<PathBuf>) -> anyhow::Result<()> {
    let Some(path) = file else {
        let path = Config::default_path();
        if !path.exists() {
            println!(
                "{}: none, so every setting has its default \
                 (`wrapd-muxd config default` prints them)",
                path.display()
            );
            return Ok(());
        }
        return check_config(Some(path));
    };
    Config::load(&path)?;
    println!("{}: ok", path.display());
    Ok(())
}

/// The daemon's arguments (as a hand-over passes them) make sense to this
/// binary, and the config they name loads: what the probe checks.
fn check_serve_args(args: &[String]) -> anyhow::Result<()> {
    let cli = Cli::try_parse_from(std::iter::once("wrapd-muxd".to_owned()).chain(args.to_vec()))
        .context("the daemon's arguments")?;
    let serve = match cli.command {
        None => cli.serve,
        Some(Cmd::Serve(args)) => args,
        Some(_) => anyhow::bail!("the daemon's arguments {args:?} are not `serve`'s"),
    };
    load_config(serve.config.as_deref()).map(drop)
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let ServeArgs {
        socket,
        config: config_path,
        share_listen,
    } = args;
    // SAFETY: at startup, before any thread runs.
    let (incoming, activation, notifier) = unsafe {
        (
            handover::take::read_env_state().context("taking over from the previous image")?,
            activation::take().context("taking what systemd passed")?,
            notify::take_socket().context("reading NOTIFY_SOCKET")?,
        )
    };
    // An upgrade's exec, else a restart under systemd (its descriptor store).
    let incoming = match incoming {
        Some(incoming) => Some(incoming),
        None => handover::fdstore::incoming(activation.stored)
            .context("taking the sessions back from systemd's descriptor store")?,
    };
    // Checked whole before anything starts; if this binary cannot take it,
    // the previous one gets it back (this does not return then).
    let handed_over = incoming
        .map(handover::take::check_or_fall_back)
        .transpose()?;
    let mut config = match load_config(config_path.as_deref()) {
        Ok(config) => config,
        // Sessions handed over are not given up for a bad file (the probe
        // checked it; it may have changed since): defaults until SIGHUP.
        Err(e) if handed_over.is_some() => {
            tracing::error!("{e:#}: serving with the default settings; fix it and send SIGHUP");
            Config::default()
        }
        Err(e) => return Err(e),
    };
    if let Some(addr) = share_listen {
        config.share.listen = addr;
    }
    let socket = socket.unwrap_or_else(|| config.socket_path());
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
        let listener = match (activation.listener, &handed_over) {
            (_, Some((checked, incoming))) if !incoming.is_restart() => {
                Listener::adopt(handover::take::unix_fds(checked))?
            }
            (Some(l), _) => {
                let listener = Listener::inherited(l)?;
                tracing::info!(socket = %listener.path().display(), "socket activation: serving the socket systemd passed");
                listener
            }
            (None, _) => Listener::bind(&socket)?,
        };
        let shutdown = CancellationToken::new();
        let daemon = Daemon::new(config, listener.path().to_owned(), shutdown.clone());
        daemon.handover.set_systemd(handover::Systemd {
            notify_socket: notifier.socket_value().to_owned(),
            fdstore_max: notifier.fdstore_max(),
        });
        if let Some((checked, incoming)) = handed_over {
            handover::take::restore(&daemon, checked, incoming, |name| notifier.unstore(name));
        }
        tokio::spawn(on_signals(
            daemon.clone(),
            config_path,
            share_listen,
            notifier.clone(),
            shutdown.clone(),
        ));
        // The socket is bound: connections wait in its backlog until we accept.
        notifier.tell(&format!("READY=1\nMAINPID={}", std::process::id()));
        let result = server::serve(daemon, listener, shutdown).await;
        notifier.tell("STOPPING=1");
        result
    })
}

/// SIGTERM/SIGINT stop the daemon; SIGHUP re-reads the config (a bad file is
/// logged and the settings stay as they were; the command line still wins);
/// SIGUSR2 hands the daemon over to the installed binary (`upgrade`).
async fn on_signals(
    daemon: Arc<Daemon>,
    config_path: Option<PathBuf>,
    share_listen: Option<std::net::SocketAddr>,
    notifier: notify::Notifier,
    shutdown: CancellationToken,
) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int), Ok(mut hup), Ok(mut usr2)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
        signal(SignalKind::hangup()),
        signal(SignalKind::user_defined2()),
    ) else {
        tracing::error!("cannot install signal handlers");
        return;
    };
    loop {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
            _ = int.recv() => tracing::info!("SIGINT: shutting down"),
            _ = usr2.recv() => {
                let daemon = daemon.clone();
                tokio::spawn(async move { handover::begin::on_signal(&daemon).await });
                continue;
            }
            _ = hup.recv() => {
                notifier.tell("RELOADING=1");
                let path = config_path.clone().unwrap_or_else(Config::default_path);
                match load_config(config_path.as_deref()) {
                    Ok(mut config) => {
                        // --share-listen still wins over the file.
                        if let Some(addr) = share_listen {
                            config.share.listen = addr;
                        }
                        daemon.reload(config);
                        tracing::info!("SIGHUP: reloaded the config from {}", path.display());
                    }
                    Err(e) => tracing::error!("SIGHUP: kept the previous settings: {e:#}"),
                }
                notifier.tell("READY=1");
                continue;
            }
        }
        // Under systemd with a descriptor store, the sessions wait there
        // for the restart (a plain stop closes them: they hang up).
        if handover::fdstore::store(&daemon, &notifier).await {
            notifier.tell("STOPPING=1");
            std::process::exit(0);
        }
        shutdown.cancel();
        return;
    }
}

fn team(cmd: TeamCmd) -> anyhow::Result<()> {
    use wrapd_muxd::share::team;
    match cmd {
        TeamCmd::Init { dir } => {
            let dir = dir.unwrap_or_else(team::default_dir);
            let (ca, made) = team::init(&dir)?;
            let verb = if made { "made" } else { "found" };
            println!(
                "{verb} the team CA in {dir} (fingerprint sha256:{fp})\n\
                 \ntrust it on each daemon that shares with the team (config.toml):\n\
                 \n    [share]\n    team_ca = \"{cert}\"\n\
                 \nissue members' identities with `wrapd-muxd team issue EMAIL`; \
                 keep {key} secret",
                dir = dir.display(),
                fp = ca.fingerprint(),
                cert = dir.join("ca.pem").display(),
                key = dir.join("ca.key").display(),
            );
        }
        TeamCmd::Issue { email, name, dir } => {
            if !email.contains('@') || email.contains(char::is_whitespace) {
                anyhow::bail!("`{email}` is not an email address");
            }
            let dir = dir.unwrap_or_else(team::default_dir);
            let name = name.unwrap_or_else(|| email.split('@').next().unwrap_or(&email).to_owned());
            let files = team::issue(&dir, &email, &name)?;
            println!(
                "issued an identity for {email}:\n  certificate: {}\n  key:         {} (mode 0600)\n\
                 hand both to them over a private channel",
                files.cert.display(),
                files.key.display()
            );
        }
    }
    Ok(())
}

fn install_service() -> anyhow::Result<()> {
    let program = std::env::current_exe().context("finding this program's path")?;
    let dir = units::user_unit_dir();
    let written = units::install(&dir, &program)
        .with_context(|| format!("writing the units into {}", dir.display()))?;
    for path in written {
        println!("wrote {}", path.display());
    }
    println!(
        "\nstart it now and at every login (the first wrapd-attach starts the daemon):\n\
         \n    systemctl --user daemon-reload\
         \n    systemctl --user enable --now {socket}\n\
         \nto keep sessions running after you log out:\n\
         \n    loginctl enable-linger\n\
         \nthe units' documentation (`systemctl --user help {service}`) is the man page:\n\
         \n    wrapd-muxd man --dir ~/.local/share/man/man1",
        socket = units::SOCKET,
        service = units::SERVICE,
    );
    Ok(())
}

fn uninstall_service() -> anyhow::Result<()> {
    let dir = units::user_unit_dir();
    let removed =
        units::uninstall(&dir).with_context(|| format!("removing units from {}", dir.display()))?;
    if removed.is_empty() {
        println!("no wrapd units in {}", dir.display());
        return Ok(());
    }
    for path in removed {
        println!("removed {}", path.display());
    }
    println!(
        "\nif they were enabled, also run:\n\
         \n    systemctl --user disable --now {} {}\
         \n    systemctl --user daemon-reload",
        units::SOCKET,
        units::SERVICE
    );
    Ok(())
}

fn upgrade(binary: Option<PathBuf>, socket: Option<PathBuf>) -> anyhow::Result<()> {
    // A broken file must not keep us from asking (the daemon refuses to
    // hand over to a binary that would start with it, and says so).
    let config = load_config(None).unwrap_or_else(|e| {
        eprintln!("wrapd-muxd: {e:#}\n(looking for the daemon where the defaults say)");
        Config::default()
    });
    let socket = socket.unwrap_or_else(|| config.socket_path());
    let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
    runtime.block_on(handover::client::run(&socket, binary))
}

fn run_bridge(socket: Option<PathBuf>) -> anyhow::Result<()> {
    let config = load_config(None)?;
    let socket = socket.unwrap_or_else(|| config.socket_path());
    let program = std::env::current_exe().context("finding this program's path")?;
    let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
    let result = runtime.block_on(bridge::run(&socket, &program));
    // Reading stdin blocks a thread that nothing can interrupt: leave now
    // rather than wait for it.
    match result {
        Ok(()) => std::process::exit(0),
        Err(e) => {
            eprintln!("wrapd-muxd bridge: {e}");
            std::process::exit(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_argument_has_a_description() {
        Cli::command().debug_assert();
        assert_eq!(
            cli_docs::undescribed_arguments(&Cli::command()),
            Vec::<String>::new()
        );
    }
}
