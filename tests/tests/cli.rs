//! The scripting commands against a real daemon: ls, kill, rename, capture, send.

use wrapd_e2e::{Daemon, TestEnv, require, wait_until};

#[test]
fn ls_json_has_the_documented_fields() {
    if !require("bash") {
        return;
    }
    let env = TestEnv::new();
    let _daemon = Daemon::start(&env);
    env.ok(&[
        "new",
        "-d",
        "-s",
        "one",
        "-x",
        "90",
        "-y",
        "20",
        "--",
        "sh",
        "-c",
        "seq 1 50; exec sleep 1000",
    ]);
    wait_until(
        "history",
        || env.capture("one").contains("50").then_some(()),
        || env.log_tail(),
    );
    let list: serde_json::Value = serde_json::from_str(&env.ok(&["ls", "--json"])).unwrap();
    let s = &list[0];
    for field in [
        "name",
        "id",
        "command",
        "pid",
        "cols",
        "rows",
        "clients",
        "history_lines",
        "created_at",
    ] {
        assert!(!s[field].is_null(), "missing {field}: {s}");
    }
    assert_eq!(s["name"], "one");
    assert_eq!(
        (s["cols"].as_u64(), s["rows"].as_u64()),
        (Some(90), Some(20))
    );
    assert_eq!(s["command"][0], "sh");
    assert_eq!(s["history_lines"], 31);
    assert!(s["created_at"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn send_capture_rename_and_kill() {
    if !require("bash") {
        return;
    }
    let env = TestEnv::new();
    let _daemon = Daemon::start(&env);
    env.ok(&["new", "-d", "-s", "work"]);
    env.ok(&[
        "send",
        "-t",
        "work",
        "for i in $(seq 1 40); do echo row-$i; done",
        "Enter",
    ]);
    wait_until(
        "the loop",
        || env.capture("work").contains("row-40").then_some(()),
        || env.log_tail(),
    );
    let screen = env.ok(&["capture", "-t", "work"]);
    assert!(!screen.contains("row-1\n"), "the screen alone: {screen}");
    let all = env.ok(&["capture", "-t", "work", "--scrollback"]);
    assert!(all.contains("row-1\n") && all.contains("row-40\n"), "{all}");
    env.ok(&[
        "send",
        "-t",
        "work",
        "printf '\\033[31mred\\033[0m\\n'",
        "Enter",
    ]);
    wait_until(
        "colour",
        || {
            env.ok(&["capture", "-t", "work", "--ansi"])
                .contains("\x1b[0;31mred")
                .then_some(())
        },
        || env.log_tail(),
    );
    // -l types key names literally.
    env.ok(&["send", "-t", "work", "-l", "echo Enter"]);
    env.ok(&["send", "-t", "work", "C-m"]);
    wait_until(
        "literal",
        || env.capture("work").contains("\nEnter\n").then_some(()),
        || env.log_tail(),
    );

    env.ok(&["rename", "-t", "work", "play"]);
    assert!(env.ok(&["ls"]).starts_with("play:"));
    env.ok(&["kill", "-t", "play"]);
    assert_eq!(env.ok(&["ls"]).trim(), "no sessions");
}

#[test]
fn errors_are_clear() {
    if !require("bash") {
        return;
    }
    let env = TestEnv::new();
    let _daemon = Daemon::start(&env);
    let fail = |args: &[&str], needle: &str| {
        let out = env.attach_cmd(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(err.contains(needle), "{args:?}: {err}");
    };
    fail(&["capture", "-t", "ghost"], "no session matches `ghost`");
    fail(&["attach", "-t", "ghost"], "no session matches `ghost`");
    fail(&["kill", "-t", "ghost"], "no session matches `ghost`");
    fail(&["new", "-d", "-s", "bad:name"], "invalid session name");
    env.ok(&["new", "-d", "-s", "dup"]);
    fail(&["new", "-d", "-s", "dup"], "already exists");
    fail(
        &["new", "-d", "-s", "nope", "--", "/no/such/program"],
        "cannot start `/no/such/program`",
    );
    assert!(env.ok(&["ls"]).contains("dup:"), "the daemon kept serving");
}

/// A mistyped command is clap's "unrecognized subcommand" with its tip, not
/// an address to reach (and starts no daemon); something shaped like a URL
/// is still one.
#[test]
fn a_mistyped_command_is_not_taken_for_a_url() {
    let env = TestEnv::new();
    let out = env.attach_cmd(&["lss"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("unrecognized subcommand 'lss'"), "{err}");
    assert!(
        err.contains("similar subcommand") && err.contains("'ls'"),
        "{err}"
    );
    assert!(!err.contains("ssh://"), "{err}");
    assert!(!env.socket().exists(), "no daemon was started");

    let out = env.attach_cmd(&["ssh:/box"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not start with ssh://"), "{err}");
}

/// Without a terminal, `new` fails before it creates anything, and says
/// how to create the session in the background.
#[test]
fn new_without_a_terminal_creates_nothing_and_suggests_d() {
    use std::os::unix::process::CommandExt;
    let env = TestEnv::new();
    let _daemon = Daemon::start(&env);
    let mut new = env.command("wrapd-attach");
    new.args(["new", "-s", "x"])
        .stdin(std::process::Stdio::null());
    // SAFETY: setsid is async-signal-safe; it leaves the test's controlling
    // terminal behind (if it has one), so /dev/tty cannot be opened.
    unsafe {
        new.pre_exec(|| {
            nix::unistd::setsid()
                .map(drop)
                .map_err(std::io::Error::from)
        });
    }
    let out = new.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("not a terminal"), "{err}");
    assert!(err.contains("wrapd-attach new -d"), "{err}");
    assert_eq!(env.ok(&["ls", "--json"]).trim(), "[]");

    // Nor does `wrapd-attach` alone (which creates a session when there is
    // none) start a daemon it could not show.
    let env = TestEnv::new();
    let mut bare = env.command("wrapd-attach");
    bare.stdin(std::process::Stdio::null());
    // SAFETY: as above.
    unsafe {
        bare.pre_exec(|| {
            nix::unistd::setsid()
                .map(drop)
                .map_err(std::io::Error::from)
        });
    }
    let out = bare.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("not a terminal"),
        "{err}"
    );
    assert!(!env.socket().exists(), "no daemon was started");
}

/// `ls --json` names a session's directory from the start: before its shell
/// ran a command, and for a program that never reports one.
#[test]
fn ls_json_has_the_cwd_from_the_start() {
    if !require("bash") {
        return;
    }
    let env = TestEnv::new();
    let _daemon = Daemon::start(&env);
    let dir = env.dir.path().join("work");
    std::fs::create_dir(&dir).unwrap();
    let dir = dir.canonicalize().unwrap();
    let dir = dir.to_str().unwrap();
    env.ok(&["new", "-d", "-s", "shell", "-c", dir, "--", "bash"]);
    env.ok(&["new", "-d", "-s", "quiet", "-c", dir, "--", "sleep", "1000"]);
    wait_until(
        "bash's prompt",
        || env.capture("shell").contains('$').then_some(()),
        || env.capture("shell"),
    );
    let list: serde_json::Value = serde_json::from_str(&env.ok(&["ls", "--json"])).unwrap();
    for s in list.as_array().unwrap() {
        assert_eq!(s["cwd"], dir, "{s}");
    }
}
