//! `wrapd-muxd upgrade`: the daemon re-executes in place (same pid) and
//! every session goes on as if nothing happened — or, with a binary that
//! cannot take over, nothing happens at all and `upgrade` says why.

use std::fs;

use wrapd_e2e::upgrade::{exe_of, new_binary, script, shares, upgrade, upgrade_ok};
use wrapd_e2e::{
    COUNTER, Daemon, Outer, TestEnv, bin, count_past, counted, require, session_pids_and_sizes,
    session_rows, wait_until,
};

fn last_count(env: &TestEnv) -> u64 {
    counted(env, "counter").last().copied().unwrap_or(0)
}

#[test]
fn upgrade_keeps_every_session_its_program_and_its_output() {
    if !require("tmux") || !require("vim") {
        return;
    }
    let env = TestEnv::new();
    let daemon = Daemon::start(&env);
    env.ok(&["new", "-d", "-s", "counter", "--", "sh", "-c", COUNTER]);
    env.ok(&[
        "new", "-d", "-s", "vim", "-x", "80", "-y", "23", "--", "vim", "-u", "NONE", "-N", "-i",
        "NONE", "-n",
    ]);
    let outer = Outer::start(&env.shell_line(&["attach", "-t", "vim"]), 80, 24);
    outer.wait_for("main", "vim", &env, |s| s.contains("~\n~"));
    // A half-typed line, still in insert mode.
    outer.type_text("main", "ihello wor");
    let attached = outer.wait_for("main", "the half-typed line", &env, |s| {
        s.starts_with("hello wor\n") && s.contains("-- INSERT --")
    });
    count_past(&env, "counter", 50);
    let before = session_pids_and_sizes(&env);
    let vim_before = env.capture("vim");
    let new = new_binary(&env);

    let said = upgrade_ok(&env, &new);
    assert!(
        said.contains(&format!("upgraded: pid {}", daemon.pid())),
        "{said}"
    );
    assert_eq!(exe_of(daemon.pid()), new, "the daemon runs the new binary");

    // Same programs (same pids), same sizes; the screen exactly as it was.
    assert_eq!(session_pids_and_sizes(&env), before);
    assert_eq!(env.capture("vim"), vim_before);
    // Every number once, in order, across the hand-over.
    count_past(&env, "counter", last_count(&env) + 100);

    // A fresh client sees the same screen, and vim takes the rest of the
    // line, then undoes the whole insert.
    outer.open("again", &env.shell_line(&["attach", "-t", "vim"]), 80, 24);
    let again = outer.wait_for("again", "vim after the upgrade", &env, |s| {
        s.starts_with("hello wor\n")
    });
    assert_eq!(session_rows(&again), session_rows(&attached));
    outer.type_text("again", "ld");
    outer.keys("again", &["Escape"]);
    outer.wait_for("again", "the finished line", &env, |s| {
        s.starts_with("hello world\n") && !s.contains("-- INSERT --")
    });
    outer.type_text("again", "u");
    outer.wait_for("again", "the insert undone", &env, |s| {
        !s.contains("hello") && s.contains("~\n~")
    });
}

#[test]
fn a_binary_that_cannot_take_over_changes_nothing() {
    if !require("sh") {
        return;
    }
    let mut env = TestEnv::new();
    // The probe that never answers is given up on sooner than by default.
    env.extra_vars
        .push(("WRAPD_HANDOVER_DEADLINE_MS".into(), "1500".into()));
    let daemon = Daemon::start(&env);
    env.ok(&["new", "-d", "-s", "counter", "--", "sh", "-c", COUNTER]);
    count_past(&env, "counter", 20);
    let before = session_pids_and_sizes(&env);
    let exe = exe_of(daemon.pid());

    let failing = [
        (
            script(
                &env,
                "refuses",
                b"#!/bin/sh\necho 'no thanks' >&2\nexit 1\n",
            ),
            "no thanks",
        ),
        (
            // (The kernel refuses it; the shell that runs it instead fails.)
            script(
                &env,
                "garbage",
                b"\x7fELF\x02\x01garbage that is no program",
            ),
            "refused the state",
        ),
        (
            script(&env, "silent", b"#!/bin/sh\nexec sleep 1000\n"),
            "was not ready within 1.5 s",
        ),
        (env.dir.path().join("missing"), "No such file"),
    ];
    for (binary, why) in failing {
        let out = upgrade(&env, &binary);
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "{} was taken: {said}",
            binary.display()
        );
        assert!(
            said.contains("upgrade refused") && said.contains(why),
            "{}: {said}",
            binary.display()
        );
        assert!(said.contains("nothing changed"), "{said}");
        // Still serving: the same programs, counting on.
        assert_eq!(session_pids_and_sizes(&env), before);
        assert_eq!(exe_of(daemon.pid()), exe);
        count_past(&env, "counter", last_count(&env) + 10);
    }
    // A config file broken since the daemon started: the new binary would
    // start with it, so it refuses, naming the file.
    let config = env.dir.path().join("config/wrapd");
    fs::create_dir_all(&config).unwrap();
    fs::write(config.join("config.toml"), "[limits\n").unwrap();
    let out = upgrade(&env, &new_binary(&env));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "taken with a broken config: {said}");
    assert!(
        said.contains("upgrade refused") && said.contains("config.toml"),
        "{said}"
    );
    assert_eq!(exe_of(daemon.pid()), exe);
    fs::remove_file(config.join("config.toml")).unwrap();
    count_past(&env, "counter", last_count(&env) + 10);

    // New sessions start as ever.
    env.ok(&[
        "new",
        "-d",
        "-s",
        "after",
        "--",
        "sh",
        "-c",
        "echo still-here; exec sleep 1000",
    ]);
    wait_until(
        "the new session",
        || env.capture("after").contains("still-here").then_some(()),
        || env.log_tail(),
    );
}

#[test]
fn a_collaborator_keeps_their_place_across_an_upgrade() {
    if !require("tmux") {
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let owner = TestEnv::new();
    let config = owner.dir.path().join("config/wrapd");
    fs::create_dir_all(&config).unwrap();
    fs::write(
        config.join("config.toml"),
        format!("[share]\nlisten = \"127.0.0.1:{port}\"\n"),
    )
    .unwrap();
    let _daemon = Daemon::start(&owner);
    owner.ok(&["new", "-d", "-s", "counter", "--", "sh", "-c", COUNTER]);
    let said = owner.ok(&["share", "-t", "counter", "--link", "editor"]);
    let link = said
        .split_whitespace()
        .find(|w| w.starts_with("wrapd://"))
        .unwrap_or_else(|| panic!("no link in: {said}"))
        .to_owned();
    let bob = TestEnv::new();
    let join = |outer: Option<&Outer>, window: &str| {
        let line = bob.shell_line(&[&link, "--name", "Bob", "--email", "bob@example.org"]);
        match outer {
            Some(o) => {
                o.open(window, &line, 100, 24);
                None
            }
            None => Some(Outer::start(&line, 100, 24)),
        }
    };
    let outer = join(None, "main").unwrap();
    outer.wait_for("main", "Bob in the shared session", &owner, |s| {
        s.contains("shared by") && s.contains("n ")
    });
    let before = shares(&owner);
    assert!(before.iter().any(|l| l.contains("\"Bob\"")), "{before:?}");

    upgrade_ok(&owner, &new_binary(&owner));
    assert_eq!(shares(&owner), before);

    // Bob comes back with the certificate he has: no new enrollment (that
    // would add a participant), and he sees the session go on.
    join(Some(&outer), "again");
    outer.wait_for("again", "Bob back in the shared session", &owner, |s| {
        s.contains("shared by") && s.contains("n ")
    });
    assert_eq!(shares(&owner), before);
    count_past(&owner, "counter", last_count(&owner) + 20);
}

#[test]
fn sigusr2_hands_over_to_the_installed_binary() {
    if !require("sh") {
        return;
    }
    let env = TestEnv::new();
    let daemon = Daemon::start(&env);
    env.ok(&["new", "-d", "-s", "counter", "--", "sh", "-c", COUNTER]);
    count_past(&env, "counter", 20);
    let before = session_pids_and_sizes(&env);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(daemon.pid()),
        nix::sys::signal::Signal::SIGUSR2,
    )
    .unwrap();
    wait_until(
        "the hand-over in the daemon's log",
        || {
            let log = fs::read_to_string(env.daemon_log()).unwrap_or_default();
            log.contains("took over from the previous image")
                .then_some(())
        },
        || env.log_tail(),
    );
    assert_eq!(session_pids_and_sizes(&env), before);
    assert_eq!(exe_of(daemon.pid()), bin("wrapd-muxd"));
    count_past(&env, "counter", last_count(&env) + 20);
}
