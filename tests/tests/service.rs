//! wrapd-muxd as a systemd user service, with systemd's own tools: socket
//! activation under `systemd-socket-activate` (the first client connection
//! starts the daemon, which reports READY=1 and reloads its config on SIGHUP),
//! and the installed unit files under `systemd-analyze verify`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};

use wrapd_e2e::{TIMEOUT, TestEnv, bin, require, stop_child, wait_until};

/// The next notification the daemon sends to `socket`.
fn next_notice(socket: &UnixDatagram) -> String {
    let mut buf = [0; 512];
    let n = socket
        .recv(&mut buf)
        .expect("a notification from the daemon in time");
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

fn comm(pid: u32) -> String {
    fs::read_to_string(format!("/proc/{pid}/comm"))
        .unwrap_or_default()
        .trim()
        .to_owned()
}

#[test]
fn socket_activation_starts_the_daemon_on_the_first_connection() {
    if !require("systemd-socket-activate") {
        return;
    }
    let env = TestEnv::new();
    let socket = env.socket();
    let dir = socket.parent().unwrap();
    fs::create_dir_all(dir).unwrap();
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).unwrap();
    let notify_path = env.dir.path().join("notify.sock");
    let notify = UnixDatagram::bind(&notify_path).unwrap();
    notify.set_read_timeout(Some(TIMEOUT)).unwrap();

    let mut cmd = Command::new("systemd-socket-activate");
    cmd.arg("--listen").arg(&socket);
    let mut vars = env.vars();
    vars.push(("NOTIFY_SOCKET".into(), notify_path.clone().into()));
    vars.push(("WRAPD_LOG".into(), "wrapd_muxd=debug,info".into()));
    for (k, _) in &vars {
        cmd.args(["-E", k]);
    }
    let log = fs::File::create(env.daemon_log()).unwrap();
    // The daemon's own config file (the client reads the user's).
    let config = env.dir.path().join("daemon.toml");
    let mut activator = cmd
        .arg(bin("wrapd-muxd"))
        .args(["serve", "--config"])
        .arg(&config)
        .env_clear()
        .envs(vars)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let pid = activator.id();
    wait_until(
        "systemd-socket-activate to listen",
        || socket.exists().then_some(()),
        || env.log_tail(),
    );
    assert_ne!(comm(pid), "wrapd-muxd", "started before any connection");

    // The first connection (`ls` only connects: it never starts a daemon).
    fs::write(&config, "").unwrap();
    env.ok(&["ls"]);
    assert_eq!(comm(pid), "wrapd-muxd");
    assert_eq!(next_notice(&notify), format!("READY=1\nMAINPID={pid}"));
    assert!(
        fs::read_to_string(env.daemon_log())
            .unwrap()
            .contains("socket activation"),
        "{}",
        env.log_tail()
    );
    env.ok(&["new", "-d", "-s", "one"]);

    // Reload: a limit set in the config now applies.
    fs::write(&config, "[limits]\nmax_sessions = 1\n").unwrap();
    let hup = |what: &str| {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid as i32),
            nix::sys::signal::Signal::SIGHUP,
        )
        .unwrap();
        assert_eq!(next_notice(&notify), "RELOADING=1", "{what}");
        assert_eq!(next_notice(&notify), "READY=1", "{what}");
    };
    hup("reload");
    let out = env.attach_cmd(&["new", "-d", "-s", "two"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("limits.max_sessions"),
        "{err}"
    );

    // A broken config is reported and changes nothing.
    fs::write(&config, "[limits\n").unwrap();
    hup("bad reload");
    assert!(
        fs::read_to_string(env.daemon_log())
            .unwrap()
            .contains("kept the previous settings"),
        "{}",
        env.log_tail()
    );
    assert!(env.ok(&["ls"]).contains("one"));

    // Stopping leaves the socket to its owner (systemd).
    stop_child(&mut activator);
    assert!(socket.exists());
}

#[test]
fn installed_units_pass_systemd_analyze_verify() {
    if !require("systemd-analyze") || !require("man") {
        return;
    }
    let env = TestEnv::new();
    let out = env
        .command("wrapd-muxd")
        .arg("install-service")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("systemctl --user enable --now wrapd-muxd.socket"),
        "{stdout}"
    );
    let units = env.dir.path().join("config/systemd/user");
    let service = units.join("wrapd-muxd.service");
    let text = fs::read_to_string(&service).unwrap();
    assert!(
        text.contains(&format!("ExecStart={} serve", bin("wrapd-muxd").display())),
        "{text}"
    );

    // The units' documentation is our man page: installed where `man` looks,
    // systemd-analyze finds it.
    assert!(
        text.contains("\nDocumentation=man:wrapd-muxd(1)\n"),
        "{text}"
    );
    let man = env.dir.path().join("man");
    let out = env
        .command("wrapd-muxd")
        .arg("man")
        .arg("--dir")
        .arg(man.join("man1"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");

    let verify = Command::new("systemd-analyze")
        .envs(env.vars())
        .env("MANPATH", &man)
        .args(["verify", "--user"])
        .arg(&service)
        .arg(units.join("wrapd-muxd.socket"))
        .output()
        .unwrap();
    // verify exits 0 on some bad settings, but complains on stderr.
    let complaints: Vec<String> = String::from_utf8_lossy(&verify.stderr)
        .lines()
        .filter(|l| l.contains("wrapd-muxd"))
        .map(str::to_owned)
        .collect();
    assert!(
        verify.status.success() && complaints.is_empty(),
        "systemd-analyze verify: {verify:?}"
    );

    let out = env
        .command("wrapd-muxd")
        .arg("uninstall-service")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!service.exists() && !units.join("wrapd-muxd.socket").exists());
}
