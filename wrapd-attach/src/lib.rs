//! wrapd-attach: the wrapd client.
//!
//! Layout:
//! - `cli`: the command line.
//! - `connect`: reaching the daemon (and starting it when needed).
//! - `versions`: what client and daemon say of their versions, and what to tell
//!   the user of a difference (a protocol mismatch, a binary replaced by an upgrade).
//! - `ssh`: the system `ssh` as a transport; `remote`: `ssh://` addresses.
//! - `commands`: the commands that do not attach (`ls`, `kill`, `capture`, ...).
//! - `blocks`: the `blocks` and `block` commands.
//! - `attach`: the attached client (loop, state, drawing).
//! - `keys`: encoding keys, mouse and paste for the program; key names.
//! - `mirror`: the client's copy of a session's state, fed by updates.
//! - `render`: the ratatui widget that draws a mirror.
//! - `share`: joining shared sessions (`wrapd://` links) and the owner's
//!   `share` and `access` commands.

pub mod attach;
mod base64;
pub mod blocks;
pub mod cli;
pub mod commands;
pub mod connect;
pub mod keys;
pub mod mirror;
pub mod remote;
pub mod render;
pub mod share;
pub mod ssh;
pub mod versions;

use std::process::ExitCode;

use anyhow::Result;
use clap::CommandFactory;
use wrapd_common::cli_docs;
use wrapd_common::config::Config;

use attach::AttachOptions;
use cli::{Cli, Command, NewArgs};

/// Run a parsed command line.
pub async fn run(cli: Cli) -> Result<ExitCode> {
    if let (Some(url), Some(_)) = (&cli.url, &cli.command) {
        anyhow::bail!("`{url}` and a command: give one or the other");
    }
    // Made from the command line alone: no config, no daemon.
    match &cli.command {
        Some(Command::Completions(args)) => {
            cli_docs::run_completions(Cli::command(), args)?;
            return Ok(ExitCode::SUCCESS);
        }
        Some(Command::Man(args)) => {
            cli_docs::run_man(Cli::command(), args)?;
            return Ok(ExitCode::SUCCESS);
        }
        _ => {}
    }
    let config = Config::load_default()?;
    let socket = cli.socket.clone().unwrap_or_else(|| config.socket_path());
    let outcome = match cli.command {
        None if cli
            .url
            .as_deref()
            .is_some_and(wrapd_proto::link::ShareLink::looks_like_link) =>
        {
            share::tls::install_provider();
            let args = share::join::JoinArgs {
                link: cli.url.clone().unwrap_or_default(),
                name: cli.name.clone(),
                email: cli.email.clone(),
                via: cli.via.clone(),
                read_only: cli.read_only,
            };
            share::join::run(args, &config).await?
        }
        None if cli.url.is_some() => {
            if cli.name.is_some() || cli.email.is_some() || cli.via.is_some() || cli.read_only {
                anyhow::bail!("--name, --email, --via and -r are for joining a wrapd:// link");
            }
            let url = cli.url.as_deref().unwrap_or_default();
            let url: remote::SshUrl = url.parse().map_err(|e| {
                anyhow::anyhow!("{e} (expected ssh://[user@]host[:port][/session])")
            })?;
            let client = remote::connect(&url.host).await?;
            let args = NewArgs {
                name: url.session.clone(),
                ..NewArgs::default()
            };
            let opts = AttachOptions {
                target: url.session.clone().unwrap_or_default(),
                read_only: false,
                create: Some(commands::create_request(&args, terminal_size())),
                share: attach::ShareSide::None,
            };
            attach::run(client, opts, &config.client).await?
        }
        None => {
            // No daemon is started for a client that cannot attach.
            attach::terminal_available().map_err(|e| {
                anyhow::anyhow!("this is not a terminal ({e}): wrapd-attach needs one to attach")
            })?;
            let client = connect::connect_or_start(&socket).await?;
            let create = commands::create_request(&NewArgs::default(), terminal_size());
            let opts = AttachOptions {
                target: String::new(),
                read_only: false,
                create: Some(create),
                share: attach::ShareSide::Owner {
                    socket: socket.clone(),
                },
            };
            attach::run(client, opts, &config.client).await?
        }
        Some(Command::New(args)) => {
            // Attaching needs a terminal: find out before creating anything.
            if !args.detached {
                attach::terminal_available().map_err(|e| {
                    anyhow::anyhow!(
                        "`new` attaches to the session it creates, and this is not a \
                         terminal ({e}): `wrapd-attach new -d` creates it in the background"
                    )
                })?;
            }
            let mut client = connect::connect_or_start(&socket).await?;
            if args.detached {
                commands::new_detached(&mut client, &args).await?;
                return Ok(ExitCode::SUCCESS);
            }
            let size = terminal_size().map(|(c, r)| {
                (
                    c,
                    r.saturating_sub(u16::from(config.client.status_line))
                        .max(1),
                )
            });
            let info = client
                .create_session(commands::create_request(&args, size))
                .await
                .map_err(commands::refused)?
                .into_inner();
            let opts = AttachOptions {
                target: info.id,
                read_only: false,
                create: None,
                share: attach::ShareSide::Owner {
                    socket: socket.clone(),
                },
            };
            attach::run(client, opts, &config.client).await?
        }
        Some(Command::Attach(args)) => {
            let client = connect::connect(&socket).await?;
            let opts = AttachOptions {
                target: args.target.unwrap_or_default(),
                read_only: args.read_only,
                create: None,
                share: attach::ShareSide::Owner {
                    socket: socket.clone(),
                },
            };
            attach::run(client, opts, &config.client).await?
        }
        Some(Command::Share(args)) => {
            share::admin::run_share(&socket, args).await?;
            return Ok(ExitCode::SUCCESS);
        }
        Some(Command::Access(args)) => {
            share::admin::access(&socket, args).await?;
            return Ok(ExitCode::SUCCESS);
        }
        Some(cmd) => {
            let mut client = connect::connect(&socket).await?;
            match cmd {
                Command::Ls { json } => commands::ls(&mut client, json).await?,
                Command::Kill { target } => commands::kill(&mut client, target).await?,
                Command::Rename { target, new_name } => {
                    commands::rename(&mut client, target, new_name).await?
                }
                Command::Capture {
                    target,
                    scrollback,
                    ansi,
                } => commands::capture(&mut client, target, scrollback, ansi).await?,
                Command::Send {
                    target,
                    literal,
                    keys,
                } => commands::send(&mut client, target, literal, &keys).await?,
                Command::Blocks {
                    target,
                    watch: true,
                    ..
                } => blocks::watch(&mut client, target).await?,
                Command::Blocks { target, json, .. } => {
                    blocks::list(&mut client, target, json).await?
                }
                Command::Block { target, id, ansi } => {
                    blocks::output(&mut client, target, &id, ansi).await?
                }
                Command::New(_)
                | Command::Attach(_)
                | Command::Share(_)
                | Command::Access(_)
                | Command::Completions(_)
                | Command::Man(_) => unreachable!("handled above"),
            }
            return Ok(ExitCode::SUCCESS);
        }
    };
    println!("{}", outcome.message());
    Ok(if outcome.is_error() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn terminal_size() -> Option<(u16, u16)> {
    crossterm::terminal::size()
        .ok()
        .filter(|&(c, r)| c > 0 && r > 0)
}
