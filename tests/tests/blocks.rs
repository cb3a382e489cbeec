//! Blocks end to end: real bash, zsh and fish in a test HOME with the user's
//! own startup files (a custom prompt and an alias), shell integration
//! injected by the daemon, commands typed with `send`, and the results read
//! back with `blocks --json`, `block ID` and `blocks --watch`.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;

use serde_json::Value;
use wrapd_e2e::{Daemon, TIMEOUT, TestEnv, require, wait_until};

/// A shell under test: how to start it, the user's files, and how it spells
/// a two-line loop.
struct Shell {
    name: &'static str,
    /// Extra `new` arguments (`--` and the program); empty: the default
    /// login shell ($SHELL, bash).
    command: &'static [&'static str],
    files: &'static [(&'static str, &'static str)],
    multi_line: &'static [&'static str],
}

const BASH: Shell = Shell {
    name: "bash",
    command: &[],
    files: &[
        (
            ".bashrc",
            "PS1='mine$ '\nHISTFILE=~/.my_history\nalias greet='echo hello-from-alias'\n",
        ),
        (".bash_profile", ". ~/.bashrc\n"),
    ],
    multi_line: &["for i in 1 2", "do echo line-$i; done"],
};

const ZSH: Shell = Shell {
    name: "zsh",
    command: &["--", "zsh"],
    files: &[(
        ".zshrc",
        "PROMPT='mine%% '\nHISTFILE=~/.my_history\nalias greet='echo hello-from-alias'\n",
    )],
    multi_line: &["for i in 1 2", "do echo line-$i; done"],
};

const FISH: Shell = Shell {
    name: "fish",
    command: &["--", "fish"],
    // Relative to HOME: the test's XDG_CONFIG_HOME is HOME's sibling `config`.
    files: &[(
        "../config/fish/config.fish",
        "function fish_prompt; echo -n 'mine> '; end\nfunction fish_greeting; end\n\
         alias greet='echo hello-from-alias'\n",
    )],
    multi_line: &["for i in 1 2", "echo line-$i", "end"],
};

fn blocks(env: &TestEnv, target: &str) -> Vec<Value> {
    let json: Value = serde_json::from_str(&env.ok(&["blocks", "-t", target, "--json"])).unwrap();
    json.as_array().unwrap().clone()
}

/// Each finished block's command line and exit status.
fn commands_and_exits(list: &[Value]) -> Vec<(&str, i64)> {
    list.iter()
        .map(|b| {
            (
                b["command"].as_str().unwrap(),
                b["exit_code"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// Type `lines` (each followed by Enter) and wait until the session has
/// `count` blocks and the last one is no longer running.
fn run(env: &TestEnv, target: &str, lines: &[&str], count: usize) -> Vec<Value> {
    for line in lines {
        // Literally: `end` would be the End key.
        env.ok(&["send", "-t", target, "-l", line]);
        env.ok(&["send", "-t", target, "Enter"]);
    }
    wait_for_blocks(env, target, count, |b| b["state"] != "running")
}

fn wait_for_blocks(
    env: &TestEnv,
    target: &str,
    count: usize,
    last: impl Fn(&Value) -> bool,
) -> Vec<Value> {
    wait_until(
        &format!("{count} blocks in {target}"),
        || {
            let list = blocks(env, target);
            (list.len() == count && last(list.last().unwrap())).then_some(list)
        },
        || {
            format!(
                "--- blocks ---\n{}\n--- screen ---\n{}\n{}",
                env.ok(&["blocks", "-t", target]),
                env.capture(target),
                env.log_tail()
            )
        },
    )
}

/// `blocks --watch` in the background: its JSON lines arrive on the receiver.
fn watch(env: &TestEnv, target: &str) -> (std::process::Child, mpsc::Receiver<Value>) {
    let mut child = env
        .command("wrapd-attach")
        .args(["blocks", "-t", target, "--watch"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // It says on stderr once it is subscribed.
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut note = String::new();
    stderr.read_line(&mut note).unwrap();
    assert!(note.contains("watching"), "{note}");
    let (tx, rx) = mpsc::channel();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            if tx.send(serde_json::from_str(&line).unwrap()).is_err() {
                return;
            }
        }
    });
    (child, rx)
}

fn session_with_blocks(shell: &Shell) {
    if !require(shell.name) || !require("vim") {
        return;
    }
    let env = TestEnv::new();
    for (path, text) in shell.files {
        let path = env.home().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let _daemon = Daemon::start(&env);
    let target = shell.name;
    let mut args = vec!["new", "-d", "-s", target, "-x", "80", "-y", "24"];
    args.extend_from_slice(shell.command);
    env.ok(&args);
    wait_until(
        "the user's own prompt",
        || env.capture(target).contains("mine").then_some(()),
        || format!("{}\n{}", env.capture(target), env.log_tail()),
    );
    let (mut watcher, events) = watch(&env, target);

    run(&env, target, &["greet"], 1);
    run(&env, target, &["sh -c 'exit 3'"], 2);
    run(&env, target, &["false"], 3);
    run(&env, target, &["echo hi"], 4);
    run(&env, target, &["sleep 0.1"], 5);
    run(&env, target, shell.multi_line, 6);
    env.ok(&["send", "-t", target, "vim -u NONE", "Enter"]);
    wait_for_blocks(&env, target, 7, |b| b["state"] == "running");
    wait_until(
        "vim's screen",
        || env.capture(target).contains("~").then_some(()),
        || env.capture(target),
    );
    run(&env, target, &[":q"], 7);
    let list = run(&env, target, &["printf no-newline"], 8);

    let commands: Vec<&str> = list
        .iter()
        .map(|b| b["command"].as_str().unwrap())
        .collect();
    assert_eq!(
        commands[..5],
        ["greet", "sh -c 'exit 3'", "false", "echo hi", "sleep 0.1"]
    );
    assert_eq!(commands[5], shell.multi_line.join("\n"), "{commands:?}");
    assert_eq!(commands[6..], ["vim -u NONE", "printf no-newline"]);
    let codes: Vec<i64> = list
        .iter()
        .map(|b| b["exit_code"].as_i64().unwrap())
        .collect();
    assert_eq!(codes, [0, 3, 1, 0, 0, 0, 0, 0]);
    let home = env.home();
    let home = home.canonicalize().unwrap();
    for b in &list {
        assert_eq!(b["cwd"], home.to_str().unwrap(), "{b}");
        assert_eq!(b["state"], "finished");
        assert!(b["started_at"].as_str().unwrap().ends_with('Z'));
    }
    // `sleep 0.1` lasts 100 ms; the daemon times a block by when it reads
    // its marks, and a busy machine can read the start mark a little late
    // (91 ms seen under load), so only "clearly not instant" is asserted.
    // Every finished block has a duration.
    assert!(
        list[4]["duration_ms"].as_u64().unwrap() >= 50,
        "{}",
        list[4]
    );
    assert!(list.iter().all(|b| b["duration_ms"].is_u64()), "{list:?}");
    assert_eq!(list[6]["full_screen"], true);

    let output = |id: &Value| env.ok(&["block", "-t", target, &id.to_string()]);
    assert_eq!(
        output(&list[0]["id"]),
        "hello-from-alias\n",
        "the alias ran"
    );
    assert_eq!(output(&list[1]["id"]), "");
    assert_eq!(output(&list[3]["id"]), "hi\n");
    assert_eq!(output(&list[5]["id"]), "line-1\nline-2\n");
    assert_eq!(
        env.ok(&["block", "-t", target, "last"]),
        "no-newline",
        "ends where the prompt starts"
    );
    // The prompt the user set still shows.
    let screen = env.capture(target);
    assert!(screen.contains("mine"), "{screen}");

    // A `cd` shows in `ls` at once and in the next block.
    // (The shell reports its directory with the prompt after the block's end.)
    run(&env, target, &["cd /"], 9);
    wait_until(
        "ls --json to show the new directory",
        || {
            let sessions: Value = serde_json::from_str(&env.ok(&["ls", "--json"])).unwrap();
            (sessions[0]["cwd"] == "/").then_some(())
        },
        || env.ok(&["ls", "--json"]),
    );
    let list = run(&env, target, &["pwd"], 10);
    assert_eq!(list[8]["cwd"], home.to_str().unwrap());
    assert_eq!(list[9]["cwd"], "/");
    assert_eq!(env.ok(&["block", "-t", target, "last"]), "/\n");

    // The watcher saw every block start and finish, in order.
    let mut seen = Vec::new();
    while seen.len() < 2 * list.len() {
        let e = events
            .recv_timeout(TIMEOUT)
            .expect("a block event from `blocks --watch`");
        seen.push((
            e["event"].as_str().unwrap().to_owned(),
            e["id"].as_u64().unwrap(),
        ));
    }
    let want: Vec<(String, u64)> = list
        .iter()
        .flat_map(|b| {
            let id = b["id"].as_u64().unwrap();
            [("started".to_owned(), id), ("finished".to_owned(), id)]
        })
        .collect();
    assert_eq!(seen, want);
    // The watch ends with the session.
    env.ok(&["kill", "-t", target]);
    let status = wait_until(
        "`blocks --watch` to end with the session",
        || watcher.try_wait().unwrap(),
        || env.log_tail(),
    );
    assert!(status.success(), "{status}");
}

#[test]
fn bash_blocks() {
    session_with_blocks(&BASH);
}

#[test]
fn zsh_blocks() {
    session_with_blocks(&ZSH);
}

#[test]
fn fish_blocks() {
    session_with_blocks(&FISH);
}

/// A test HOME whose bash has a prompt to wait for and its own history file.
fn bash_env() -> TestEnv {
    let env = TestEnv::new();
    for (path, text) in BASH.files {
        std::fs::write(env.home().join(path), text).unwrap();
    }
    env
}

/// A daemon and session "s" running bash with `bashrc` as the user's, once
/// the screen shows `prompt` (if given); `None` (the test skips) without bash.
fn bash_with_rc(bashrc: &str, prompt: Option<&str>) -> Option<(TestEnv, Daemon)> {
    if !require("bash") {
        return None;
    }
    let env = TestEnv::new();
    std::fs::write(env.home().join(".bashrc"), bashrc).unwrap();
    let daemon = Daemon::start(&env);
    env.ok(&["new", "-d", "-s", "s", "--", "bash"]);
    if let Some(prompt) = prompt {
        wait_until(
            &format!("the prompt `{prompt}`"),
            || env.capture("s").contains(prompt).then_some(()),
            || env.capture("s"),
        );
    }
    Some((env, daemon))
}

/// A prompt theme that rebuilds PS1 at every prompt, and a PS1 typed at
/// the prompt, keep their commands found.
#[test]
fn bash_prompts_the_user_changes_keep_their_marks() {
    let Some((env, _daemon)) = bash_with_rc(
        "theme() { PS1=\"theme[$((++n))]\\$ \"; }\nPROMPT_COMMAND=theme\n",
        Some("theme[1]$"),
    ) else {
        return;
    };
    run(&env, "s", &["echo one"], 1);
    run(&env, "s", &["false"], 2);
    run(&env, "s", &["echo \"status=$? last=$_\""], 3);
    run(&env, "s", &["theme() { :; }; PS1='typed$ '"], 4);
    run(&env, "s", &["echo two"], 5);
    run(&env, "s", &["echo 'a", "b'"], 6);
    let list = blocks(&env, "s");
    assert_eq!(
        commands_and_exits(&list),
        [
            ("echo one", 0),
            ("false", 1),
            ("echo \"status=$? last=$_\"", 0),
            ("theme() { :; }; PS1='typed$ '", 0),
            ("echo two", 0),
            ("echo 'a\nb'", 0),
        ]
    );
    let output = |i: usize| env.ok(&["block", "-t", "s", &list[i]["id"].to_string()]);
    assert_eq!(
        output(2),
        "status=1 last=false\n",
        "$? and $_ as without us"
    );
    assert_eq!(output(5), "a\nb\n");
    let screen = env.capture("s");
    assert!(screen.contains("theme[2]$ false"), "{screen}");
    assert!(screen.contains("typed$ echo two"), "{screen}");
}

/// Nothing of ours runs at a bash prompt when the user has no
/// PROMPT_COMMAND, so a PS1 typed at the prompt, or the startup file sourced
/// again (here setting PS0 too, under `set -u`), loses the marks: the daemon
/// notices the next command line run without them and has bash mark its
/// prompt again, once. The commands typed until a marked prompt shows join
/// the block before them; then blocks are found again. A `cd` shows in `ls`
/// at once and in the next block.
#[test]
fn bash_marks_a_prompt_set_later_again_and_follows_cd() {
    let Some((env, _daemon)) = bash_with_rc("set -u\nPS1='mine$ '\nPS0='\\e[0m'\n", Some("mine$"))
    else {
        return;
    };
    let asks = || {
        std::fs::read_to_string(env.daemon_log())
            .unwrap_or_default()
            .matches("lost its marks")
            .count()
    };
    let send = |line: &str| {
        env.ok(&["send", "-t", "s", "-l", line]);
        env.ok(&["send", "-t", "s", "Enter"]);
    };
    // Type `echo {word}-N` for N = 1, 2, ... each once its output showed,
    // until one is a block of its own; the blocks then.
    let until_found = |word: &str| {
        for n in 1..=5 {
            let line = format!("echo {word}-{n}");
            send(&line);
            let out = format!("\n{word}-{n}\n");
            wait_until(
                &format!("`{line}` to run"),
                || env.capture("s").contains(&out).then_some(()),
                || env.capture("s"),
            );
            let found = || {
                let list = blocks(&env, "s");
                let last = list.last()?;
                (last["command"] == line.as_str() && last["state"] == "finished").then_some(list)
            };
            for _ in 0..20 {
                if let Some(list) = found() {
                    return list;
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        }
        panic!(
            "no `echo {word}-N` became a block\n{}\n{}",
            env.ok(&["blocks", "-t", "s"]),
            env.log_tail()
        );
    };
    run(&env, "s", &["echo one"], 1);
    assert_eq!(asks(), 0, "marked prompts ask nothing");
    send("PS1='typed$ '");
    wait_for_blocks(&env, "s", 2, |b| b["state"] == "running");
    until_found("marked-again");
    send(". ~/.bashrc");
    until_found("marked-once-more");
    assert!(asks() <= 2, "asked {} times", asks());
    run(&env, "s", &["cd /"], blocks(&env, "s").len() + 1);
    let sessions: Value = serde_json::from_str(&env.ok(&["ls", "--json"])).unwrap();
    assert_eq!(sessions[0]["cwd"], "/", "{sessions}");
    let list = run(&env, "s", &["echo five"], blocks(&env, "s").len() + 1);

    let commands: Vec<&str> = list
        .iter()
        .map(|b| b["command"].as_str().unwrap())
        .collect();
    assert_eq!(commands[..2], ["echo one", "PS1='typed$ '"]);
    assert!(commands.contains(&". ~/.bashrc"), "{commands:?}");
    assert_eq!(commands[commands.len() - 2..], ["cd /", "echo five"]);
    let home = env.home().canonicalize().unwrap();
    let cwd = |b: &Value| b["cwd"].as_str().unwrap().to_owned();
    assert_eq!(cwd(&list[0]), home.to_str().unwrap());
    assert_eq!(cwd(&list[list.len() - 2]), home.to_str().unwrap());
    assert_eq!(cwd(&list[list.len() - 1]), "/");
    let screen = env.capture("s");
    assert!(screen.contains("mine$ echo five"), "{screen}");
    assert!(!screen.contains("unbound variable"), "{screen}");
}

#[test]
fn a_nested_shell_and_the_history_file_stay_the_users() {
    if !require("bash") {
        return;
    }
    let env = bash_env();
    let _daemon = Daemon::start(&env);
    env.ok(&["new", "-d", "-s", "s", "--", "bash"]);
    // Commands typed in a nested shell (no integration there) belong to the
    // block of the command that started it.
    run(&env, "s", &["bash", "echo nested-$((6*7))", "exit"], 1);
    run(&env, "s", &["echo outer"], 2);
    let list = blocks(&env, "s");
    assert_eq!(list[0]["command"], "bash");
    assert_eq!(list[0]["exit_code"], 0);
    let nested = env.ok(&["block", "-t", "s", &list[0]["id"].to_string()]);
    assert!(nested.contains("nested-42\n"), "{nested:?}");
    assert_eq!(env.ok(&["block", "-t", "s", "last"]), "outer\n");
    // bash writes the user's history file when it exits.
    env.ok(&["send", "-t", "s", "-l", "exit"]);
    env.ok(&["send", "-t", "s", "Enter"]);
    let history = env.home().join(".my_history");
    wait_until(
        "the user's history file",
        || {
            std::fs::read_to_string(&history)
                .ok()
                .filter(|h| h.contains("echo outer"))
        },
        || env.log_tail(),
    );
}

#[test]
fn shell_integration_can_be_turned_off() {
    if !require("bash") {
        return;
    }
    let env = bash_env();
    let _daemon = Daemon::start(&env);
    env.ok(&[
        "new",
        "-d",
        "-s",
        "plain",
        "--no-shell-integration",
        "--",
        "bash",
    ]);
    env.ok(&["new", "-d", "-s", "marked", "--", "bash"]);
    for target in ["plain", "marked"] {
        env.ok(&["send", "-t", target, "-l", "echo done-$((1+1))"]);
        env.ok(&["send", "-t", target, "Enter"]);
        wait_until(
            "the command's output",
            || env.capture(target).contains("done-2").then_some(()),
            || env.capture(target),
        );
    }
    wait_for_blocks(&env, "marked", 1, |b| b["state"] == "finished");
    assert!(blocks(&env, "plain").is_empty());
    let out = env.attach_cmd(&["block", "-t", "plain", "last"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("has no blocks"), "{err}");

    // And for every session, in the config.
    let env = bash_env();
    let config = env.dir.path().join("config/wrapd");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.toml"), "[shell]\nintegration = false\n").unwrap();
    let _daemon = Daemon::start(&env);
    env.ok(&["new", "-d", "-s", "plain", "--", "bash"]);
    env.ok(&["send", "-t", "plain", "-l", "echo done-$((1+1))"]);
    env.ok(&["send", "-t", "plain", "Enter"]);
    wait_until(
        "the command's output",
        || env.capture("plain").contains("done-2").then_some(()),
        || env.capture("plain"),
    );
    assert!(blocks(&env, "plain").is_empty());
}

#[test]
fn attached_client_marks_failures_jumps_between_blocks_and_copies() {
    if !require("tmux") || !require("bash") {
        return;
    }
    let env = bash_env();
    let _daemon = Daemon::start(&env);
    let outer = wrapd_e2e::Outer::start(&env.shell_line(&["new", "-s", "ui"]), 80, 24);
    // OSC 52 from our client lands in tmux's paste buffer (one is there
    // already, so that `show-buffer` answers before).
    outer.tmux(&["set", "-g", "set-clipboard", "on"]);
    outer.tmux(&["set-buffer", "nothing copied yet"]);
    outer.wait_for("main", "the prompt", &env, |s| s.contains("mine$"));
    outer.run("main", "echo first-output");
    // Type the next command only at the next prompt: typeahead echoed by the
    // tty before bash prints its prompt would land in front of it.
    outer.wait_for("main", "the second prompt", &env, |s| {
        s.lines().filter(|l| l.starts_with("mine$")).count() == 2
    });
    outer.run("main", "(exit 3)");
    wait_for_blocks(&env, "ui", 2, |b| b["state"] == "finished");
    // The failed block's status at the right edge of its prompt row.
    let screen = outer.wait_for("main", "the failure mark", &env, |s| {
        s.lines()
            .any(|l| l.starts_with("mine$ (exit 3)") && l.trim_end().ends_with("\u{2718} 3"))
    });
    assert!(!screen.contains("\u{2718} 0"), "{screen}");

    // prefix { selects the last block; { again the one before; Y copies its command.
    outer.keys("main", &["C-b", "{"]);
    outer.wait_for("main", "block 2 selected", &env, |s| {
        s.contains("[block 2: exit 3]")
    });
    outer.keys("main", &["{"]);
    outer.wait_for("main", "block 1 selected", &env, |s| {
        s.contains("[block 1: exit 0]")
    });
    outer.keys("main", &["Y"]);
    wait_until(
        "the command on the clipboard",
        || (outer.tmux(&["show-buffer"]) == "echo first-output").then_some(()),
        || outer.screen("main"),
    );
    // y copies its output (fetched from the daemon).
    outer.keys("main", &["y"]);
    wait_until(
        "the output on the clipboard",
        || (outer.tmux(&["show-buffer"]) == "first-output\n").then_some(()),
        || outer.screen("main"),
    );
    outer.keys("main", &["q"]);
    outer.wait_for("main", "scroll mode left", &env, |s| !s.contains("[block "));
}

#[test]
fn ctrl_c_at_a_prompt_is_no_block_and_an_interrupted_command_says_so() {
    if !require("bash") {
        return;
    }
    let env = bash_env();
    let _daemon = Daemon::start(&env);
    env.ok(&["new", "-d", "-s", "s", "--", "bash"]);
    wait_until(
        "the prompt",
        || env.capture("s").contains("mine$").then_some(()),
        || env.capture("s"),
    );
    // Under load bash may still drop typeahead before readline reads: type
    // until readline has echoed it.
    wait_until(
        "readline to echo what is typed",
        || {
            if env.capture("s").contains("half-typed") {
                return Some(());
            }
            env.ok(&["send", "-t", "s", "-l", "half-typed"]);
            std::thread::sleep(std::time::Duration::from_millis(300));
            env.capture("s").contains("half-typed").then_some(())
        },
        || env.capture("s"),
    );
    env.ok(&["send", "-t", "s", "C-c"]);
    // bash drops what is typed while it handles the interrupt: wait for the
    // fresh prompt.
    wait_until(
        "a fresh prompt after ^C",
        || {
            let screen = env.capture("s");
            let last = screen.lines().rev().find(|l| !l.trim().is_empty())?;
            (screen.contains("half-typed^C") && last.trim_end() == "mine$").then_some(())
        },
        || env.capture("s"),
    );
    run(&env, "s", &["echo after"], 1);
    env.ok(&["send", "-t", "s", "-l", "sleep 100"]);
    env.ok(&["send", "-t", "s", "Enter"]);
    wait_for_blocks(&env, "s", 2, |b| b["state"] == "running");
    env.ok(&["send", "-t", "s", "C-c"]);
    let list = wait_for_blocks(&env, "s", 2, |b| b["state"] == "finished");
    assert_eq!(list[0]["command"], "echo after");
    assert_eq!(list[1]["command"], "sleep 100");
    assert_eq!(list[1]["exit_code"], 130);
}

#[test]
fn a_prompt_that_marks_itself_is_not_counted_twice() {
    // Like starship or powerlevel10k: the user's prompt prints OSC 133 itself.
    let Some((env, _daemon)) = bash_with_rc(
        "PS1='\\[\\e]133;A\\a\\]mine$ \\[\\e]133;B\\a\\]'\n\
         PROMPT_COMMAND='printf \"\\e]133;D;%s\\a\" $?'\n\
         PS0='\\e]133;C\\a'\n",
        None,
    ) else {
        return;
    };
    run(&env, "s", &["echo one"], 1);
    run(&env, "s", &["false"], 2);
    run(&env, "s", &["echo three"], 3);
    let list = blocks(&env, "s");
    let got = commands_and_exits(&list);
    assert_eq!(got, [("echo one", 0), ("false", 1), ("echo three", 0)]);
    assert_eq!(env.ok(&["block", "-t", "s", "last"]), "three\n");
    // Their `C` comes before ours: no prompt lost its marks.
    let log = std::fs::read_to_string(env.daemon_log()).unwrap_or_default();
    assert!(!log.contains("lost its marks"), "{log}");
}

/// bash's integration is its prompt strings alone (the daemon reads the
/// command line off the screen): the user's DEBUG trap, `$?` and `$_` are
/// left alone, and every kind of command line is named.
#[test]
fn bash_command_lines_come_off_the_screen_and_leave_the_users_debug_trap_alone() {
    let Some((env, _daemon)) = bash_with_rc(
        "PS1='mine$ '\nHISTFILE=~/.my_history\nHISTCONTROL=ignorespace\n\
         trap '[[ $BASH_COMMAND == echo* ]] && traced=$BASH_COMMAND' DEBUG\n",
        Some("mine$"),
    ) else {
        return;
    };
    let (mut watcher, events) = watch(&env, "s");
    run(&env, "s", &["false"], 1);
    run(&env, "s", &["echo \"status=$? last=$_\""], 2);
    // Lines that run no simple command in the shell itself.
    run(&env, "s", &["( echo sub )"], 3);
    run(&env, "s", &["{ echo group; }"], 4);
    // An empty line and a comment are no blocks; a line the history leaves
    // out (HISTCONTROL=ignorespace) is one, named as the screen shows it.
    env.ok(&["send", "-t", "s", "Enter"]);
    run(&env, "s", &["# only a comment", " echo hidden"], 5);
    run(&env, "s", &["echo \"traced=$traced\""], 6);
    run(&env, "s", &["trap -p DEBUG"], 7);

    let list = blocks(&env, "s");
    let got = commands_and_exits(&list);
    assert_eq!(
        got,
        [
            ("false", 1),
            ("echo \"status=$? last=$_\"", 0),
            ("( echo sub )", 0),
            ("{ echo group; }", 0),
            ("echo hidden", 0),
            ("echo \"traced=$traced\"", 0),
            ("trap -p DEBUG", 0),
        ]
    );
    let output = |i: usize| env.ok(&["block", "-t", "s", &list[i]["id"].to_string()]);
    // (The user's trap runs `[[`, which sets `$_`, as it does without us.)
    assert_eq!(output(1), "status=1 last=\n", "$? and $_ as without us");
    assert_eq!(output(2), "sub\n");
    assert_eq!(output(4), "hidden\n");
    assert_eq!(
        output(5),
        "traced=echo \"traced=$traced\"\n",
        "the user's trap ran, for the command"
    );
    assert_eq!(
        output(6),
        "trap -- '[[ $BASH_COMMAND == echo* ]] && traced=$BASH_COMMAND' DEBUG\n",
        "the user's trap is the one they see"
    );

    // Every "started" event carries its command line.
    for b in &list {
        for want in ["started", "finished"] {
            let e = events
                .recv_timeout(TIMEOUT)
                .expect("a block event from `blocks --watch`");
            assert_eq!(
                (e["event"].as_str(), &e["id"], &e["command"]),
                (Some(want), &b["id"], &b["command"])
            );
        }
    }
    watcher.kill().unwrap();
    watcher.wait().unwrap();
}
