//! Shell integration the user does not have to install.
//!
//! When a session's program is bash, zsh or fish (with no arguments), the
//! daemon makes the shell load a script of ours that first runs the user's
//! own startup files and then adds the marks the block segmenter reads
//! (OSC 133 / 633 E / 7). Nothing in the user's dotfiles changes, and the
//! variables we bend are put back by the script before the user's files run:
//! - bash: `bash --posix` with `ENV` pointing at our script (read instead of
//!   any startup file; the script ends POSIX mode and reads the user's files
//!   as a login or non-login shell would). `ENV` is restored.
//! - zsh: `ZDOTDIR` pointing at our `.zshenv`, which restores the user's
//!   `ZDOTDIR` so zsh goes on with the user's own files.
//! - fish: our directory first in `XDG_DATA_DIRS`, with `vendor_conf.d`;
//!   `XDG_DATA_DIRS` is restored, and our directory taken out of the paths
//!   fish built from it. When the user has no `XDG_DATA_DIRS`, fish looks
//!   only in its own data directory, so that one follows ours (not the XDG
//!   default, which would add `/usr/local/share/fish`'s vendor files).
//!
//! The scripts are written at daemon start into a private directory (0700,
//! files 0600) next to the socket.
//!
//! bash sends its directory with each command's start (`C;cwd=`) instead of
//! OSC 7, and runs nothing of ours at a prompt; when its prompt loses the
//! marks, the session asks it to mark again with a signal ([`process`]).

use std::ffi::OsString;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use wrapd_common::paths;

pub mod process;

const BASH: &str = include_str!("bash.sh");
const ZSHENV: &str = include_str!("zshenv.zsh");
const ZSH: &str = include_str!("wrapd.zsh");
const FISH: &str = include_str!("wrapd.fish");

/// The XDG default for `XDG_DATA_DIRS`, for a fish whose own data
/// directory cannot be found.
const XDG_DATA_DIRS_DEFAULT: &str = "/usr/local/share:/usr/share";

/// The shells we integrate with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

impl Shell {
    /// The shell a command line runs, if it is a bare interactive shell we
    /// know (a shell with arguments may be running a script: left alone).
    pub fn of(argv: &[String]) -> Option<Shell> {
        let [program] = argv else { return None };
        let base = program.rsplit('/').next().unwrap_or(program);
        match base.trim_start_matches('-') {
            "bash" => Some(Shell::Bash),
            "zsh" => Some(Shell::Zsh),
            "fish" => Some(Shell::Fish),
            _ => None,
        }
    }
}

/// The installed scripts.
#[derive(Debug, Clone)]
pub struct ShellIntegration {
    dir: PathBuf,
}

impl ShellIntegration {
    /// Write the scripts into `dir` (created 0700; files 0600, replaced).
    pub fn install(dir: &Path) -> io::Result<ShellIntegration> {
        for (path, text) in [
            ("bash/wrapd.bash", BASH),
            ("zsh/.zshenv", ZSHENV),
            ("zsh/wrapd.zsh", ZSH),
            ("fish/fish/vendor_conf.d/wrapd.fish", FISH),
        ] {
            let path = dir.join(path);
            let parent = path.parent().expect("has a directory");
            paths::ensure_private_dir(parent)?;
            write_private(&path, text)?;
        }
        Ok(ShellIntegration {
            dir: dir.to_owned(),
        })
    }

    /// Set up `argv` and `env` so that the shell loads our script. Returns
    /// the shell, or `None` (nothing changed) when the program is not one.
    pub fn inject(
        &self,
        argv: &mut Vec<String>,
        env: &mut Vec<(OsString, OsString)>,
    ) -> Option<Shell> {
        let shell = Shell::of(argv)?;
        let mut bend = |var: &str, value: OsString| {
            let orig = env
                .iter()
                .position(|(k, _)| k == var)
                .map(|i| env.remove(i).1);
            let saved = format!("WRAPD_ORIG_{var}");
            env.retain(|(k, _)| k != saved.as_str());
            if let Some(orig) = &orig {
                env.push((saved.into(), orig.clone()));
            }
            env.push((var.into(), value));
            orig
        };
        match shell {
            Shell::Bash => {
                bend("ENV", self.dir.join("bash/wrapd.bash").into());
                argv.push("--posix".to_owned());
            }
            Shell::Zsh => {
                bend("ZDOTDIR", self.dir.join("zsh").into());
            }
            Shell::Fish => {
                let ours = self.dir.join("fish").into_os_string();
                let orig = bend("XDG_DATA_DIRS", ours.clone());
                let mut value = ours;
                value.push(":");
                value.push(orig.unwrap_or_else(|| {
                    let path = env.iter().rev().find(|(k, _)| k == "PATH").map(|(_, v)| v);
                    fish_data_parent(&argv[0], path)
                        .map_or_else(|| XDG_DATA_DIRS_DEFAULT.into(), PathBuf::into_os_string)
                }));
                env.retain(|(k, _)| k != "XDG_DATA_DIRS");
                env.push(("XDG_DATA_DIRS".into(), value));
            }
        }
        Some(shell)
    }
}

/// The directory holding fish's own data directory (`/usr/share` for
/// `/usr/bin/fish`, whose data is in `/usr/share/fish`): fish installed as
/// `PREFIX/bin/fish` keeps it in `PREFIX/share/fish`. `program` is looked up
/// in `path` when it names no directory.
fn fish_data_parent(program: &str, path: Option<&OsString>) -> Option<PathBuf> {
    let exe = if program.contains('/') {
        PathBuf::from(program)
    } else {
        std::env::split_paths(path?)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())?
    };
    let share = exe.canonicalize().ok()?.parent()?.parent()?.join("share");
    share.join("fish").is_dir().then_some(share)
}

fn write_private(path: &Path, text: &str) -> io::Result<()> {
    // Replace rather than rewrite in place: a shell may be reading the old one.
    let tmp = path.with_extension("tmp");
    let _ = fs::remove_file(&tmp);
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(text.as_bytes())?;
    drop(f);
    fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    fn argv(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    fn get<'a>(env: &'a [(OsString, OsString)], k: &str) -> Option<&'a str> {
        env.iter()
            .rev()
            .find(|(ek, _)| ek == k)
            .and_then(|(_, v)| v.to_str())
    }

    #[test]
    fn bare_shells_only() {
        assert_eq!(Shell::of(&argv(&["/bin/bash"])), Some(Shell::Bash));
        assert_eq!(Shell::of(&argv(&["zsh"])), Some(Shell::Zsh));
        assert_eq!(Shell::of(&argv(&["/usr/bin/fish"])), Some(Shell::Fish));
        assert_eq!(Shell::of(&argv(&["bash", "-c", "ls"])), None);
        assert_eq!(Shell::of(&argv(&["/bin/sh"])), None);
        assert_eq!(Shell::of(&argv(&["vim"])), None);
    }

    #[test]
    fn install_is_private_and_injection_keeps_the_users_values() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("shell");
        let si = ShellIntegration::install(&dir).unwrap();
        let bash = dir.join("bash/wrapd.bash");
        assert_eq!(fs::metadata(&bash).unwrap().mode() & 0o777, 0o600);
        assert_eq!(fs::metadata(dir.join("zsh")).unwrap().mode() & 0o777, 0o700);
        // Installing again (a restarted daemon) replaces the files.
        ShellIntegration::install(&dir).unwrap();

        let mut a = argv(&["/bin/bash"]);
        let mut env = vec![("ENV".into(), "/home/u/.shrc".into())];
        assert_eq!(si.inject(&mut a, &mut env), Some(Shell::Bash));
        assert_eq!(a, argv(&["/bin/bash", "--posix"]));
        assert_eq!(get(&env, "ENV"), bash.to_str());
        assert_eq!(get(&env, "WRAPD_ORIG_ENV"), Some("/home/u/.shrc"));

        let mut a = argv(&["zsh"]);
        let mut env = vec![];
        si.inject(&mut a, &mut env);
        assert_eq!(get(&env, "ZDOTDIR"), dir.join("zsh").to_str());
        assert_eq!(get(&env, "WRAPD_ORIG_ZDOTDIR"), None, "unset stays unset");

        let mut a = argv(&["fish"]);
        let mut env = vec![("XDG_DATA_DIRS".into(), "/opt/share".into())];
        si.inject(&mut a, &mut env);
        let want = format!("{}:/opt/share", dir.join("fish").display());
        assert_eq!(get(&env, "XDG_DATA_DIRS"), Some(want.as_str()));
        assert_eq!(get(&env, "WRAPD_ORIG_XDG_DATA_DIRS"), Some("/opt/share"));

        // Without XDG_DATA_DIRS: ours, then the data directory of this fish.
        let prefix = tmp.path().join("opt");
        fs::create_dir_all(prefix.join("bin")).unwrap();
        fs::create_dir_all(prefix.join("share/fish")).unwrap();
        fs::write(prefix.join("bin/fish"), "").unwrap();
        let mut a = argv(&["fish"]);
        let mut env = vec![("PATH".into(), prefix.join("bin").into())];
        si.inject(&mut a, &mut env);
        let want = format!(
            "{}:{}",
            dir.join("fish").display(),
            prefix.join("share").display()
        );
        assert_eq!(get(&env, "XDG_DATA_DIRS"), Some(want.as_str()));
        assert_eq!(
            get(&env, "WRAPD_ORIG_XDG_DATA_DIRS"),
            None,
            "unset stays unset"
        );
        // A fish with no data directory beside it: the XDG default.
        fs::remove_dir(prefix.join("share/fish")).unwrap();
        let mut a = argv(&[prefix.join("bin/fish").to_str().unwrap()]);
        let mut env = vec![];
        si.inject(&mut a, &mut env);
        let want = format!("{}:{XDG_DATA_DIRS_DEFAULT}", dir.join("fish").display());
        assert_eq!(get(&env, "XDG_DATA_DIRS"), Some(want.as_str()));

        let mut a = argv(&["bash", "-c", "true"]);
        let mut env = vec![];
        assert_eq!(si.inject(&mut a, &mut env), None);
        assert!(env.is_empty());
    }
}
