//! Shell completions and man pages, made from a program's clap command: the
//! same definitions as its `--help`, so they never disagree. Both programs
//! (wrapd-muxd and wrapd-attach) offer `completions SHELL` and `man`.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Command};
pub use clap_complete::Shell;

/// `completions SHELL`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in: bash, zsh, fish, elvish or powershell.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: Shell,
}

/// `man [--dir DIR]`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write every page (the program's and one per command, such as
    /// PROGRAM-share.1) into this directory, e.g. ~/.local/share/man/man1,
    /// instead of printing the program's page.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// The completion script of `cmd` for `shell`.
pub fn completions(mut cmd: Command, shell: Shell) -> Vec<u8> {
    let name = cmd.get_name().to_owned();
    let mut script = Vec::new();
    // (Into a Vec: clap_complete panics on a failed write.)
    clap_complete::generate(shell, &mut cmd, &name, &mut script);
    if shell == Shell::Bash && name.contains('-') {
        // clap_complete 4.6 spells a command's state in bash two ways when
        // the program's name has a hyphen (clap-rs/clap#6421), so nothing
        // after the first word completes: `wrapd-attach share --<TAB>`. Its
        // loop writes `wrapd__attach__subcmd__share`, its cases
        // `wrapd__subcmd__attach__subcmd__share`: spell the cases as the loop.
        let text = String::from_utf8_lossy(&script)
            .replace(&name.replace('-', "__subcmd__"), &name.replace('-', "__"));
        script = text.into_bytes();
    }
    script
}

/// The man page of `cmd` itself (roff, section 1).
pub fn man_page(cmd: Command) -> io::Result<Vec<u8>> {
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut page)?;
    Ok(page)
}

/// Write the man pages of `cmd` and of each of its commands (nested ones
/// too: `PROGRAM-share-ls.1`) into `dir`, made if missing; the files written.
pub fn write_man_pages(cmd: Command, dir: &Path) -> io::Result<Vec<PathBuf>> {
    /// `source`: the program and its version, at the foot of each page.
    fn write_all(
        cmd: Command,
        source: &str,
        dir: &Path,
        written: &mut Vec<PathBuf>,
    ) -> io::Result<()> {
        let man = clap_mangen::Man::new(cmd.clone()).source(source);
        written.push(man.generate_to(dir)?);
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            write_all(sub.clone(), source, dir, written)?;
        }
        Ok(())
    }
    std::fs::create_dir_all(dir)?;
    // Built, the commands know their full names (`wrapd-attach share ls`);
    // `help` is no command of its own in a manual.
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    let source = format!(
        "{} {}",
        cmd.get_name(),
        cmd.get_version().unwrap_or_default()
    );
    let mut written = Vec::new();
    write_all(cmd, &source, dir, &mut written)?;
    Ok(written)
}

/// Print `bytes` on stdout; a reader that stopped early (`| head`) is no error.
pub fn print(bytes: &[u8]) -> io::Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Run `completions` or `man` for `cmd` (what both programs do).
pub fn run_completions(cmd: Command, args: &CompletionsArgs) -> io::Result<()> {
    print(&completions(cmd, args.shell))
}

/// Print the program's man page, or with `--dir` write all of them and
/// name each file written.
pub fn run_man(cmd: Command, args: &ManArgs) -> io::Result<()> {
    match &args.dir {
        None => print(&man_page(cmd)?),
        Some(dir) => {
            let written = write_man_pages(cmd, dir).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("writing man pages into {}: {e}", dir.display()),
                )
            })?;
            let mut list = String::new();
            for path in written {
                list.push_str(&format!("wrote {}\n", path.display()));
            }
            print(list.as_bytes())
        }
    }
}

/// The arguments of `cmd` and its commands that have no description, as
/// `PROGRAM COMMAND <ARG>` (`--help`, the man pages and the completions
/// would show them bare).
pub fn undescribed_arguments(cmd: &Command) -> Vec<String> {
    fn walk(cmd: &Command, path: &str, missing: &mut Vec<String>) {
        for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
            if arg.get_help().is_none() && arg.get_long_help().is_none() {
                let name = match arg.get_long() {
                    Some(long) => format!("--{long}"),
                    None => format!("<{}>", arg.get_id()),
                };
                missing.push(format!("{path} {name}"));
            }
        }
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            walk(sub, &format!("{path} {}", sub.get_name()), missing);
        }
    }
    let mut missing = Vec::new();
    walk(cmd, cmd.get_name(), &mut missing);
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> Command {
        Command::new("prog")
            .about("A program.")
            .subcommand(
                Command::new("share")
                    .about("Share things.")
                    .subcommand(Command::new("ls").about("List shares."))
                    .arg(clap::Arg::new("what").help("What to share.")),
            )
            .subcommand(Command::new("kill").arg(clap::Arg::new("target").long("target")))
    }

    #[test]
    fn pages_for_every_command_and_arguments_without_words_named() {
        let dir = tempfile::tempdir().unwrap();
        let written = write_man_pages(example(), &dir.path().join("man1")).unwrap();
        let names: Vec<String> = written
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            ["prog.1", "prog-share.1", "prog-share-ls.1", "prog-kill.1"]
        );
        let share = std::fs::read_to_string(&written[1]).unwrap();
        assert!(share.contains("What to share."), "{share}");
        assert_eq!(undescribed_arguments(&example()), ["prog kill --target"]);
        let bash = String::from_utf8(completions(example(), Shell::Bash)).unwrap();
        assert!(bash.contains("complete -F _prog"), "{bash}");
    }
}
