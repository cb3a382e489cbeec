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

/// The highest number of [`COUNTER`] a client's screen shows.
fn shown_count(screen: &str) -> u64 {
    screen
        .lines()
        .filter_map(|l| l.trim().strip_prefix("n ")?.parse().ok())
        .max()
        .unwrap_or(0)
}

fn prompt_ready(s: &str) -> bool {
    s.lines().any(|l| l == "$" || l.starts_with("$ "))
}

/// Two clients attached in tmux (one watching the counter, one at a bash
/// prompt) go on after an upgrade without being attached again: the same
/// client processes show the counter going on and the shell's echo of what
/// is typed into them.
#[test]
fn attached_clients_resume_by_themselves_across_an_upgrade() {
    if !require("tmux") || !require("bash") {
        return;
    }
    let env = TestEnv::new();
    let daemon = Daemon::start(&env);
    env.ok(&["new", "-d", "-s", "counter", "--", "sh", "-c", COUNTER]);
    env.ok(&["new", "-d", "-s", "shell", "--", "bash"]);
    let outer = Outer::start(&env.shell_line(&["attach", "-t", "counter"]), 80, 24);
    outer.open("shell", &env.shell_line(&["attach", "-t", "shell"]), 80, 24);
    outer.wait_for("main", "the counter", &env, |s| shown_count(s) > 20);
    outer.wait_for("shell", "the prompt", &env, prompt_ready);
    let clients = [outer.client_pid("main"), outer.client_pid("shell")];
    let before = session_pids_and_sizes(&env);

    let new = new_binary(&env);
    upgrade_ok(&env, &new);
    assert_eq!(exe_of(daemon.pid()), new);
    let after = last_count(&env);
    outer.wait_for("main", "the counter going on", &env, |s| {
        shown_count(s) > after + 20 && !s.contains("reconnecting")
    });
    outer.run("shell", "echo typed-after-$((6*7))");
    outer.wait_for("shell", "the shell's answer", &env, |s| {
        s.lines().any(|l| l == "typed-after-42") && !s.contains("reconnecting")
    });
    assert_eq!(
        [outer.client_pid("main"), outer.client_pid("shell")],
        clients,
        "the same clients, never attached again"
    );
    assert_eq!(session_pids_and_sizes(&env), before);
    count_past(&env, "counter", last_count(&env) + 20);
}

/// A new binary that accepts the probe but refuses the state after the exec
/// (as one that finds a problem only then would): the previous binary, kept
/// open, takes the state back, the sessions and an attached client go on,
/// and `upgrade` says why; a later upgrade works.
#[test]
fn a_binary_that_refuses_after_the_exec_hands_everything_back() {
    if !require("tmux") {
        return;
    }
    let env = TestEnv::new();
    let daemon = Daemon::start(&env);
    env.ok(&["new", "-d", "-s", "counter", "--", "sh", "-c", COUNTER]);
    let outer = Outer::start(&env.shell_line(&["attach", "-t", "counter"]), 80, 24);
    outer.wait_for("main", "the counter", &env, |s| shown_count(s) > 20);
    let client = outer.client_pid("main");
    let before = session_pids_and_sizes(&env);
    let exe = exe_of(daemon.pid());
    let real = new_binary(&env);
    // The probe is the real one; the image after the exec is told to refuse.
    let refusing = script(
        &env,
        "refuses-after-exec",
        format!(
            "#!/bin/sh\n[ \"$1\" = handover-probe ] || \
             export WRAPD_HANDOVER_TEST_REFUSE='refused on purpose'\nexec '{}' \"$@\"\n",
            real.display()
        )
        .as_bytes(),
    );

    let out = upgrade(&env, &refusing);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "taken: {said}\n{}", env.log_tail());
    assert!(
        said.contains("upgrade failed") && said.contains("refused on purpose"),
        "{said}\n{}",
        env.log_tail()
    );
    assert!(said.contains("nothing lost"), "{said}");
    assert_eq!(exe_of(daemon.pid()), exe, "the previous binary runs");
    assert_eq!(session_pids_and_sizes(&env), before);
    let after = last_count(&env);
    count_past(&env, "counter", after + 20);
    outer.wait_for("main", "the counter going on at the client", &env, |s| {
        shown_count(s) > after + 20 && !s.contains("reconnecting")
    });
    assert_eq!(outer.client_pid("main"), client);

    // Nothing is left half-done: the next upgrade goes through.
    upgrade_ok(&env, &real);
    assert_eq!(exe_of(daemon.pid()), real);
    assert_eq!(session_pids_and_sizes(&env), before);
    count_past(&env, "counter", last_count(&env) + 20);
}
