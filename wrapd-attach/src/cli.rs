//! The command line: `wrapd-attach [COMMAND]`.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Args, CommandFactory, Parser, Subcommand};

/// Attach to, create and script wrapd terminal sessions.
///
/// With no command, attaches to the most recently used session, or creates one
/// (starting the wrapd-muxd daemon if it is not running).
#[derive(Debug, Parser)]
#[command(version, about, long_about)]
pub struct Cli {
    /// The daemon's socket [default: $WRAPD_SOCKET, $XDG_RUNTIME_DIR/wrapd/muxd.sock or /tmp/wrapd-$UID/muxd.sock].
    #[arg(long, global = true, value_name = "PATH")]
    pub socket: Option<PathBuf>,

    /// Attach elsewhere: `ssh://[user@]host[:port][/session]` attaches to your
    /// own session on another machine through ssh (~/.ssh/config applies;
    /// wrapd-muxd must be on the remote PATH). The session is created if missing.
    ///
    /// `wrapd://…` joins a session someone shared with you (their link).
    #[arg(value_name = "URL")]
    pub url: Option<String>,

    /// Joining a share: how the others see your name [default: config
    /// `[identity] name`, else your login name].
    #[arg(long, value_name = "NAME", requires = "url")]
    pub name: Option<String>,
    /// Joining a share: your email [default: config `[identity] email`,
    /// else LOGIN@HOST]. An email invitation fixes it.
    #[arg(long, value_name = "EMAIL", requires = "url")]
    pub email: Option<String>,
    /// Joining a share: reach its daemon through `ssh -W` on this host
    /// ([user@]host[:port]) instead of directly (overrides the link's `via=`).
    #[arg(long, value_name = "DEST", requires = "url")]
    pub via: Option<String>,
    /// Joining a share: watch only, never type or resize.
    #[arg(short = 'r', long, requires = "url")]
    pub read_only: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    /// Parse a command line (the program's name first). A first word that is
    /// neither a command nor shaped like a URL (`scheme:…`) is a mistyped
    /// command: clap's error for an unknown command, with its "a similar
    /// subcommand exists" tip, rather than an attempt to reach it as an
    /// address.
    pub fn parse_args<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let cli = Cli::try_parse_from(args)?;
        match cli.url.as_deref() {
            Some(word) if !looks_like_url(word) => Err(unknown_command(word)),
            _ => Ok(cli),
        }
    }
}

/// Whether `s` starts with a URL scheme and a colon (`ssh:`, `wrapd:`).
fn looks_like_url(s: &str) -> bool {
    let Some((scheme, _)) = s.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
}

/// clap's own error for `word` given as a command: what it says for the
/// commands alone (no URL argument to take the word), with the whole usage.
fn unknown_command(word: &str) -> clap::Error {
    // (Rendering builds the command, adding `help`: the commands come from
    // an unbuilt one.)
    let usage = Cli::command().render_usage().to_string();
    let mut commands = clap::Command::new("wrapd-attach")
        .override_usage(usage.trim_start_matches("Usage: ").to_owned())
        .subcommands(Cli::command().get_subcommands().cloned());
    match commands.try_get_matches_from_mut(["wrapd-attach", word]) {
        Err(mut e) => {
            // Shaped like a host (no command has `.` or `@`): the scheme
            // left out, perhaps.
            if word.contains(['.', '@']) {
                let tip = format!("to attach on another machine, give a URL: 'ssh://{word}'");
                e.insert(
                    ContextKind::Suggested,
                    ContextValue::StyledStrs(vec![tip.into()]),
                );
            }
            e
        }
        // A command's name after `--`.
        Ok(_) => commands.error(
            ErrorKind::InvalidValue,
            format!("`{word}` is not a URL (ssh://… or wrapd://…)"),
        ),
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a session and attach to it (or not, with -d).
    #[command(visible_alias = "new-session")]
    New(NewArgs),
    /// Attach to a session.
    #[command(visible_alias = "a")]
    Attach(AttachArgs),
    /// List sessions.
    #[command(visible_alias = "list-sessions")]
    Ls {
        /// Print a JSON array (fields: name, id, command, pid, cols, rows,
        /// clients, history_lines, created_at, ...).
        #[arg(long)]
        json: bool,
    },
    /// Kill a session: its program gets SIGHUP, as when a terminal closes.
    #[command(visible_alias = "kill-session")]
    Kill {
        /// The session (name or id).
        #[arg(short = 't', long = "target", value_name = "NAME")]
        target: String,
    },
    /// Rename a session.
    #[command(visible_alias = "rename-session")]
    Rename {
        /// The session to rename [default: the most recent].
        #[arg(short = 't', long = "target", value_name = "OLD")]
        target: Option<String>,
        /// Its new name.
        new_name: String,
    },
    /// Print a session's screen (like `tmux capture-pane -p`).
    #[command(visible_alias = "capture-pane")]
    Capture {
        /// The session [default: the most recent].
        #[arg(short = 't', long = "target", value_name = "NAME")]
        target: Option<String>,
        /// Include the whole scrollback before the screen.
        #[arg(long, short = 'S')]
        scrollback: bool,
        /// Keep colours and attributes as escape sequences.
        #[arg(long, short = 'e')]
        ansi: bool,
    },
    /// Type into a session (like `tmux send-keys`): words that name keys
    /// (Enter, C-c, Up, F5, M-x, ...) are keys, other words are typed as text.
    #[command(visible_alias = "send-keys")]
    Send {
        /// The session [default: the most recent].
        #[arg(short = 't', long = "target", value_name = "NAME")]
        target: Option<String>,
        /// Type every word literally, never as a key name.
        #[arg(short = 'l', long)]
        literal: bool,
        /// Keys and text.
        #[arg(required = true, allow_hyphen_values = true)]
        keys: Vec<String>,
    },
    /// List a session's blocks: the commands its shell ran, with exit status
    /// and duration (bash, zsh and fish report them; see `new --no-shell-integration`).
    Blocks {
        /// The session [default: the most recent].
        #[arg(short = 't', long = "target", value_name = "NAME")]
        target: Option<String>,
        /// Print a JSON array (fields: id, command, state, exit_code (null
        /// unless finished), cwd, started_at, duration_ms (null while running), ...).
        #[arg(long)]
        json: bool,
        /// Instead, print blocks as they start and finish, one JSON object a
        /// line (with `event`: `started` or `finished`), until the session ends.
        #[arg(long, conflicts_with = "json")]
        watch: bool,
    },
    /// Share a session with other people: prints the link(s) to give them.
    /// `share ls`, `share stop` and `share audit` manage shares.
    Share(crate::share::cli::ShareArgs),
    /// Change who may do what in a shared session.
    Access(crate::share::cli::AccessArgs),
    /// Print what one block (command) printed.
    Block {
        /// The session [default: the most recent].
        #[arg(short = 't', long = "target", value_name = "NAME")]
        target: Option<String>,
        /// The block's id (see `blocks`), or `last`.
        id: String,
        /// Keep colours and attributes as escape sequences.
        #[arg(long, short = 'e')]
        ansi: bool,
    },
    /// Print a shell completion script: `wrapd-attach completions bash`
    /// (the README says where each shell looks for them).
    Completions(wrapd_common::cli_docs::CompletionsArgs),
    /// Print the man page, or write all of them with --dir.
    Man(wrapd_common::cli_docs::ManArgs),
}

#[derive(Debug, Args, Default)]
pub struct NewArgs {
    /// The session's name [default: the lowest free number].
    #[arg(short = 's', long = "session-name", value_name = "NAME")]
    pub name: Option<String>,
    /// Do not attach: create the session in the background.
    #[arg(short = 'd', long)]
    pub detached: bool,
    /// Width [default: this terminal's, or 80 with -d].
    #[arg(short = 'x', long, value_name = "COLS")]
    pub cols: Option<u16>,
    /// Height [default: this terminal's, or 24 with -d].
    #[arg(short = 'y', long, value_name = "ROWS")]
    pub rows: Option<u16>,
    /// Working directory [default: the current one].
    #[arg(short = 'c', long, value_name = "DIR")]
    pub cwd: Option<PathBuf>,
    /// Keep the session after its program exits (like tmux's remain-on-exit).
    #[arg(long)]
    pub remain_on_exit: bool,
    /// Do not inject shell integration into bash, zsh or fish (the session
    /// then has no blocks).
    #[arg(long)]
    pub no_shell_integration: bool,
    /// The program to run [default: your $SHELL].
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

#[derive(Debug, Args, Default)]
pub struct AttachArgs {
    /// The session (name or id) [default: the most recent].
    #[arg(short = 't', long = "target", value_name = "NAME")]
    pub target: Option<String>,
    /// Read-only: never type into the session or resize it.
    #[arg(short = 'r', long)]
    pub read_only: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::parse_args(std::iter::once("wrapd-attach").chain(args.iter().copied()))
    }

    #[test]
    fn a_mistyped_command_is_clap_s_unknown_command_not_a_url() {
        let err = parse(&["lss"]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidSubcommand);
        let text = err.to_string();
        assert!(text.contains("unrecognized subcommand 'lss'"), "{text}");
        assert!(
            text.contains("similar subcommand") && text.contains("'ls'"),
            "{text}"
        );
        assert!(
            text.contains("Usage: wrapd-attach [OPTIONS] [URL] [COMMAND]"),
            "{text}"
        );
        assert!(!text.contains("ssh://"), "{text}");
        let err = parse(&["ada@box", "ls"]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidSubcommand, "{err}");
        assert!(
            err.to_string().contains("give a URL: 'ssh://ada@box'"),
            "{err}"
        );
        let err = parse(&["box.example.org"]).unwrap_err();
        assert!(err.to_string().contains("'ssh://box.example.org'"), "{err}");
        let err = parse(&["--", "ls"]).unwrap_err();
        assert!(err.to_string().contains("`ls` is not a URL"), "{err}");
    }

    #[test]
    fn every_argument_has_a_description() {
        Cli::command().debug_assert();
        assert_eq!(
            wrapd_common::cli_docs::undescribed_arguments(&Cli::command()),
            Vec::<String>::new()
        );
    }

    #[test]
    fn urls_are_urls() {
        for url in [
            "ssh://box/work",
            "wrapd://h:7443/s/x?ca=sha256:AB#S",
            "ssh:box",
        ] {
            assert_eq!(parse(&[url]).unwrap().url.as_deref(), Some(url));
        }
        assert!(matches!(
            parse(&["ls"]).unwrap().command,
            Some(Command::Ls { .. })
        ));
        for word in ["lss", "box", "/path", "1http:x", ":x"] {
            assert!(!looks_like_url(word), "{word}");
        }
    }
}
