//! One config file for both programs: `wrapd-muxd config default|check`, and
//! a client (in tmux) that takes its prefix, bindings, status line and socket
//! from the file the daemon reads too.

use std::fs;

use wrapd_e2e::{Outer, TestEnv, require, terminate, wait_until};

#[test]
fn config_default_passes_check_and_mistakes_name_key_and_line() {
    let env = TestEnv::new();
    let out = env
        .command("wrapd-muxd")
        .args(["config", "default"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let file = env.dir.path().join("default.toml");
    fs::write(&file, &out.stdout).unwrap();
    let check = |file: &std::path::Path| {
        env.command("wrapd-muxd")
            .args(["config", "check"])
            .arg(file)
            .output()
            .unwrap()
    };
    let out = check(&file);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains(": ok"));

    let bad = env.dir.path().join("bad.toml");
    fs::write(&bad, "[client]\nprefix = \"C-b\"\nstatus = false\n").unwrap();
    let out = check(&bad);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("line 3") && err.contains("unknown field `status`"),
        "{err}"
    );

    // A number where a number belongs, said in words.
    fs::write(&bad, "[limits]\nmax_sessions = \"ten\"\n").unwrap();
    let err = String::from_utf8_lossy(&check(&bad).stderr).into_owned();
    assert!(err.contains("expected a whole number"), "{err}");
    assert!(!err.contains("usize"), "{err}");
    // A missing file: the OS's reason, once.
    let out = check(&env.dir.path().join("missing.toml"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
}

/// `serve` is the default command, and takes its options without the word
/// (`wrapd-muxd --share-listen ADDR`, as the share port's hint says).
#[test]
fn serve_options_need_no_serve() {
    let env = TestEnv::new();
    let mut daemon = env
        .command("wrapd-muxd")
        .args(["--share-listen", "127.0.0.1:0", "--socket"])
        .arg(env.socket())
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let socket = env.socket();
    wait_until(
        "the daemon's socket",
        || socket.exists().then_some(()),
        || "no socket: the daemon did not serve".to_owned(),
    );
    env.ok(&["ls"]);
    wrapd_e2e::stop_child(&mut daemon);
    // Other commands do not take them.
    let out = env
        .command("wrapd-muxd")
        .args(["--socket", "/tmp/x", "config", "check"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot be used with"), "{err}");
}

/// A command run once says what it did on stdout, with no log lines on
/// stderr.
#[test]
fn team_init_prints_no_log_lines() {
    let env = TestEnv::new();
    let out = env
        .command("wrapd-muxd")
        .args(["team", "init"])
        .env_remove("WRAPD_LOG")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("made the team CA"));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn the_client_takes_prefix_bindings_status_line_and_socket_from_the_config() {
    if !require("tmux") {
        return;
    }
    let env = TestEnv::new();
    let socket = env.dir.path().join("run/wrapd/custom.sock");
    let dir = env.dir.path().join("config/wrapd");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("config.toml"),
        format!(
            "[daemon]\nsocket = \"{}\"\n[client]\nprefix = \"C-a\"\nstatus_line = false\n\
             [client.bindings]\nq = \"detach\"\n",
            socket.display()
        ),
    )
    .unwrap();
    let outer = Outer::start(&env.shell_line(&["new", "-s", "cfg"]), 60, 10);
    outer.wait_for("main", "the prompt", &env, |s| s.starts_with("$"));
    assert!(socket.exists(), "the daemon serves the configured socket");
    let screen = outer.screen("main");
    assert!(!screen.contains("[cfg]"), "no status line:\n{screen}");

    // C-b is an ordinary key now (bash moves back a char), so `d` is typed...
    outer.keys("main", &["C-b", "d"]);
    outer.wait_for("main", "`d` typed at the prompt", &env, |s| {
        s.starts_with("$ d")
    });
    // ...and C-a q detaches.
    outer.keys("main", &["C-a", "q"]);
    assert_eq!(outer.wait_exit("main", &env), 0, "{}", outer.screen("main"));
    assert!(env.ok(&["ls"]).contains("cfg"));

    let lock = fs::read_to_string(env.dir.path().join("run/wrapd/custom.sock.lock")).unwrap();
    terminate(lock.trim().parse().unwrap());
}
