//! Sharing end to end: the owner's client and a collaborator's client in two
//! tmux windows, a real daemon with its share port on loopback, real TLS.

use std::fs;

use wrapd_e2e::relay::Relay;
use wrapd_e2e::{Daemon, Outer, TestEnv, require, wait_until};

fn tools() -> bool {
    require("tmux") && require("bash")
}

fn prompt_ready(s: &str) -> bool {
    s.lines().any(|l| l == "$" || l.starts_with("$ "))
}

/// A free loopback port for the daemon's share listener.
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// The owner's environment: a daemon whose share port is `port`.
fn owner_env(port: u16) -> TestEnv {
    owner_env_with(port, "")
}

/// The same, with more settings for `[share]`.
fn owner_env_with(port: u16, share_settings: &str) -> TestEnv {
    let env = TestEnv::new();
    let config = env.dir.path().join("config/wrapd");
    fs::create_dir_all(&config).unwrap();
    fs::write(
        config.join("config.toml"),
        format!(
            "[share]\nlisten = \"127.0.0.1:{port}\"\n{share_settings}\n\
             [identity]\nname = \"Olive Owner\"\nemail = \"olive@example.org\"\n"
        ),
    )
    .unwrap();
    env
}

/// The link the share menu shows: its rows between the box's borders, put
/// back together (a link is cut into rows of the menu's width).
fn shown_link(screen: &str) -> Option<String> {
    let mut rows = screen
        .lines()
        .skip_while(|l| !l.contains("wrapd://"))
        .map(|l| l.trim_matches(|c: char| c == '│' || c.is_whitespace()));
    let first = rows.next()?;
    let mut link = first[first.find("wrapd://")?..].to_owned();
    for row in rows {
        if row.is_empty() || row.contains(' ') {
            break;
        }
        link.push_str(row);
    }
    Some(link)
}

/// The first `wrapd://` link in some output.
fn first_link(out: &str) -> String {
    out.split_whitespace()
        .find(|w| w.starts_with("wrapd://"))
        .unwrap_or_else(|| panic!("no link in: {out}"))
        .to_owned()
}

#[test]
fn a_collaborator_joins_asks_for_control_is_granted_and_types() {
    if !tools() {
        return;
    }
    let port = free_port();
    let owner = owner_env(port);
    let _daemon = Daemon::start(&owner);
    let outer = Outer::start(&owner.shell_line(&["new", "-s", "main"]), 120, 24);
    outer.wait_for("main", "the owner's prompt", &owner, prompt_ready);

    let shared = owner.ok(&["share", "-t", "main", "--link", "viewer"]);
    let link = first_link(&shared);
    assert!(link.contains(&format!(":{port}/s/")), "{shared}");

    let collab = TestEnv::new();
    let join = collab.shell_line(&[&link, "--name", "Bob Builder", "--email", "bob@example.org"]);
    outer.open("bob", &join, 120, 24);
    outer.wait_for("bob", "Bob joined as a viewer", &owner, |s| {
        s.contains("[viewer · shared by") && prompt_ready(s)
    });
    // The owner sees Bob's badge.
    outer.wait_for("main", "Bob's badge at the owner's", &owner, |s| {
        s.lines().last().unwrap_or("").contains("Bob Build")
    });
    // Joining left a private certificate behind.
    let joined = collab.home().join(".local/share/wrapd/joined");
    let dirs: Vec<_> = fs::read_dir(&joined).unwrap().flatten().collect();
    assert_eq!(dirs.len(), 1, "one joined share");
    use std::os::unix::fs::MetadataExt;
    assert_eq!(dirs[0].metadata().unwrap().mode() & 0o777, 0o700);
    assert_eq!(
        fs::metadata(dirs[0].path().join("key.pem")).unwrap().mode() & 0o777,
        0o600
    );

    // A viewer's typing goes to the daemon, which refuses it and says so.
    outer.run("bob", "echo sneaky-viewer");
    outer.wait_for("bob", "the daemon's refusal", &owner, |s| {
        s.contains("you are a viewer")
    });

    // Bob asks for control; the owner sees the request and grants it.
    outer.keys("bob", &["C-b", "c"]);
    wait_until(
        "the request in `share ls`",
        || {
            let ls = owner.ok(&["share", "ls"]);
            ls.contains("asks for control").then_some(ls)
        },
        || owner.log_tail(),
    );
    owner.ok(&["access", "-t", "main", "--allow-control", "bob@example.org"]);
    outer.wait_for("bob", "Bob is an editor", &owner, |s| {
        s.contains("[editor · shared by")
    });

    outer.run("bob", "echo typed-by-bob-$((6*7))");
    outer.wait_for("bob", "the command's output at Bob's", &owner, |s| {
        s.contains("typed-by-bob-42\n")
    });
    let at_owner = outer.wait_for("main", "the command's output at the owner's", &owner, |s| {
        s.contains("typed-by-bob-42\n")
    });
    assert!(!at_owner.contains("sneaky"), "{at_owner}");
    // Bob highlights his block (scroll mode selects the last one); the owner
    // jumps to it from Bob's avatar (the second badge: the owner's is first).
    outer.keys("bob", &["C-b", "{"]);
    outer.wait_for("bob", "Bob's block selected", &owner, |s| {
        s.contains("[block ")
    });
    wait_until(
        "Bob's highlight known to the daemon",
        || {
            let ls = owner.ok(&["share", "ls", "--json"]);
            ls.contains("\"block_id\"").then_some(())
        },
        || owner.log_tail(),
    );
    outer.keys("main", &["C-b", "2"]);
    let jumped = wait_until(
        "the owner at Bob's highlight",
        || {
            let s = outer.screen("main");
            if s.contains("highlights nothing") {
                // Its presence update was still on the way: again (a
                // failed jump stays in normal mode, so nothing is typed).
                outer.keys("main", &["C-b", "2"]);
            }
            s.contains("Bob Builder's highlight").then_some(s)
        },
        || format!("{}\n{}", outer.screen("main"), owner.log_tail()),
    );
    assert!(jumped.contains("[block "), "{jumped}");
    outer.keys("bob", &["q"]);

    let audit = owner.ok(&["share", "audit", "-t", "main"]);
    assert!(
        audit.contains("Bob Builder <bob@example.org> input"),
        "{audit}"
    );

    // Bob leaves and comes back: the same certificate, no second enrollment.
    let cert = dirs[0].path().join("cert.pem");
    let first_cert = fs::read_to_string(&cert).unwrap();
    outer.keys("bob", &["C-b", "d"]);
    assert_eq!(outer.wait_exit("bob", &owner), 0);
    outer.open("bob2", &join, 120, 24);
    outer.wait_for("bob2", "Bob back", &owner, |s| {
        s.contains("typed-by-bob-42")
    });
    assert_eq!(fs::read_to_string(&cert).unwrap(), first_cert);

    // A link whose pin is not this daemon's CA: refused before anything is sent.
    let pin_at = link.find("ca=sha256:").unwrap() + "ca=sha256:".len();
    let mut wrong = link.clone();
    wrong.replace_range(pin_at..pin_at + 64, &"0".repeat(64));
    let out = TestEnv::new().attach_cmd(&[&wrong]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("the daemon's CA does not match the link's pin: refusing to connect"),
        "{err}"
    );

    // Removed: Bob's client ends at once with the daemon's reason.
    owner.ok(&["access", "-t", "main", "--remove", "bob@example.org"]);
    let gone = outer.wait_for("bob2", "Bob's client to end", &owner, |s| {
        s.contains("[client exited: ")
    });
    assert!(gone.contains("removed you"), "{gone}");
    // His certificate is refused from now on, with a message that says so
    // (the link without its secret: only the stored certificate is tried).
    let without_secret = link.split('#').next().unwrap();
    let out = collab.attach_cmd(&[without_secret]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("certificate has been revoked"), "{err}");

    owner.ok(&["share", "stop", "-t", "main"]);
    let ls = owner.ok(&["share", "ls"]);
    assert!(ls.contains("no shares"), "{ls}");
}

#[test]
fn the_owner_shares_and_grants_from_the_share_menu() {
    if !tools() {
        return;
    }
    let port = free_port();
    let owner = owner_env(port);
    let _daemon = Daemon::start(&owner);
    let outer = Outer::start(&owner.shell_line(&["new", "-s", "menu"]), 120, 24);
    outer.tmux(&["set", "-g", "set-clipboard", "on"]);
    outer.tmux(&["set-buffer", "nothing copied yet"]);
    outer.wait_for("main", "the owner's prompt", &owner, prompt_ready);
    outer.run("main", "echo before-sharing-$((6*7))");
    outer.wait_for("main", "the echo", &owner, |s| {
        s.contains("before-sharing-42\n")
    });

    // Prefix S: the menu of an unshared session; Enter shares with scrollback
    // and the menu shows the whole link, "copy" selected.
    outer.keys("main", &["C-b", "S"]);
    outer.wait_for("main", "the share menu", &owner, |s| {
        s.contains("share with scrollback")
    });
    outer.keys("main", &["Enter"]);
    let menu = outer.wait_for("main", "the link in the menu", &owner, |s| {
        shown_link(s).is_some_and(|l| l.contains('#'))
    });
    let link = shown_link(&menu).unwrap();
    assert!(menu.contains("copy link to the clipboard"), "{menu}");
    // Enter copies it too (OSC 52, which this tmux passes on).
    outer.keys("main", &["Enter"]);
    let copied = wait_until(
        "the link on the clipboard",
        || {
            let b = outer.tmux(&["show-buffer"]);
            b.starts_with("wrapd://").then_some(b)
        },
        || owner.log_tail(),
    );
    assert_eq!(copied, link, "the clipboard has the link shown");
    // The menu shows it again later.
    outer.keys("main", &["C-b", "S"]);
    let again = outer.wait_for("main", "the link in the menu again", &owner, |s| {
        shown_link(s).is_some()
    });
    assert_eq!(shown_link(&again).as_deref(), Some(link.as_str()));
    outer.keys("main", &["q"]);
    let ls = owner.ok(&["share", "ls"]);
    let share_id = link.split("/s/").nth(1).and_then(|r| r.split('?').next());
    assert!(ls.contains(share_id.unwrap()), "{link} in: {ls}");
    // `share ls` lists the link without its secret, says so, and how to
    // make a new one; someone given that form is told what to ask for.
    assert!(!ls.contains('#'), "{ls}");
    assert!(ls.contains("shown once"), "{ls}");
    assert!(
        ls.contains("`wrapd-attach access -t menu --link viewer`"),
        "{ls}"
    );
    let listed = first_link(&ls);
    let out = TestEnv::new().attach_cmd(&[&listed]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("this link has no secret"), "{err}");
    assert!(err.contains("access -t SESSION --link viewer"), "{err}");
    assert!(!err.contains("team"), "not a team link: {err}");

    let collab = TestEnv::new();
    let join = collab.shell_line(&[&link, "--name", "Carol", "--email", "carol@example.org"]);
    outer.open("carol", &join, 120, 24);
    outer.wait_for("carol", "Carol sees the history", &owner, |s| {
        s.contains("before-sharing-42") && s.contains("[viewer · shared by")
    });

    // The menu now lists her: copy link, grant edit, remove, stop.
    outer.keys("main", &["C-b", "S"]);
    outer.wait_for("main", "Carol in the menu", &owner, |s| {
        s.contains("grant edit: Carol")
    });
    outer.keys("main", &["Down", "Enter"]);
    outer.wait_for("carol", "Carol is an editor", &owner, |s| {
        s.contains("[editor · shared by")
    });
    outer.run("carol", "echo from-carol-$((6*7))");
    outer.wait_for("main", "Carol's command at the owner's", &owner, |s| {
        s.contains("from-carol-42\n")
    });

    // Stop sharing from the menu: Carol is cut off.
    outer.keys("main", &["C-b", "S"]);
    outer.wait_for("main", "the menu again", &owner, |s| {
        s.contains("stop sharing")
    });
    outer.keys("main", &["Up", "Enter"]);
    let last = outer.wait_for("carol", "Carol's client to end", &owner, |s| {
        s.contains("[client exited: ")
    });
    assert!(owner.ok(&["share", "ls"]).contains("no shares"), "{last}");
}

/// What the owner had before sharing — the window title, rows, and the
/// shell's screen beneath a full-screen program — never shows at a joiner's;
/// the full-screen program's screen and what comes after do.
#[test]
fn a_joiner_sees_nothing_from_before_the_share_not_even_the_title() {
    if !tools() || !require("less") {
        return;
    }
    let port = free_port();
    let owner = owner_env(port);
    let _daemon = Daemon::start(&owner);
    let page = owner.home().join("page.txt");
    fs::write(&page, "SHOWN-AT-SHARE\n").unwrap();
    let outer = Outer::start(&owner.shell_line(&["new", "-s", "pre"]), 90, 24);
    outer.wait_for("main", "the owner's prompt", &owner, prompt_ready);
    outer.run(
        "main",
        "printf '\\033]0;PRETITLE\\007'; echo PRE-ROW-$((6*7))",
    );
    outer.wait_for(
        "main",
        "the title and the row at the owner's",
        &owner,
        |s| s.contains("PRE-ROW-42\n") && s.contains("PRETITLE"),
    );
    outer.run("main", &format!("less {}", page.display()));
    outer.wait_for("main", "less at the owner's", &owner, |s| {
        s.contains("SHOWN-AT-SHARE")
    });
    let link = first_link(&owner.ok(&["share", "-t", "pre", "--link", "viewer"]));

    let collab = TestEnv::new();
    outer.open("eve", &collab.shell_line(&[&link, "--name", "Eve"]), 90, 24);
    let at_share = outer.wait_for("eve", "less at Eve's", &owner, |s| {
        s.contains("[viewer · shared by") && s.contains("SHOWN-AT-SHARE")
    });
    assert!(!at_share.contains("PRETITLE"), "{at_share}");
    outer.keys("main", &["q"]);
    outer.wait_for(
        "main",
        "the shell's screen again at the owner's",
        &owner,
        |s| s.contains("PRE-ROW-42\n") && !s.contains("SHOWN-AT-SHARE"),
    );
    outer.run("main", "echo after-$((6*7))");
    let eve = outer.wait_for("eve", "the echo at Eve's", &owner, |s| {
        s.contains("after-42\n")
    });
    assert!(
        !eve.contains("PRE-ROW") && !eve.contains("PRETITLE"),
        "{eve}"
    );
}

#[test]
fn a_collaborator_who_loses_the_network_reconnects_and_catches_up() {
    if !tools() {
        return;
    }
    let port = free_port();
    let owner = owner_env(port);
    let _daemon = Daemon::start(&owner);
    let relay = Relay::start(port);
    let outer = Outer::start(&owner.shell_line(&["new", "-s", "net"]), 90, 24);
    outer.wait_for("main", "the owner's prompt", &owner, prompt_ready);
    let host = format!("127.0.0.1:{}", relay.port);
    let link = first_link(&owner.ok(&["share", "-t", "net", "--host", &host]));
    assert!(link.contains(&host), "{link}");

    let collab = TestEnv::new();
    outer.open("dan", &collab.shell_line(&[&link, "--name", "Dan"]), 90, 24);
    outer.wait_for("dan", "Dan joined", &owner, |s| {
        s.contains("[viewer · shared by") && prompt_ready(s)
    });

    // The network goes down and stays down: Dan's client says so.
    relay.set_up(false);
    outer.run("main", "echo after-the-cut-$((6*7))");
    outer.wait_for("main", "the echo at the owner's", &owner, |s| {
        s.contains("after-the-cut-42\n")
    });
    let down = outer.wait_for("dan", "Dan's client reconnecting", &owner, |s| {
        s.contains("reconnecting…")
    });
    assert!(!down.contains("after-the-cut-42\n"), "{down}");
    // Back up: it resumes by itself and catches up.
    relay.set_up(true);
    let dan = outer.wait_for("dan", "Dan caught up", &owner, |s| {
        s.contains("after-the-cut-42\n") && !s.contains("reconnecting…")
    });
    assert!(!dan.contains("[client exited"), "{dan}");
}

#[test]
fn joining_through_ssh_with_via() {
    use wrapd_e2e::require_file;
    use wrapd_e2e::ssh::{Auth, DOWN_HOST, HOST, RemotePath, SSHD, Sshd};
    if !tools()
        || !require("ssh")
        || !require("ssh-keygen")
        || !require_file(SSHD, "openssh-server")
    {
        return;
    }
    let port = free_port();
    let owner = owner_env(port);
    let _daemon = Daemon::start(&owner);
    let sshd = Sshd::start(&owner, Auth::ClientKey, RemotePath::WithWrapd);
    let outer = Outer::start(&owner.shell_line(&["new", "-s", "far"]), 90, 24);
    outer.wait_for("main", "the owner's prompt", &owner, prompt_ready);
    outer.run("main", "echo over-ssh-$((6*7))");
    // The link says: go through ssh to HOST, then to the share port there.
    let link = first_link(&owner.ok(&["share", "-t", "far", "--via", HOST]));
    assert!(link.contains(&format!("via={HOST}")), "{link}");

    let mut collab = TestEnv::new();
    collab.extra_vars.push(("PATH".into(), sshd.client_path()));
    outer.open("eve", &collab.shell_line(&[&link, "--name", "Eve"]), 90, 24);
    outer.wait_for("eve", "Eve joined through ssh", &owner, |s| {
        s.contains("over-ssh-42") && s.contains("[viewer · shared by")
    });

    // The README's plain-ssh recipes. `ssh -L`: the joiner forwards a port of
    // their own to the owner's loopback share port; `ssh -R`: the owner
    // forwards a port on a host the joiner reaches. Either way the owner puts
    // that address into the link (`--host`); TLS runs end to end inside.
    for (who, flag) in [("fay", "-L"), ("gus", "-R")] {
        let local = free_port();
        let _tunnel = Tunnel::open(&sshd, flag, local, port);
        let out = owner.ok(&[
            "share",
            "-t",
            "far",
            "--host",
            &format!("127.0.0.1:{local}"),
        ]);
        let link = first_link(&out);
        let name = format!("{who} via ssh {flag}");
        outer.open(who, &collab.shell_line(&[&link, "--name", &name]), 90, 24);
        outer.wait_for(who, "a join through an ssh tunnel", &owner, |s| {
            s.contains("over-ssh-42") && s.contains("[viewer · shared by")
        });
        outer.keys(who, &["C-b", "d"]);
    }

    // Through a host where nobody answers, ssh's reason is given.
    let out = collab.attach_cmd(&[&link, "--via", DOWN_HOST]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains(&format!("cannot reach {DOWN_HOST} through ssh")),
        "{err}\n{}",
        sshd.log()
    );
}

#[test]
fn a_team_member_joins_with_the_team_identity() {
    if !tools() {
        return;
    }
    let team = tempfile::tempdir().unwrap();
    let team_dir = team.path().join("team");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(wrapd_e2e::bin("wrapd-muxd"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let dir = team_dir.to_str().unwrap();
    run(&["team", "init", "--dir", dir]);
    let issued = run(&[
        "team",
        "issue",
        "frank@example.org",
        "--name",
        "Frank",
        "--dir",
        dir,
    ]);
    let path_after = |label: &str| {
        issued
            .lines()
            .find_map(|l| l.trim().strip_prefix(label))
            .map(|rest| rest.split_whitespace().next().unwrap().to_owned())
            .unwrap_or_else(|| panic!("no {label} in: {issued}"))
    };
    let (cert, key) = (path_after("certificate:"), path_after("key:"));

    let port = free_port();
    let ca = team_dir.join("ca.pem");
    let owner = owner_env_with(port, &format!("team_ca = \"{}\"", ca.display()));
    let _daemon = Daemon::start(&owner);
    let outer = Outer::start(&owner.shell_line(&["new", "-s", "team"]), 90, 24);
    outer.wait_for("main", "the owner's prompt", &owner, prompt_ready);
    let shared = owner.ok(&["share", "-t", "team", "--team", "viewer"]);
    let link = first_link(&shared);
    assert!(!link.contains('#'), "a team link has no secret: {link}");
    assert!(link.ends_with("&team=1"), "a team link says so: {link}");

    // Without a team identity, the joiner is told what to set.
    let stranger = TestEnv::new();
    let out = stranger.attach_cmd(&[&link]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("[identity] certificate"), "{err}");

    let frank = TestEnv::new();
    let config = frank.dir.path().join("config/wrapd");
    fs::create_dir_all(&config).unwrap();
    fs::write(
        config.join("config.toml"),
        format!("[identity]\ncertificate = \"{cert}\"\nkey = \"{key}\"\n"),
    )
    .unwrap();
    outer.open("frank", &frank.shell_line(&[&link]), 90, 24);
    outer.wait_for("frank", "Frank joined as a team viewer", &owner, |s| {
        s.contains("[viewer · shared by") && prompt_ready(s)
    });
}

/// `ssh -N -L|-R LOCAL:127.0.0.1:PORT` to the test sshd, until dropped.
struct Tunnel(std::process::Child);

impl Tunnel {
    fn open(sshd: &wrapd_e2e::ssh::Sshd, flag: &str, local: u16, port: u16) -> Tunnel {
        let child = std::process::Command::new("ssh")
            .env("PATH", sshd.client_path())
            .args(["-N", "-o", "ExitOnForwardFailure=yes", flag])
            .arg(format!("127.0.0.1:{local}:127.0.0.1:{port}"))
            .arg(wrapd_e2e::ssh::HOST)
            .stdin(std::process::Stdio::null())
            .spawn()
            .expect("ssh runs");
        let tunnel = Tunnel(child);
        wrapd_e2e::wait_until(
            &format!("ssh {flag} to listen on {local}"),
            || std::net::TcpStream::connect(("127.0.0.1", local)).ok(),
            || sshd.log(),
        );
        tunnel
    }
}

impl Drop for Tunnel {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
