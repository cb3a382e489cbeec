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
