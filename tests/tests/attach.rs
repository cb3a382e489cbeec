//! The attached client, driven inside tmux as the outer terminal.

use wrapd_e2e::{Daemon, Outer, TestEnv, require, session_rows, wait_until};

fn tools() -> bool {
    require("tmux") && require("bash")
}

/// The test shell's prompt is `$ ` (capture-pane trims the space).
fn prompt_ready(s: &str) -> bool {
    s.lines().any(|l| l == "$" || l.starts_with("$ "))
}

#[test]
fn create_type_vim_detach_and_reattach_to_the_same_screen() {
    if !tools() || !require("vim") {
        return;
    }
    let env = TestEnv::new();
    let _daemon = Daemon::start(&env);
    let outer = Outer::start(&env.shell_line(&["new", "-s", "main"]), 80, 24);
    outer.wait_for("main", "a prompt", &env, prompt_ready);
    outer.run("main", "echo hello-$((6*7))");
    outer.wait_for("main", "the echo", &env, |s| s.contains("hello-42"));
    let status = outer.screen("main");
    assert!(
        status.lines().last().unwrap().contains("[main]"),
        "status line: {status}"
    );

    outer.run("main", "vim -u NONE -N");
    outer.wait_for("main", "vim", &env, |s| s.contains("~\n~"));
    assert_eq!(
        outer.format("main", "#{alternate_on}"),
        "1",
        "the client draws on the alternate screen"
    );
    outer.type_text("main", "iwritten in vim");
    outer.keys("main", &["Escape"]);
    outer.wait_for("main", "text in vim", &env, |s| {
        s.contains("written in vim")
    });
    outer.type_text("main", ":q!");
    outer.keys("main", &["Enter"]);
    // (The prompt too: compared with the re-attached screen below.)
    let before = outer.wait_for("main", "the shell back", &env, |s| {
        !s.contains("written in vim")
            && s.contains("hello-42")
            && session_rows(s).iter().any(|r| r == "$")
    });

    outer.keys("main", &["C-b", "d"]);
    let gone = outer.wait_for("main", "detach message", &env, |s| {
        s.contains("[detached (from session main)]")
    });
    assert_eq!(outer.wait_exit("main", &env), 0, "{gone}");
    assert_eq!(
        outer.format("main", "#{alternate_on}"),
        "0",
        "terminal restored"
    );
    assert_eq!(
        outer.format("main", "#{cursor_flag}"),
        "1",
        "cursor visible again"
    );

    outer.open("again", &env.shell_line(&["attach", "-t", "main"]), 80, 24);
    let after = outer.wait_for("again", "the same screen", &env, |s| s.contains("hello-42"));
    assert_eq!(
        session_rows(&after),
        session_rows(&before),
        "re-attach shows the session as it was"
    );
}

#[test]
fn two_clients_see_the_same_output_and_the_writer_sets_the_size() {
    if !tools() {
        return;
    }
    let env = TestEnv::new();
    let _daemon = Daemon::start(&env);
    env.ok(&["new", "-d", "-s", "shared"]);
    let outer = Outer::start(&env.shell_line(&["attach", "-t", "shared"]), 100, 30);
    outer.open(
        "small",
        &env.shell_line(&["attach", "-t", "shared"]),
        60,
        15,
    );
    outer.wait_for("main", "a prompt", &env, prompt_ready);
    outer.wait_for("small", "a prompt", &env, prompt_ready);

    outer.run("main", "echo from-big");
    outer.wait_for("small", "big's output", &env, |s| s.contains("from-big"));
    outer.wait_for("main", "the size of the big client", &env, |s| {
        s.contains("100x29")
    });

    outer.run("small", "echo from-small");
    outer.wait_for("main", "small's output", &env, |s| s.contains("from-small"));
    // The small client typed last: the session takes its size, the big one pads.
    let big = outer.wait_for("main", "the small client's size", &env, |s| {
        s.contains("60x14")
    });
    assert!(
        big.lines().next().unwrap().ends_with('·'),
        "padding beyond the session:\n{big}"
    );
    let json = env.ok(&["ls", "--json"]);
    assert!(json.contains("\"clients\": 2"), "{json}");
}

#[test]
fn a_killed_client_leaves_the_session_untouched() {
    if !tools() {
        return;
    }
    let env = TestEnv::new();
    let _daemon = Daemon::start(&env);
    let outer = Outer::start(&env.shell_line(&["new", "-s", "k"]), 80, 24);
    outer.wait_for("main", "a prompt", &env, prompt_ready);
    outer.run("main", "echo still-here");
    outer.wait_for("main", "output", &env, |s| s.contains("still-here"));
    let pid = outer.client_pid("main");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    outer.wait_exit("main", &env);
    wait_until(
        "the daemon to notice the client is gone",
        || {
            env.ok(&["ls", "--json"])
                .contains("\"clients\": 0")
                .then_some(())
        },
        || env.log_tail(),
    );
    assert!(env.capture("k").contains("still-here"));
    env.ok(&["send", "-t", "k", "echo after-kill", "Enter"]);
    outer.open("again", &env.shell_line(&["attach", "-t", "k"]), 80, 24);
    outer.wait_for("again", "the session, alive", &env, |s| {
        s.lines().any(|l| l.trim_end() == "after-kill")
    });
}

#[test]
fn a_client_whose_terminal_goes_away_exits() {
    if !tools() {
        return;
    }
    let env = TestEnv::new();
    let _daemon = Daemon::start(&env);
    let outer = Outer::start(&env.shell_line(&["new", "-s", "gone"]), 80, 24);
    outer.wait_for("main", "a prompt", &env, prompt_ready);
    let pid = outer.client_pid("main");
    // The outer terminal closes under the client (as when an ssh connection
    // drops): it must go, not linger reading a terminal that is no more.
    drop(outer);
    let running = || {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| s.rsplit(')').next().map(|rest| rest.trim().to_owned()))
            .is_some_and(|rest| !rest.starts_with('Z'))
    };
    wait_until(
        "the client to exit",
        || (!running()).then_some(()),
        || format!("client {pid} still runs"),
    );
    wait_until(
        "the daemon to notice",
        || {
            env.ok(&["ls", "--json"])
                .contains("\"clients\": 0")
                .then_some(())
        },
        || env.log_tail(),
    );
}

#[test]
fn a_read_only_client_cannot_type_or_resize() {
    if !tools() {
        return;
    }
    let env = TestEnv::new();
    let _daemon = Daemon::start(&env);
    env.ok(&["new", "-d", "-s", "ro", "-x", "70", "-y", "20"]);
    let outer = Outer::start(&env.shell_line(&["attach", "-r", "-t", "ro"]), 90, 30);
    outer.wait_for("main", "a prompt", &env, prompt_ready);
    outer.run("main", "echo typed-by-viewer");
    outer.wait_for("main", "the read-only notice", &env, |s| {
        s.contains("read-only")
    });
    env.ok(&["send", "-t", "ro", "echo typed-by-owner", "Enter"]);
    outer.wait_for("main", "the owner's output", &env, |s| {
        s.lines()
            .any(|l| l.trim_end_matches(['·', ' ']) == "typed-by-owner")
    });
    let screen = env.capture("ro");
    assert!(!screen.contains("typed-by-viewer"), "{screen}");
    let json = env.ok(&["ls", "--json"]);
    assert!(
        json.contains("\"cols\": 70"),
        "a read-only client never resizes: {json}"
    );
}

#[test]
fn the_client_is_told_when_the_program_exits() {
    if !tools() {
        return;
    }
    let env = TestEnv::new();
    let _daemon = Daemon::start(&env);
    let outer = Outer::start(
        &env.shell_line(&[
            "new",
            "-s",
            "x",
            "--",
            "sh",
            "-c",
            "echo bye; sleep 1; exit 3",
        ]),
        80,
        24,
    );
    outer.wait_for("main", "the program's output", &env, |s| s.contains("bye"));
    outer.wait_for("main", "the exit status", &env, |s| {
        s.contains("[exited (exit status 3)]")
    });
    assert_eq!(outer.wait_exit("main", &env), 0);
    assert_eq!(outer.format("main", "#{alternate_on}"), "0");
    assert!(!env.ok(&["ls"]).contains("x:"), "the session is gone");
}

#[test]
fn output_made_while_detached_is_there_on_attach() {
    if !tools() {
        return;
    }
    let env = TestEnv::new();
    let _daemon = Daemon::start(&env);
    env.ok(&[
        "new",
        "-d",
        "-s",
        "bg",
        "--",
        "sh",
        "-c",
        "seq 1 200; echo done-printing; exec sleep 1000",
    ]);
    wait_until(
        "output",
        || env.capture("bg").contains("done-printing").then_some(()),
        || env.log_tail(),
    );
    let outer = Outer::start(&env.shell_line(&["attach", "-t", "bg"]), 80, 24);
    outer.wait_for("main", "the output", &env, |s| s.contains("done-printing"));
    // Scroll mode reaches output from long before.
    outer.keys("main", &["C-b", "["]);
    outer.keys("main", &["g"]);
    outer.wait_for("main", "the start of history", &env, |s| {
        s.starts_with("1\n2\n3\n")
    });
    outer.keys("main", &["q"]);
    outer.wait_for("main", "the live screen", &env, |s| {
        s.contains("done-printing")
    });
}

#[test]
fn wrapd_attach_alone_starts_the_daemon_and_a_session() {
    if !tools() {
        return;
    }
    let env = TestEnv::new();
    assert!(!env.socket().exists());
    let outer = Outer::start(&env.shell_line(&[]), 80, 24);
    outer.wait_for("main", "a prompt", &env, prompt_ready);
    assert!(env.socket().exists(), "the daemon was started");
    outer.keys("main", &["C-b", "d"]);
    outer.wait_exit("main", &env);
    // Alone again: attaches to that session rather than making another.
    outer.open("again", &env.shell_line(&[]), 80, 24);
    outer.wait_for("again", "a prompt", &env, prompt_ready);
    let ls = env.ok(&["ls"]);
    assert_eq!(ls.lines().count(), 1, "{ls}");
}

#[test]
fn losing_the_daemon_restores_the_terminal() {
    if !tools() {
        return;
    }
    let env = TestEnv::new();
    let mut daemon = Daemon::start(&env);
    let outer = Outer::start(&env.shell_line(&["new", "-s", "d"]), 80, 24);
    outer.wait_for("main", "a prompt", &env, prompt_ready);
    daemon.stop();
    outer.wait_for("main", "the client's message", &env, |s| {
        s.contains("[server exited]") || s.contains("[lost server")
    });
    outer.wait_exit("main", &env);
    assert_eq!(outer.format("main", "#{alternate_on}"), "0");
}

/// The help box as a screen shows it.
struct HelpBox {
    /// Its rows, between its side borders.
    rows: Vec<String>,
    /// Its bottom title's `FIRST-LAST of TOTAL` (`None`: all of it shows).
    range: Option<(usize, usize, usize)>,
}

fn help_box(screen: &str) -> Option<HelpBox> {
    let mut lines = screen.lines().skip_while(|l| !l.contains("wrapd keys"));
    lines.next()?;
    let mut rows = Vec::new();
    for line in lines {
        if let Some(inner) = line.trim_end().strip_prefix('│') {
            rows.push(inner.trim_end_matches('│').trim_end().to_owned());
            continue;
        }
        let bottom = line.strip_prefix('└')?;
        let range = bottom
            .split(" of ")
            .next()
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|r| r.split_once('-'))
            .zip(
                bottom
                    .split(" of ")
                    .nth(1)
                    .and_then(|t| t.split(',').next()),
            )
            .and_then(|((a, b), n)| Some((a.parse().ok()?, b.parse().ok()?, n.parse().ok()?)));
        return Some(HelpBox { rows, range });
    }
    None
}

/// `C-b ?` in a small terminal: the help fits it, each description whole
/// (wrapped, not cut), scrolls to show the rest, and lists every key in
/// effect: the user's own binding, the digits, scroll mode's keys.
#[test]
fn help_fits_a_small_terminal_and_lists_every_key() {
    if !tools() {
        return;
    }
    let env = TestEnv::new();
    let dir = env.dir.path().join("config/wrapd");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        "[client.bindings]\nx = \"detach\"\n4 = \"choose-session\"\n",
    )
    .unwrap();
    let _daemon = Daemon::start(&env);
    let outer = Outer::start(&env.shell_line(&["new", "-s", "small"]), 36, 10);
    outer.wait_for("main", "a prompt", &env, prompt_ready);
    outer.keys("main", &["C-b", "?"]);
    let mut seen = std::collections::BTreeMap::new();
    let mut last_page = None;
    let total = loop {
        let screen = outer.wait_for("main", "the next page of help", &env, |s| {
            help_box(s).is_some_and(|b| b.range.is_some() && b.range != last_page)
        });
        let HelpBox { rows, range } = help_box(&screen).unwrap();
        let (first, last, total) = range.unwrap();
        assert_eq!(rows.len(), last + 1 - first, "{screen}");
        for (n, row) in (first..=last).zip(rows) {
            seen.insert(n, row);
        }
        if last == total {
            break total;
        }
        last_page = range;
        outer.keys("main", &["Space"]);
    };
    assert_eq!(seen.len(), total, "every row was shown: {seen:#?}");
    let words = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    let help = words(&seen.into_values().collect::<Vec<_>>().join(" "));
    for entry in [
        "C-b x detach (the session keeps running)",
        "C-b d detach (the session keeps running)",
        "C-b 4 choose a session",
        "C-b 1..3 5..9 in a shared session: jump to the highlight of the participant \
         with that badge (counted left to right as shown, yours included)",
        "C-b C-b send the prefix key itself",
        "C-b ? this help",
        "In scroll mode:",
        "q Esc leave scroll mode",
    ] {
        assert!(help.contains(entry), "`{entry}` in: {help}");
    }
    // Any key that does not scroll closes it; the session is still there.
    outer.keys("main", &["q"]);
    outer.wait_for("main", "the help closed", &env, |s| {
        !s.contains("wrapd keys") && prompt_ready(s)
    });
    outer.run("main", "echo still-attached");
    outer.wait_for("main", "the shell", &env, |s| {
        s.contains("\nstill-attached")
    });
}
