//! The command line of sharing: `share`, `share ls|stop|audit`, `access`.

use clap::{ArgGroup, Args, Subcommand, ValueEnum};
use wrapd_proto::pb;

/// `wrapd-attach share …`
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ShareArgs {
    #[command(subcommand)]
    pub command: Option<ShareCommand>,
    #[command(flatten)]
    pub start: StartArgs,
}

#[derive(Debug, Subcommand)]
pub enum ShareCommand {
    /// Stop sharing: every collaborator is cut off, every link and
    /// certificate of the share stops working.
    Stop {
        /// The session [default: this one, else the most recent].
        #[arg(
            short = 't',
            long = "target",
            value_name = "NAME",
            conflicts_with = "all"
        )]
        target: Option<String>,
        /// Stop every share.
        #[arg(long)]
        all: bool,
    },
    /// List shares with their participants and pending requests for control.
    Ls {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a share's audit log: who joined, typed, was granted or removed.
    Audit {
        /// The session (name or id) or share id.
        #[arg(short = 't', long = "target", value_name = "NAME")]
        target: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `wrapd-attach share [-t NAME] …`: share a session, or change its share.
#[derive(Debug, Args, Default)]
#[command(group(ArgGroup::new("start").args(["scrollback", "no_scrollback", "from_block"])))]
pub struct StartArgs {
    /// The session [default: this one, else the most recent].
    #[arg(short = 't', long = "target", value_name = "NAME")]
    pub target: Option<String>,
    /// Share a new session (named with -t if given).
    #[arg(long)]
    pub new: bool,
    /// Collaborators see the whole history too.
    #[arg(long)]
    pub scrollback: bool,
    /// Collaborators see the current screen on, no history (the default).
    #[arg(long)]
    pub no_scrollback: bool,
    /// Collaborators see from this block (command) onward: nothing before it.
    #[arg(long, value_name = "ID")]
    pub from_block: Option<u64>,
    /// Invite someone by email (a link bound to them); `:editor` lets them type.
    #[arg(long, value_name = "EMAIL[:editor]", value_parser = parse_invite)]
    pub invite: Vec<Invite>,
    /// Anyone with the link may join, with this role [default: viewer, unless
    /// --invite or --team is given].
    #[arg(long, value_name = "ROLE")]
    pub link: Option<RoleArg>,
    /// Anyone holding an identity from the configured team CA may join.
    #[arg(long, value_name = "ROLE")]
    pub team: Option<RoleArg>,
    /// Put `via=DEST` in the links: joiners go through `ssh -W` on DEST.
    #[arg(long, value_name = "DEST")]
    pub via: Option<String>,
    /// The host:port to put in the links [default: the daemon's listen address].
    #[arg(long, value_name = "HOST:PORT")]
    pub host: Option<String>,
    /// Print JSON (the share, its links and participants).
    #[arg(long)]
    pub json: bool,
}

/// `wrapd-attach access -t NAME (--invite E|--grant-edit E|…)`
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("change").required(true).args([
    "invite", "grant_edit", "revoke_edit", "remove", "allow_control", "deny_control", "link", "team"
])))]
pub struct AccessArgs {
    /// The shared session (name or id) or the share id.
    #[arg(short = 't', long = "target", value_name = "NAME")]
    pub target: String,
    /// Invite someone by email; prints their link.
    #[arg(long, value_name = "EMAIL[:editor]", value_parser = parse_invite)]
    pub invite: Option<Invite>,
    /// Let a collaborator type (email or participant id).
    #[arg(long, value_name = "EMAIL")]
    pub grant_edit: Option<String>,
    /// Make a collaborator a viewer again, at once.
    #[arg(long, value_name = "EMAIL")]
    pub revoke_edit: Option<String>,
    /// Remove a collaborator: their stream is closed and their certificate refused.
    #[arg(long, value_name = "EMAIL")]
    pub remove: Option<String>,
    /// Grant a pending request for control.
    #[arg(long, value_name = "EMAIL")]
    pub allow_control: Option<String>,
    /// Deny a pending request for control.
    #[arg(long, value_name = "EMAIL")]
    pub deny_control: Option<String>,
    /// Anyone with the link: viewer, editor or off.
    #[arg(long, value_name = "ROLE")]
    pub link: Option<RoleArg>,
    /// Team members: viewer, editor or off.
    #[arg(long, value_name = "ROLE")]
    pub team: Option<RoleArg>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    Viewer,
    Editor,
    Off,
}

impl RoleArg {
    pub fn role(self) -> pb::Role {
        match self {
            RoleArg::Viewer => pb::Role::Viewer,
            RoleArg::Editor => pb::Role::Editor,
            RoleArg::Off => pb::Role::Unspecified,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    pub email: String,
    pub editor: bool,
}

impl Invite {
    pub fn to_pb(&self) -> pb::Invite {
        let role = if self.editor {
            pb::Role::Editor
        } else {
            pb::Role::Viewer
        };
        pb::Invite {
            email: self.email.clone(),
            role: role as i32,
        }
    }
}

/// `EMAIL`, `EMAIL:viewer` or `EMAIL:editor`.
fn parse_invite(s: &str) -> Result<Invite, String> {
    let (email, role) = match s.rsplit_once(':') {
        Some((e, r)) => (e, Some(r)),
        None => (s, None),
    };
    let editor = match role {
        None | Some("viewer") => false,
        Some("editor") => true,
        Some(r) => {
            return Err(format!(
                "`{r}` is not a role: use EMAIL, EMAIL:viewer or EMAIL:editor"
            ));
        }
    };
    let plausible = email.split_once('@').is_some_and(|(u, h)| {
        !u.is_empty() && h.contains('.') && !email.contains(char::is_whitespace)
    });
    if !plausible {
        return Err(format!("`{email}` is not an email address"));
    }
    Ok(Invite {
        email: email.to_owned(),
        editor,
    })
}

impl StartArgs {
    pub fn share_start(&self) -> Option<pb::ShareStart> {
        use pb::share_start::From;
        let from = if self.no_scrollback {
            From::NoScrollback(true)
        } else if let Some(id) = self.from_block {
            From::BlockId(id)
        } else if self.scrollback {
            From::Scrollback(true)
        } else {
            return None;
        };
        Some(pb::ShareStart { from: Some(from) })
    }

    /// The link for anyone: as asked, else viewer when nobody else is named.
    pub fn link_role(&self) -> pb::Role {
        match self.link {
            Some(r) => r.role(),
            None if self.invite.is_empty() && self.team.is_none() => pb::Role::Viewer,
            None => pb::Role::Unspecified,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("wrapd-attach").chain(args.iter().copied()))
    }

    fn share(args: &[&str]) -> ShareArgs {
        match parse(args).unwrap().command {
            Some(Command::Share(s)) => s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn share_parses_its_options() {
        let s = share(&[
            "share",
            "-t",
            "work",
            "--from-block",
            "7",
            "--invite",
            "ada@example.org:editor",
            "--invite",
            "bob@example.org",
            "--team",
            "viewer",
            "--json",
        ]);
        assert!(s.command.is_none());
        let a = s.start;
        assert_eq!(a.target.as_deref(), Some("work"));
        assert_eq!(
            a.share_start().unwrap().from,
            Some(pb::share_start::From::BlockId(7))
        );
        assert_eq!(a.invite[0].to_pb().role(), pb::Role::Editor);
        assert_eq!(a.invite[1].to_pb().role(), pb::Role::Viewer);
        assert_eq!(a.link_role(), pb::Role::Unspecified);
        assert_eq!(a.team, Some(RoleArg::Viewer));
        assert!(a.json);
        // Alone, a share gets a viewer link.
        assert_eq!(share(&["share"]).start.link_role(), pb::Role::Viewer);
        assert_eq!(share(&["share"]).start.share_start(), None);
        assert_eq!(
            share(&["share", "--link", "off", "--team", "editor"])
                .start
                .link_role(),
            pb::Role::Unspecified
        );
    }

    #[test]
    fn share_refuses_nonsense() {
        for bad in [
            &["share", "--scrollback", "--no-scrollback"][..],
            &["share", "--invite", "nobody"],
            &["share", "--invite", "ada@example.org:owner"],
            &["share", "--link", "admin"],
            &["share", "stop", "-t", "x", "--all"],
            &["access", "-t", "x"],
            &[
                "access",
                "-t",
                "x",
                "--remove",
                "a@b.c",
                "--grant-edit",
                "a@b.c",
            ],
            &["--name", "Ada"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn share_subcommands_and_access_parse() {
        assert!(matches!(
            share(&["share", "stop", "--all"]).command,
            Some(ShareCommand::Stop { all: true, .. })
        ));
        assert!(matches!(
            share(&["share", "ls", "--json"]).command,
            Some(ShareCommand::Ls { json: true })
        ));
        assert!(matches!(
            share(&["share", "audit", "-t", "w"]).command,
            Some(ShareCommand::Audit { .. })
        ));
        let Some(Command::Access(a)) = parse(&["access", "-t", "w", "--grant-edit", "ada@x.org"])
            .unwrap()
            .command
        else {
            panic!()
        };
        assert_eq!(a.grant_edit.as_deref(), Some("ada@x.org"));
        let cli = parse(&[
            "wrapd://h:1/s/x?ca=sha256:00",
            "--name",
            "Ada",
            "--via",
            "me@box",
            "-r",
        ])
        .unwrap();
        assert_eq!(cli.name.as_deref(), Some("Ada"));
        assert_eq!(cli.via.as_deref(), Some("me@box"));
        assert!(cli.read_only);
    }
}
