//! The `wrapd-attach` binary's command line, without a daemon.

use std::process::Command;

fn wrapd_attach() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wrapd-attach"));
    c.env_remove("WRAPD_SOCKET");
    c
}

#[test]
fn every_command_has_help() {
    for cmd in [
        &[][..],
        &["new"],
        &["attach"],
        &["ls"],
        &["kill"],
        &["rename"],
        &["capture"],
        &["send"],
        &["share"],
        &["share", "ls"],
        &["share", "stop"],
        &["share", "audit"],
        &["access"],
    ] {
        let out = wrapd_attach().args(cmd).arg("--help").output().unwrap();
        assert!(out.status.success(), "{cmd:?} --help failed");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Usage:"), "{cmd:?} --help: {text}");
    }
}

#[test]
fn commands_that_need_a_daemon_say_how_to_start_one() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("none.sock");
    for cmd in [
        &["ls"][..],
        &["attach"],
        &["capture", "-t", "x"],
        &["kill", "-t", "x"],
    ] {
        let out = wrapd_attach()
            .arg("--socket")
            .arg(&socket)
            .args(cmd)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{cmd:?} succeeded without a daemon");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("cannot reach wrapd-muxd"), "{cmd:?}: {err}");
        assert!(err.contains("wrapd-muxd"), "{cmd:?}: {err}");
        assert!(!socket.exists(), "{cmd:?} must not start a daemon");
    }
}

#[test]
fn bad_arguments_are_refused_by_the_parser() {
    let out = wrapd_attach().args(["kill"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = wrapd_attach().args(["send", "-t", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// A joiner's messages for links that cannot let them in by themselves,
/// before anything is sent anywhere.
#[test]
fn a_link_without_its_secret_says_what_to_ask_the_owner_for() {
    let dir = tempfile::tempdir().unwrap();
    let join = |link: &str| {
        let out = wrapd_attach()
            .env("HOME", dir.path())
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .arg(link)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{link} joined");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let pin = "0".repeat(64);
    // The form `share ls` prints: no secret, not a team link.
    let err = join(&format!("wrapd://127.0.0.1:9/s/abc?ca=sha256:{pin}"));
    assert!(err.contains("this link has no secret"), "{err}");
    assert!(err.contains("Ask the owner for the whole link"), "{err}");
    assert!(
        err.contains("`wrapd-attach access -t SESSION --link viewer`"),
        "{err}"
    );
    assert!(!err.contains("[identity] certificate"), "{err}");
    // A team link without a team identity: what to set.
    let err = join(&format!("wrapd://127.0.0.1:9/s/abc?ca=sha256:{pin}&team=1"));
    assert!(err.contains("this is a team link"), "{err}");
    assert!(err.contains("[identity] certificate"), "{err}");
    assert!(!dir.path().join("data/wrapd/joined").exists());
}
