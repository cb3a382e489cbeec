//! SIGHUP applies what used to need a restart, on the real binary: the share
//! port moves to the reloaded `share.listen` (the old port is closed), the
//! session is untouched, and `share ls` shows the new address.

use std::fs;
use std::net::{SocketAddr, TcpListener, TcpStream};

use wrapd_e2e::{Daemon, TestEnv, wait_until};

/// Two distinct free ports on loopback.
fn free_ports() -> (SocketAddr, SocketAddr) {
    let a = TcpListener::bind("127.0.0.1:0").unwrap();
    let b = TcpListener::bind("127.0.0.1:0").unwrap();
    (a.local_addr().unwrap(), b.local_addr().unwrap())
}

fn write_config(env: &TestEnv, listen: SocketAddr) {
    let dir = env.dir.path().join("config/wrapd");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("config.toml"),
        format!("[share]\nlisten = \"{listen}\"\n"),
    )
    .unwrap();
}

#[test]
fn sighup_moves_the_share_port_and_leaves_the_session_alone() {
    let env = TestEnv::new();
    let (old, new) = free_ports();
    write_config(&env, old);
    let daemon = Daemon::start(&env);
    env.ok(&["new", "-d", "-s", "work", "--", "cat"]);
    let pid_of_work = || {
        let list: serde_json::Value = serde_json::from_str(&env.ok(&["ls", "--json"])).unwrap();
        list[0]["pid"].as_u64().unwrap()
    };
    let pid = pid_of_work();
    let shared = env.ok(&["share", "-t", "work"]);
    assert!(shared.contains(&format!("wrapd://{old}/")), "{shared}");
    TcpStream::connect(old).expect("the share port listens");

    write_config(&env, new);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(daemon.pid()),
        nix::sys::signal::Signal::SIGHUP,
    )
    .unwrap();
    wait_until(
        "the share port on the new address, and the old one closed",
        || (TcpStream::connect(new).is_ok() && TcpStream::connect(old).is_err()).then_some(()),
        || env.log_tail(),
    );
    let listed = env.ok(&["share", "ls"]);
    assert!(listed.contains(&format!("wrapd://{new}/")), "{listed}");
    assert!(!listed.contains(&old.to_string()), "{listed}");
    // The session did not notice.
    assert_eq!(pid_of_work(), pid);
    env.ok(&["send", "-t", "work", "still-here", "Enter"]);
    wait_until(
        "the session's echo",
        || env.capture("work").contains("still-here").then_some(()),
        || env.log_tail(),
    );
    let log = fs::read_to_string(env.daemon_log()).unwrap();
    assert!(log.contains("share port moved"), "{log}");
}
