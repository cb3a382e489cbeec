//! `systemctl --user restart wrapd-muxd` keeps every session, through
//! systemd's descriptor store. CI has no systemd user manager, so a stand-in
//! plays its part exactly as systemd does: it passes the socket as fd 3 with
//! `LISTEN_FDS`/`LISTEN_FDNAMES`/`LISTEN_PID`, listens on `NOTIFY_SOCKET`,
//! keeps the descriptors sent with `FDSTORE=1` + `FDNAME=` (SCM_RIGHTS),
//! drops those named by `FDSTOREREMOVE=1`, and passes the kept ones back
//! after the socket at the next start (`$FDSTORE` says how many it keeps).

use std::collections::HashMap;
use std::fs;
use std::io::IoSliceMut;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixDatagram, UnixListener};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};

use nix::sys::socket::{ControlMessageOwned, MsgFlags, recvmsg};
use wrapd_e2e::upgrade::shares;
use wrapd_e2e::{
    COUNTER, TestEnv, bin, count_past, counted, require, session_pids_and_sizes, stop_child,
    wait_until,
};

/// What `FileDescriptorStoreMax=` allows.
const STORE_MAX: usize = 64;
/// The socket unit's descriptor name (systemd's default: the unit's name).
const SOCKET_NAME: &str = "wrapd-muxd.socket";

/// The stand-in for systemd's service manager.
struct Manager {
    socket: UnixListener,
    notify: UnixDatagram,
    notify_path: std::path::PathBuf,
    /// The descriptor store, in the order things were stored.
    store: Vec<(String, OwnedFd)>,
    notices: Vec<String>,
}

impl Manager {
    fn new(env: &TestEnv) -> Manager {
        let path = env.socket();
        let dir = path.parent().unwrap();
        fs::create_dir_all(dir).unwrap();
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).unwrap();
        let notify_path = env.dir.path().join("notify.sock");
        let notify = UnixDatagram::bind(&notify_path).unwrap();
        notify.set_nonblocking(true).unwrap();
        Manager {
            socket: UnixListener::bind(&path).unwrap(),
            notify,
            notify_path,
            store: Vec::new(),
            notices: Vec::new(),
        }
    }

    /// Start the service: the socket as fd 3, the store's descriptors after it.
    fn start(&mut self, env: &TestEnv) -> Child {
        let mut passed: Vec<(String, RawFd)> = vec![(SOCKET_NAME.into(), self.socket.as_raw_fd())];
        passed.extend(self.store.iter().map(|(n, fd)| (n.clone(), fd.as_raw_fd())));
        // Out of the way of 3.. first, so that no dup2 overwrites a source.
        let high: Vec<OwnedFd> = passed
            .iter()
            .map(|(_, fd)| {
                let fd = nix::fcntl::fcntl(
                    unsafe { std::os::fd::BorrowedFd::borrow_raw(*fd) },
                    nix::fcntl::FcntlArg::F_DUPFD_CLOEXEC(1000),
                )
                .unwrap();
                unsafe { OwnedFd::from_raw_fd(fd) }
            })
            .collect();
        let sources: Vec<RawFd> = high.iter().map(AsRawFd::as_raw_fd).collect();
        let names: Vec<&str> = passed.iter().map(|(n, _)| n.as_str()).collect();
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(env.daemon_log())
            .unwrap();
        let mut cmd = Command::new("sh");
        // LISTEN_PID must be the daemon's pid: the shell's, which exec keeps.
        cmd.args(["-c", "LISTEN_PID=$$ exec \"$0\" serve"])
            .arg(bin("wrapd-muxd"))
            .env_clear()
            .envs(env.vars())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("WRAPD_LOG", "wrapd_muxd=debug,info")
            .env("LISTEN_FDS", passed.len().to_string())
            .env("LISTEN_FDNAMES", names.join(":"))
            .env("NOTIFY_SOCKET", &self.notify_path)
            .env("FDSTORE", STORE_MAX.to_string())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        // SAFETY: only dup2 (async-signal-safe) between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                for (i, &fd) in sources.iter().enumerate() {
                    if nix::libc::dup2(fd, 3 + i as RawFd) < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
        let child = cmd.spawn().unwrap();
        drop(high);
        child
    }

    /// Take every notice sent so far, keeping and dropping descriptors as
    /// systemd does.
    fn poll(&mut self) {
        loop {
            let mut buf = [0u8; 4096];
            let mut iov = [IoSliceMut::new(&mut buf)];
            let mut space = nix::cmsg_space!([RawFd; 8]);
            let msg = match recvmsg::<()>(
                self.notify.as_raw_fd(),
                &mut iov,
                Some(&mut space),
                MsgFlags::MSG_CMSG_CLOEXEC,
            ) {
                Ok(m) => m,
                Err(nix::errno::Errno::EAGAIN) => return,
                Err(e) => panic!("notify socket: {e}"),
            };
            let mut fds = Vec::new();
            for c in msg.cmsgs().unwrap() {
                if let ControlMessageOwned::ScmRights(got) = c {
                    fds.extend(
                        got.into_iter()
                            .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }),
                    );
                }
            }
            let len = msg.bytes;
            let text = String::from_utf8_lossy(&buf[..len]).into_owned();
            let fields: HashMap<&str, &str> =
                text.lines().filter_map(|l| l.split_once('=')).collect();
            let name = fields.get("FDNAME").copied().unwrap_or("stored").to_owned();
            if fields.get("FDSTORE") == Some(&"1") {
                assert!(self.store.len() + fds.len() <= STORE_MAX, "over FDSTORE");
                self.store
                    .extend(fds.into_iter().map(|fd| (name.clone(), fd)));
            } else if fields.get("FDSTOREREMOVE") == Some(&"1") {
                self.store.retain(|(n, _)| *n != name);
            }
            self.notices.push(text);
        }
    }

    /// Wait for the service's `READY=1` (forgetting earlier notices).
    fn wait_ready(&mut self, env: &TestEnv) {
        self.notices.clear();
        wait_until(
            "the daemon to say it is ready",
            || {
                self.poll();
                let ready = self.notices.iter().any(|n| n.starts_with("READY=1"));
                ready.then_some(())
            },
            || env.log_tail(),
        );
    }

    fn names(&self) -> Vec<String> {
        self.store.iter().map(|(n, _)| n.clone()).collect()
    }
}

fn alive(pid: u64) -> bool {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), None).is_ok()
        && !fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z ")
}

#[test]
fn a_restart_through_the_descriptor_store_keeps_every_session() {
    if !require("sh") {
        return;
    }
    let env = TestEnv::new();
    let mut manager = Manager::new(&env);
    let mut first = manager.start(&env);
    manager.wait_ready(&env);
    env.ok(&["new", "-d", "-s", "counter", "--", "sh", "-c", COUNTER]);
    let idle = "echo idle-here; exec sleep 1000";
    env.ok(&["new", "-d", "-s", "idle", "--", "sh", "-c", idle]);
    count_past(&env, "counter", 30);
    let before = session_pids_and_sizes(&env);
    let pids: Vec<u64> = before.iter().map(|s| s.1).collect();

    // `systemctl stop`'s SIGTERM: the sessions go to the store, nothing hangs up.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(first.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = first.wait().unwrap();
    assert!(status.success(), "{status:?}\n{}", env.log_tail());
    manager.poll();
    let mut stored = manager.names();
    stored.sort();
    assert_eq!(stored.len(), 3, "{stored:?}");
    assert!(stored.contains(&"wrapd-state".to_owned()), "{stored:?}");
    let ptys = stored.iter().filter(|n| n.starts_with("wrapd-pty-"));
    assert_eq!(ptys.count(), 2, "{stored:?}");
    assert!(pids.iter().all(|&pid| alive(pid)), "a program was hung up");

    // The start of the restart: everything back, taken out of the store.
    let mut second = manager.start(&env);
    manager.wait_ready(&env);
    assert_eq!(session_pids_and_sizes(&env), before);
    let left = manager.names();
    assert!(left.is_empty(), "still stored: {left:?}");
    let last = counted(&env, "counter").last().copied().unwrap_or(0);
    count_past(&env, "counter", last + 50);
    assert!(env.capture("idle").contains("idle-here"));

    // A plain stop: the store is dropped, the terminals hang up.
    stop_child(&mut second);
    manager.poll();
    manager.store.clear();
    wait_until(
        "the programs to end with their terminals",
        || pids.iter().all(|&pid| !alive(pid)).then_some(()),
        || env.log_tail(),
    );
}

/// `curl ARGS` (a real HTTP client, as a browser's requests go); its output.
fn curl(args: &[&str]) -> String {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "20"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The web door comes back from the store at the same address (a port the
/// kernel chose: binding anew would give another), and a browser's cookie
/// still names its participant: nobody joins again.
#[test]
fn a_restart_through_the_descriptor_store_keeps_the_web_door_and_its_browsers() {
    if !require("sh") || !require("curl") {
        return;
    }
    let env = TestEnv::new();
    let config = env.dir.path().join("config/wrapd");
    fs::create_dir_all(&config).unwrap();
    fs::write(
        config.join("config.toml"),
        "[share]\nlisten = \"127.0.0.1:0\"\nweb_listen = \"127.0.0.1:0\"\n",
    )
    .unwrap();
    let mut manager = Manager::new(&env);
    let mut first = manager.start(&env);
    manager.wait_ready(&env);
    env.ok(&["new", "-d", "-s", "counter", "--", "sh", "-c", COUNTER]);
    let said = env.ok(&["share", "-t", "counter", "--link", "viewer"]);
    let link = said
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no web link in: {said}"));
    let (page, secret) = link.split_once('#').unwrap();
    let jar = env.dir.path().join("cookies");
    let jar = jar.to_str().unwrap();
    let body = format!("{{\"secret\":\"{secret}\",\"name\":\"Cy Curl\"}}");
    let enrolled = curl(&[
        "-c",
        jar,
        "-H",
        "Content-Type: application/json",
        "--data",
        &body,
        &format!("{page}api/enroll"),
    ]);
    assert!(enrolled.contains("\"participant_id\""), "{enrolled}");
    let whoami = || {
        curl(&[
            "-b",
            jar,
            "-w",
            " %{http_code}",
            &format!("{page}api/whoami"),
        ])
    };
    let who = whoami();
    assert!(who.ends_with(" 200") && who.contains("Cy Curl"), "{who}");
    let before = session_pids_and_sizes(&env);
    let joined = shares(&env);

    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(first.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    assert!(first.wait().unwrap().success(), "{}", env.log_tail());
    manager.poll();
    let stored = manager.names();
    for name in ["wrapd-state", "wrapd-share-port", "wrapd-web-door"] {
        assert!(stored.iter().any(|n| n == name), "{name} not in {stored:?}");
    }

    let mut second = manager.start(&env);
    manager.wait_ready(&env);
    assert_eq!(session_pids_and_sizes(&env), before);
    assert_eq!(
        whoami(),
        who,
        "the same address, the same cookie, the same participant"
    );
    assert_eq!(shares(&env), joined, "nobody joined again");
    assert!(
        manager.names().is_empty(),
        "still stored: {:?}",
        manager.names()
    );
    stop_child(&mut second);
}
