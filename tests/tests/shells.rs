//! A session's shell is the shell you get outside wrapd. bash, zsh and fish,
//! each as a login shell (the default `new`) and as a plain one (`new --
//! SHELL`), started with and without shell integration: the same startup
//! files run, the options and history settings end up the same, and the
//! user's own history file is read at start (Up recalls from it in an
//! attached client, inside tmux) and written at exit, with the user's
//! settings (bash's `HISTCONTROL` and `histappend`, zsh's `SAVEHIST`).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use wrapd_e2e::{Daemon, Outer, TestEnv, require, wait_until};

/// A shell under test and a user's setup of it.
struct Shell {
    program: &'static str,
    /// The user's startup files (relative to HOME), each noting in `~/ran`
    /// that it ran; the prompt starts with `mine`.
    files: &'static [(&'static str, &'static str)],
    /// What `~/ran` holds after a login shell started, and after a plain one.
    ran_login: &'static str,
    ran_plain: &'static str,
    /// A command line that writes the shell's options and history settings
    /// and `~/ran` into `~/state-NAME`, and removes `~/ran`.
    dump: &'static str,
    /// The history file (relative to HOME) with one command in it before
    /// wrapd starts, `echo from-before-wrapd`.
    history: &'static str,
    history_before: &'static str,
}

const BASH: Shell = Shell {
    program: "bash",
    files: &[
        (
            ".bash_profile",
            "echo .bash_profile >> ~/ran\n. ~/.bashrc\n",
        ),
        (
            ".bashrc",
            "echo .bashrc >> ~/ran\nPS1='mine$ '\nHISTSIZE=1234\nHISTFILESIZE=2345\n\
             HISTCONTROL=ignorespace\nshopt -s histappend\nalias greet='echo hello'\n",
        ),
    ],
    ran_login: ".bash_profile\n.bashrc\n",
    ran_plain: ".bashrc\n",
    dump: "{ echo \"$0 $-\"; shopt -p; set +o; alias; trap -p; \
           declare -p HISTFILE HISTSIZE HISTFILESIZE HISTCONTROL MAILCHECK; cat ~/ran; } \
           >~/.partial 2>&1; rm ~/ran; mv ~/.partial ~/state-NAME",
    history: ".bash_history",
    history_before: "echo from-before-wrapd\n",
};

const ZSH: Shell = Shell {
    program: "zsh",
    files: &[
        (".zshenv", "echo .zshenv >> ~/ran\n"),
        (".zprofile", "echo .zprofile >> ~/ran\n"),
        (
            ".zshrc",
            "echo .zshrc >> ~/ran\nPROMPT='mine%% '\nHISTFILE=~/.zsh_history\nHISTSIZE=100\n\
             SAVEHIST=100\nsetopt hist_ignore_space\nalias greet='echo hello'\n",
        ),
        (".zlogin", "echo .zlogin >> ~/ran\n"),
    ],
    ran_login: ".zshenv\n.zprofile\n.zshrc\n.zlogin\n",
    ran_plain: ".zshenv\n.zshrc\n",
    dump: "{ echo \"$0 $-\"; setopt; alias; echo \"$HISTFILE $HISTSIZE $SAVEHIST ${ZDOTDIR-unset}\"; \
           cat ~/ran; } >~/.partial 2>&1; rm ~/ran; mv ~/.partial ~/state-NAME",
    history: ".zsh_history",
    history_before: "echo from-before-wrapd\n",
};

const FISH: Shell = Shell {
    program: "fish",
    // Relative to HOME: the test's XDG_CONFIG_HOME is HOME's sibling `config`.
    files: &[
        (
            "../config/fish/config.fish",
            "echo config.fish >> ~/ran\nfunction fish_prompt; echo -n 'mine> '; end\n\
             function fish_greeting; end\nalias greet='echo hello'\n",
        ),
        ("../config/fish/conf.d/mine.fish", "echo conf.d >> ~/ran\n"),
    ],
    ran_login: "conf.d\nconfig.fish\n",
    ran_plain: "conf.d\nconfig.fish\n",
    dump: "begin; status is-login; and echo login; status is-interactive; and echo interactive; \
           printf '%s\\n' $fish_function_path -- $fish_complete_path -- $__fish_vendor_confdirs; \
           set -q XDG_DATA_DIRS; and echo \"XDG_DATA_DIRS=$XDG_DATA_DIRS\"; cat ~/ran; end \
           >~/.partial 2>&1; rm ~/ran; mv ~/.partial ~/state-NAME",
    history: ".local/share/fish/fish_history",
    history_before: "- cmd: echo from-before-wrapd\n  when: 1700000000\n",
};

/// Where `program` is on the PATH.
fn which(program: &str) -> String {
    let out = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A test HOME with the user's files and history, whose login shell
/// (`$SHELL`, what `new` starts by default) is `shell`; `None` (the test
/// skips) when it is not installed.
fn user_env(shell: &Shell) -> Option<TestEnv> {
    if !require(shell.program) {
        return None;
    }
    let mut env = TestEnv::new();
    env.extra_vars
        .push(("SHELL".into(), which(shell.program).into()));
    let home = env.home();
    let _ = std::fs::remove_file(home.join(".bashrc"));
    let _ = std::fs::remove_file(home.join(".bash_profile"));
    for (path, text) in shell
        .files
        .iter()
        .chain([&(shell.history, shell.history_before)])
    {
        write(&home.join(path), text);
    }
    Some(env)
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn wait_for_prompt(env: &TestEnv, target: &str) {
    wait_until(
        &format!("the user's prompt in {target}"),
        || env.capture(target).contains("mine").then_some(()),
        || format!("{}\n{}", env.capture(target), env.log_tail()),
    );
}

fn type_line(env: &TestEnv, target: &str, line: &str) {
    env.ok(&["send", "-t", target, "-l", line]);
    env.ok(&["send", "-t", target, "Enter"]);
}

/// Start session `name` (a login shell or `new -- SHELL`, with or without
/// integration), dump its state, end it; the state.
fn state_of(env: &TestEnv, shell: &Shell, name: &str, login: bool, integration: bool) -> String {
    let mut args = vec!["new", "-d", "-s", name];
    if !integration {
        args.push("--no-shell-integration");
    }
    if !login {
        args.extend(["--", shell.program]);
    }
    env.ok(&args);
    wait_for_prompt(env, name);
    type_line(env, name, &shell.dump.replace("NAME", name));
    let path = env.home().join(format!("state-{name}"));
    let state = wait_until(
        &format!("{} to be written", path.display()),
        || std::fs::read_to_string(&path).ok(),
        || env.capture(name),
    );
    env.ok(&["kill", "-t", name]);
    state
}

/// The lines of a state that are ours (our functions, our trap): the only
/// difference allowed.
fn without_ours(state: &str) -> String {
    state
        .lines()
        .filter(|l| !l.contains("__wrapd"))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn same_as_without_wrapd(shell: &Shell) {
    let Some(env) = user_env(shell) else {
        return;
    };
    let _daemon = Daemon::start(&env);
    for (login, ran) in [(true, shell.ran_login), (false, shell.ran_plain)] {
        let kind = if login { "login" } else { "plain" };
        let outside = state_of(&env, shell, &format!("{kind}-outside"), login, false);
        let inside = state_of(&env, shell, &format!("{kind}-wrapd"), login, true);
        assert!(
            outside.ends_with(ran),
            "a {kind} {} without integration ran its files: {outside}",
            shell.program
        );
        assert_eq!(
            without_ours(&inside),
            without_ours(&outside),
            "a {kind} {} with integration (left) is the one without (right)",
            shell.program
        );
    }
}

#[test]
fn bash_is_the_bash_you_get_outside_wrapd() {
    same_as_without_wrapd(&BASH);
}

#[test]
fn zsh_is_the_zsh_you_get_outside_wrapd() {
    same_as_without_wrapd(&ZSH);
}

#[test]
fn fish_is_the_fish_you_get_outside_wrapd() {
    same_as_without_wrapd(&FISH);
}

/// Rows of the outer terminal that start with the user's prompt.
fn prompts(screen: &str) -> usize {
    screen.lines().filter(|l| l.starts_with("mine")).count()
}

fn history_is_the_users(shell: &Shell) {
    if !require("tmux") {
        return;
    }
    let Some(env) = user_env(shell) else {
        return;
    };
    let _daemon = Daemon::start(&env);
    let outer = Outer::start(&env.shell_line(&["new", "-s", "h"]), 80, 24);
    outer.wait_for("main", "the prompt", &env, |s| prompts(s) == 1);
    // The shell read the history file: Up recalls its last command.
    outer.keys("main", &["Up"]);
    outer.wait_for("main", "the command from before recalled", &env, |s| {
        s.lines()
            .any(|l| l.starts_with("mine") && l.contains("echo from-before-wrapd"))
    });
    outer.keys("main", &["Enter"]);
    outer.wait_for("main", "the recalled command's output", &env, |s| {
        s.lines().any(|l| l == "from-before-wrapd") && prompts(s) == 2
    });
    // Type each command at its prompt (typeahead before the prompt shows
    // would land in front of it).
    outer.run("main", "echo typed-in-wrapd");
    outer.wait_for("main", "the next prompt", &env, |s| prompts(s) == 3);
    outer.run("main", " echo left-out-of-history");
    outer.wait_for("main", "the next prompt", &env, |s| prompts(s) == 4);
    outer.run("main", "exit");
    outer.wait_exit("main", &env);

    let history = std::fs::read_to_string(env.home().join(shell.history)).unwrap_or_default();
    let lines: Vec<&str> = history.lines().collect();
    assert!(
        lines.iter().any(|l| l.ends_with("echo from-before-wrapd")),
        "{history}"
    );
    assert!(
        lines.iter().any(|l| l.ends_with("echo typed-in-wrapd")),
        "the command typed in wrapd reached the user's history file: {history}"
    );
    assert!(
        !history.contains("left-out-of-history"),
        "the user's setting left out a line starting with a space: {history}"
    );
}

#[test]
fn bash_history_is_the_users() {
    history_is_the_users(&BASH);
}

#[test]
fn zsh_history_is_the_users() {
    history_is_the_users(&ZSH);
}

#[test]
fn fish_history_is_the_users() {
    history_is_the_users(&FISH);
}

/// With `shopt -s histappend`, two bash sessions that end one after the
/// other both add to `~/.bash_history` (without it, the second would
/// overwrite the first's commands); nothing goes to POSIX's `~/.sh_history`.
#[test]
fn bash_sessions_append_to_the_history_with_histappend() {
    let Some(env) = user_env(&BASH) else {
        return;
    };
    let _daemon = Daemon::start(&env);
    for name in ["a", "b"] {
        env.ok(&["new", "-d", "-s", name]);
        wait_for_prompt(&env, name);
        type_line(&env, name, &format!("echo from-session-{name}"));
        wait_until(
            "the command's output",
            || {
                let screen = env.capture(name);
                screen
                    .lines()
                    .any(|l| l == format!("from-session-{name}"))
                    .then_some(())
            },
            || env.capture(name),
        );
    }
    for name in ["a", "b"] {
        type_line(&env, name, "exit");
        wait_until(
            &format!("session {name} to end"),
            || {
                let list: Value = serde_json::from_str(&env.ok(&["ls", "--json"])).unwrap();
                (!list.as_array().unwrap().iter().any(|s| s["name"] == name)).then_some(())
            },
            || env.capture(name),
        );
    }
    let home: PathBuf = env.home();
    let history = std::fs::read_to_string(home.join(".bash_history")).unwrap();
    assert_eq!(
        history,
        "echo from-before-wrapd\necho from-session-a\nexit\necho from-session-b\nexit\n"
    );
    assert!(!home.join(".sh_history").exists());
}
