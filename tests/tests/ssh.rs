//! `wrapd-attach ssh://HOST/SESSION` through a real OpenSSH server on a
//! loopback port: attaching to one's own session on the "remote" daemon
//! (started by `wrapd-muxd bridge` there), reconnecting when the route
//! drops, and the error for each way it fails.

use wrapd_e2e::ssh::{Auth, DOWN_HOST, HOST, RemotePath, SSHD, Sshd};
use wrapd_e2e::{Outer, TestEnv, require, require_file, session_rows};

fn tools() -> bool {
    require("tmux")
        && require("ssh")
        && require("ssh-keygen")
        && require_file(SSHD, "openssh-server")
}

/// A local environment whose `ssh` reaches `sshd` as [`HOST`].
fn local_for(sshd: &Sshd) -> TestEnv {
    let mut local = TestEnv::new();
    local.extra_vars.push(("PATH".into(), sshd.client_path()));
    local
}

#[test]
fn ssh_url_attaches_to_own_session_on_the_remote_daemon() {
    if !tools() {
        return;
    }
    let remote = TestEnv::new();
    let sshd = Sshd::start(&remote, Auth::ClientKey, RemotePath::WithWrapd);
    let local = local_for(&sshd);
    let url = format!("ssh://{HOST}/work");
    let outer = Outer::start(&local.shell_line(&[&url]), 80, 24);
    let diagnose = |what: &str, pred: &dyn Fn(&str) -> bool| {
        wrapd_e2e::wait_until(
            what,
            || {
                let s = outer.screen("main");
                pred(&s).then_some(s)
            },
            || {
                format!(
                    "--- screen ---\n{}\n{}\n{}",
                    outer.screen("main"),
                    remote.log_tail(),
                    sshd.log()
                )
            },
        )
    };
    diagnose("the remote shell's prompt", &|s| {
        session_rows(s).iter().any(|r| r.starts_with("$"))
    });
    outer.run("main", "echo remote-$((6*7))");
    diagnose("the command's output", &|s| s.contains("remote-42"));

    // The route drops and stays down a while: the client says so, and once
    // ssh works again it resumes by itself and catches up.
    sshd.hold_client();
    for pid in wrapd_e2e::children(outer.client_pid("main")) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    diagnose("the client reconnecting", &|s| s.contains("reconnecting…"));
    remote.ok(&[
        "send",
        "-t",
        "work",
        "echo during-the-drop-$((6*7))",
        "Enter",
    ]);
    sshd.release_client();
    diagnose("the client caught up", &|s| {
        s.contains("during-the-drop-42") && !s.contains("reconnecting…")
    });

    // It is the remote daemon's session (the bridge started that daemon), and
    // no daemon was started here.
    let listed = remote.ok(&["ls"]);
    assert!(listed.contains("work"), "{listed}");
    assert!(remote.capture("work").contains("remote-42"));
    assert!(!local.socket().exists(), "a local daemon was started");

    // Detach: the client ends well, the remote session lives on.
    outer.keys("main", &["C-b", "d"]);
    assert_eq!(
        outer.wait_exit("main", &local),
        0,
        "{}",
        outer.screen("main")
    );
    assert!(remote.ok(&["ls"]).contains("work"));

    // Again, now that the remote daemon runs: the same session, with its screen.
    outer.open("again", &local.shell_line(&[&url]), 80, 24);
    outer.wait_for("again", "the same session again", &local, |s| {
        s.contains("remote-42")
    });
    outer.keys("again", &["C-b", "d"]);
    assert_eq!(outer.wait_exit("again", &local), 0);
}

/// Run `wrapd-attach URL` in `local`; it must fail; its stderr.
fn failure(local: &TestEnv, url: &str) -> String {
    let out = local.attach_cmd(&[url]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{url} worked: {stderr}");
    stderr
}

#[test]
fn refused_key_is_an_authentication_error() {
    if !tools() {
        return;
    }
    let remote = TestEnv::new();
    let sshd = Sshd::start(&remote, Auth::OtherKey, RemotePath::WithWrapd);
    let e = failure(&local_for(&sshd), &format!("ssh://{HOST}/x"));
    assert!(
        e.contains(&format!("ssh authentication to {HOST} failed"))
            && e.contains("Permission denied"),
        "{e}\n{}",
        sshd.log()
    );
}

#[test]
fn missing_remote_binary_is_named() {
    if !tools() {
        return;
    }
    let remote = TestEnv::new();
    let sshd = Sshd::start(&remote, Auth::ClientKey, RemotePath::SystemOnly);
    let e = failure(&local_for(&sshd), &format!("ssh://{HOST}"));
    assert!(
        e.contains(&format!("no `wrapd-muxd` on the remote PATH of {HOST}")),
        "{e}\n{}",
        sshd.log()
    );
}

#[test]
fn remote_daemon_refusal_is_named() {
    if !tools() {
        return;
    }
    let remote = TestEnv::new();
    // The remote user's config is broken: the remote wrapd-muxd refuses to start.
    let config = remote.dir.path().join("config/wrapd");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.toml"), "[limits]\nmax_sessions = 0\n").unwrap();
    let sshd = Sshd::start(&remote, Auth::ClientKey, RemotePath::WithWrapd);
    let e = failure(&local_for(&sshd), &format!("ssh://{HOST}/x"));
    assert!(
        e.contains(&format!("the remote wrapd-muxd on {HOST} refused"))
            && e.contains("limits.max_sessions"),
        "{e}\n{}",
        sshd.log()
    );
}

#[test]
fn unreachable_host_and_missing_ssh_are_named() {
    if !tools() {
        return;
    }
    let remote = TestEnv::new();
    let sshd = Sshd::start(&remote, Auth::ClientKey, RemotePath::WithWrapd);
    let e = failure(&local_for(&sshd), &format!("ssh://{DOWN_HOST}/x"));
    assert!(
        e.contains(&format!("cannot reach {DOWN_HOST} through ssh")) && e.contains("refused"),
        "{e}"
    );

    let mut no_ssh = TestEnv::new();
    let empty = no_ssh.dir.path().join("empty-bin");
    std::fs::create_dir(&empty).unwrap();
    no_ssh.extra_vars.push(("PATH".into(), empty.into()));
    let e = failure(&no_ssh, &format!("ssh://{HOST}/x"));
    assert!(e.contains("ssh is not installed"), "{e}");

    let e = failure(&no_ssh, "ssh://-oProxyCommand=touch%20x/s");
    assert!(e.contains("is not a host name"), "{e}");
}
