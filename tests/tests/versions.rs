//! Versions spoken aloud: after a package upgrade replaces `wrapd-muxd` on
//! disk, the running daemon keeps the old binary and every session; the next
//! `wrapd-attach` says so once (naming `wrapd-muxd upgrade`) and restarts
//! nothing.

use std::fs;

use wrapd_e2e::{Daemon, TestEnv, bin};

const NOTICE: &str = "runs an older binary";

#[test]
fn a_daemon_whose_binary_was_replaced_is_noticed_once_and_left_running() {
    let env = TestEnv::new();
    // The daemon runs from an "installed" copy, which the upgrade replaces.
    let installed = env.dir.path().join("bin/wrapd-muxd");
    fs::create_dir_all(installed.parent().unwrap()).unwrap();
    fs::copy(bin("wrapd-muxd"), &installed).unwrap();
    let daemon = Daemon::start_program(&env, &installed);
    env.ok(&["new", "-d", "-s", "kept", "--", "sleep", "1000"]);
    let stderr = |args: &[&str]| {
        let out = env.attach_cmd(args);
        assert!(out.status.success(), "{out:?}\n{}", env.log_tail());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let before = stderr(&["ls"]);
    assert!(
        !before.contains(NOTICE),
        "nothing was replaced yet: {before}"
    );

    // What a package manager does: the new file renamed over the old path.
    let staged = env.dir.path().join("bin/.wrapd-muxd.new");
    fs::write(&staged, b"#!/bin/sh\necho the next version\n").unwrap();
    fs::rename(&staged, &installed).unwrap();

    let told = stderr(&["ls"]);
    assert!(told.contains(NOTICE), "{told}");
    assert!(told.contains(&installed.display().to_string()), "{told}");
    assert!(told.contains(&format!("pid {}", daemon.pid())), "{told}");
    assert!(told.contains("`wrapd-muxd upgrade`"), "{told}");
    let again = stderr(&["ls"]);
    assert!(
        !again.contains(NOTICE),
        "said once per daemon start: {again}"
    );
    // Nothing was restarted: the same daemon serves the same session (`ls`
    // starts no daemon; a new one would have no session).
    assert!(env.ok(&["ls"]).contains("kept"));
}
