//! Helpers for the end-to-end tests: real `wrapd-muxd` and `wrapd-attach`
//! binaries, real shells, and tmux as the outer terminal (`send-keys` to type,
//! `capture-pane` to read).
//!
//! - [`TestEnv`]: an isolated HOME, runtime and state directory, socket.
//! - [`Daemon`]: a `wrapd-muxd serve` in that environment, stopped on drop.
//! - [`Outer`]: a tmux server whose panes run our client, killed on drop.
//! - [`wait_until`]: polling with a diagnosis when it times out.
//! - [`COUNTER`], [`count_past`]: a session that counts, to prove no output
//!   is lost or repeated (across an upgrade or a restart).
//! - [`browser::Browser`]: headless chromium, driven through DevTools.
//! - [`relay::Relay`]: a TCP relay standing for a network that can drop.
//! - [`ssh::Sshd`]: a real sshd on a loopback port, and an ssh client set up for it.
//! - [`upgrade`]: `wrapd-muxd upgrade` and binaries to upgrade to.

pub mod browser;
pub mod relay;
pub mod ssh;
pub mod upgrade;

use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// How long anything may take on a loaded two-core machine.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// A built binary of the workspace (`wrapd-muxd`, `wrapd-attach`).
pub fn bin(name: &str) -> PathBuf {
    let dir = match std::env::var_os("WRAPD_BIN_DIR") {
        Some(d) => PathBuf::from(d),
        // target/<profile>/deps/<test> -> target/<profile>
        None => std::env::current_exe()
            .ok()
            .and_then(|p| p.parent()?.parent().map(Path::to_path_buf))
            .expect("the test's own path"),
    };
    let path = dir.join(name);
    assert!(
        path.is_file(),
        "{} is missing: run `cargo build --workspace` (or set WRAPD_BIN_DIR)",
        path.display()
    );
    path
}

/// Whether `tool` can run. Missing outside CI: a loud skip; in CI: a failure.
pub fn require(tool: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    found || missing(tool, "it")
}

/// Whether the file `path` (from Debian's `package`) exists. Missing outside
/// CI: a loud skip; in CI: a failure.
pub fn require_file(path: &str, package: &str) -> bool {
    Path::new(path).exists() || missing(path, package)
}

/// `what` is missing: panic in CI, else say loudly that the test is skipped.
fn missing(what: &str, install: &str) -> bool {
    if std::env::var_os("CI").is_some() {
        panic!(
            "{what} is required by the end-to-end tests (CI is set): install {install} (`.ci/run` does)"
        );
    }
    eprintln!("\n*** SKIPPING: {what} is not installed ***\n");
    false
}

/// Poll `check` until it returns `Some`, or panic with what we waited for and
/// `diagnose()` (the last screen, the daemon's log...).
pub fn wait_until<T>(
    what: &str,
    mut check: impl FnMut() -> Option<T>,
    diagnose: impl Fn() -> String,
) -> T {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(v) = check() {
            return v;
        }
        if Instant::now() > deadline {
            panic!(
                "timed out after {TIMEOUT:?} waiting for {what}\n{}",
                diagnose()
            );
        }
        std::thread::sleep(Duration::from_millis(30));
    }
}

/// An isolated user environment: its own HOME (with a known prompt), runtime
/// directory, state and config directories, and daemon socket.
pub struct TestEnv {
    pub dir: tempfile::TempDir,
    /// More variables for the programs run here (e.g. `PATH`).
    pub extra_vars: Vec<(String, OsString)>,
}

impl Default for TestEnv {
    fn default() -> Self {
        Self::new()
    }
}

impl TestEnv {
    pub fn new() -> TestEnv {
        let dir = tempfile::Builder::new()
            .prefix("wrapd-e2e")
            .tempdir()
            .unwrap();
        let home = dir.path().join("home");
        fs::create_dir_all(&home).unwrap();
        let rc = "PS1='$ '\nHISTFILE=/dev/null\nunset PROMPT_COMMAND\n";
        fs::write(home.join(".bashrc"), rc).unwrap();
        fs::write(home.join(".bash_profile"), ". ~/.bashrc\n").unwrap();
        let run = dir.path().join("run");
        fs::create_dir_all(&run).unwrap();
        fs::set_permissions(&run, fs::Permissions::from_mode(0o700)).unwrap();
        TestEnv {
            dir,
            extra_vars: Vec::new(),
        }
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("run/wrapd/muxd.sock")
    }

    pub fn daemon_log(&self) -> PathBuf {
        self.dir.path().join("muxd.log")
    }

    /// The variables that make a program live in this environment.
    pub fn vars(&self) -> Vec<(String, OsString)> {
        let p = self.dir.path();
        let mut vars = vec![
            ("HOME".into(), self.home().into()),
            ("XDG_RUNTIME_DIR".into(), p.join("run").into()),
            ("XDG_STATE_HOME".into(), p.join("state").into()),
            ("XDG_CONFIG_HOME".into(), p.join("config").into()),
            ("SHELL".into(), "/bin/bash".into()),
            ("LANG".into(), "C.UTF-8".into()),
            ("TERM".into(), "tmux-256color".into()),
        ];
        vars.extend(self.extra_vars.iter().cloned());
        vars
    }

    /// A command for one of our binaries, in this environment.
    pub fn command(&self, name: &str) -> Command {
        self.command_at(&bin(name))
    }

    /// A command for `program`, in this environment.
    pub fn command_at(&self, program: &Path) -> Command {
        let mut c = Command::new(program);
        c.env_remove("WRAPD_SOCKET")
            .env_remove("TMUX")
            .envs(self.vars())
            .current_dir(self.home());
        c
    }

    /// Run `wrapd-attach ARGS` to completion (the scripting commands).
    pub fn attach_cmd(&self, args: &[&str]) -> Output {
        self.command("wrapd-attach")
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// `wrapd-attach ARGS`, which must succeed; its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.attach_cmd(args);
        assert!(
            out.status.success(),
            "wrapd-attach {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.log_tail()
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// A session's screen, via `wrapd-attach capture`.
    pub fn capture(&self, target: &str) -> String {
        String::from_utf8_lossy(&self.attach_cmd(&["capture", "-t", target]).stdout).into_owned()
    }

    /// The shell command line that runs `wrapd-attach ARGS` in this environment
    /// (for a tmux pane). When the client exits, the pane shows
    /// `[client exited: STATUS]` below its last words, and stays.
    pub fn shell_line(&self, args: &[&str]) -> String {
        let mut line = String::from("env -u TMUX -u WRAPD_SOCKET");
        for (k, v) in self.vars() {
            line.push_str(&format!(" {k}={}", shell_quote(&v.to_string_lossy())));
        }
        line.push(' ');
        line.push_str(&shell_quote(&bin("wrapd-attach").to_string_lossy()));
        for a in args {
            line.push(' ');
            line.push_str(&shell_quote(a));
        }
        line.push_str("; echo \"[client exited: $?]\"; exec sleep 1000000");
        line
    }

    /// The last lines of the daemon's log (ours, or one `wrapd-attach` started).
    pub fn log_tail(&self) -> String {
        let mut text = fs::read_to_string(self.daemon_log()).unwrap_or_default();
        text +=
            &fs::read_to_string(self.dir.path().join("state/wrapd/muxd.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        format!(
            "--- daemon log (tail) ---\n{}",
            lines[lines.len().saturating_sub(20)..].join("\n")
        )
    }

    /// Stop a daemon that `wrapd-attach` started in the background.
    fn stop_background_daemon(&self) {
        let lock = self.dir.path().join("run/wrapd/muxd.sock.lock");
        if let Some(pid) = fs::read_to_string(lock)
            .ok()
            .and_then(|p| p.trim().parse::<i32>().ok())
        {
            terminate(pid);
        }
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        self.stop_background_daemon();
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// SIGTERM, then SIGKILL if it lingers.
pub fn terminate(pid: i32) {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let pid = Pid::from_raw(pid);
    if kill(pid, Signal::SIGTERM).is_err() {
        return;
    }
    let deadline = Instant::now() + Duration::from_secs(3);
    while kill(pid, None).is_ok() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = kill(pid, Signal::SIGKILL);
}

/// SIGTERM our child, then SIGKILL if it lingers; reaped either way. (Unlike
/// [`terminate`], sees at once that it has exited: a zombie still "exists".)
pub fn stop_child(child: &mut Child) {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM);
    let deadline = Instant::now() + Duration::from_secs(3);
    while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A `wrapd-muxd serve` in a test environment; stopped (SIGTERM) on drop.
pub struct Daemon {
    child: Option<Child>,
}

impl Daemon {
    pub fn start(env: &TestEnv) -> Daemon {
        Daemon::start_program(env, &bin("wrapd-muxd"))
    }

    /// The same with `program` as the daemon (a copy of ours somewhere else).
    pub fn start_program(env: &TestEnv, program: &Path) -> Daemon {
        let log = fs::File::create(env.daemon_log()).unwrap();
        let child = env
            .command_at(program)
            .arg("serve")
            .env("WRAPD_LOG", "wrapd_muxd=debug,info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let socket = env.socket();
        wait_until(
            "the daemon's socket",
            || socket.exists().then_some(()),
            || env.log_tail(),
        );
        Daemon { child: Some(child) }
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().map_or(0, |c| c.id() as i32)
    }

    /// Stop it now (SIGTERM) and wait for it.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            stop_child(&mut c);
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
    }
}

static OUTER_COUNTER: AtomicU32 = AtomicU32::new(0);

/// tmux as the outer terminal: a server of its own, each pane running a
/// client. Panes stay after their program exits so its last words can be read.
pub struct Outer {
    server: String,
    _conf: tempfile::NamedTempFile,
}

impl Outer {
    /// A tmux server whose first window (`main`), `cols`×`rows`, runs `line`.
    pub fn start(line: &str, cols: u16, rows: u16) -> Outer {
        let n = OUTER_COUNTER.fetch_add(1, Ordering::Relaxed);
        let server = format!("wrapd-e2e-{}-{n}", std::process::id());
        let conf = tempfile::NamedTempFile::new().unwrap();
        fs::write(
            conf.path(),
            // (`window-size manual` here crashes tmux 3.3a; `resize-window` sets it per window.)
            "set -g status off\nset -g escape-time 0\nset -g history-limit 2000\n\
             set -g default-terminal tmux-256color\n",
        )
        .unwrap();
        let outer = Outer {
            server,
            _conf: conf,
        };
        let out = Command::new("tmux")
            .args(["-L", &outer.server, "-f"])
            .arg(outer._conf.path())
            .args([
                "new-session",
                "-d",
                "-n",
                "main",
                "-x",
                &cols.to_string(),
                "-y",
                &rows.to_string(),
                line,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "tmux: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        outer
    }

    /// Another window (`name`) running `line`.
    pub fn open(&self, name: &str, line: &str, cols: u16, rows: u16) {
        self.tmux(&["new-window", "-d", "-n", name, line]);
        self.tmux(&[
            "resize-window",
            "-t",
            name,
            "-x",
            &cols.to_string(),
            "-y",
            &rows.to_string(),
        ]);
    }

    pub fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.server])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Type keys (tmux key names) into a window.
    pub fn keys(&self, window: &str, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", window];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// Type text literally.
    pub fn type_text(&self, window: &str, text: &str) {
        self.tmux(&["send-keys", "-t", window, "-l", text]);
    }

    /// Type a command line and Enter.
    pub fn run(&self, window: &str, line: &str) {
        self.type_text(window, line);
        self.keys(window, &["Enter"]);
    }

    /// What the window shows.
    pub fn screen(&self, window: &str) -> String {
        self.tmux(&["capture-pane", "-p", "-t", window])
    }

    /// A tmux format of a window's pane (`#{pane_pid}`, `#{alternate_on}`...).
    pub fn format(&self, window: &str, fmt: &str) -> String {
        self.tmux(&["display", "-p", "-t", window, fmt])
            .trim()
            .to_owned()
    }

    /// Wait until the window's screen satisfies `pred`; on timeout, show it.
    pub fn wait_for(
        &self,
        window: &str,
        what: &str,
        env: &TestEnv,
        pred: impl Fn(&str) -> bool,
    ) -> String {
        wait_until(
            what,
            || {
                let s = self.screen(window);
                pred(&s).then_some(s)
            },
            || {
                format!(
                    "--- screen of {window} ---\n{}\n{}",
                    self.screen(window),
                    env.log_tail()
                )
            },
        )
    }

    /// Wait until the window's client has exited; its exit status.
    pub fn wait_exit(&self, window: &str, env: &TestEnv) -> i32 {
        let screen = self.wait_for(window, "the client to exit", env, |s| {
            s.contains("[client exited: ")
        });
        let rest = &screen[screen.find("[client exited: ").expect("waited for it") + 16..];
        rest[..rest.find(']').unwrap_or(0)].parse().unwrap_or(-1)
    }

    /// The pid of the client running in a window (the pane's shell's child).
    pub fn client_pid(&self, window: &str) -> i32 {
        let shell = self.format(window, "#{pane_pid}").parse().unwrap_or(0);
        children(shell).first().copied().expect("the client runs")
    }
}

/// The processes `pid` started (by any of its threads) that still run.
pub fn children(pid: i32) -> Vec<i32> {
    let mut found = Vec::new();
    for task in fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let list = fs::read_to_string(task.path().join("children")).unwrap_or_default();
        found.extend(
            list.split_whitespace()
                .filter_map(|p| p.parse::<i32>().ok()),
        );
    }
    found
}

impl Drop for Outer {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.server, "kill-server"])
            .output();
    }
}

/// The session's rows as a client shows them: the screen minus the status line.
pub fn session_rows(screen: &str) -> Vec<String> {
    let mut rows: Vec<String> = screen.lines().map(|l| l.trim_end().to_owned()).collect();
    rows.pop();
    rows
}

/// A program printing `n 1`, `n 2`, ... every 10 ms (`sh -c COUNTER`).
pub const COUNTER: &str = "i=0; while :; do i=$((i+1)); echo \"n $i\"; sleep 0.01; done";

/// The numbers [`COUNTER`] printed in `session`, history and screen.
pub fn counted(env: &TestEnv, session: &str) -> Vec<u64> {
    let out = env.attach_cmd(&["capture", "-S", "-t", session]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("n ")?.parse().ok())
        .collect()
}

/// Wait until the counter in `session` has passed `n`; what it counted,
/// checked to be every number once, in order.
pub fn count_past(env: &TestEnv, session: &str, n: u64) -> Vec<u64> {
    let seen = wait_until(
        &format!("the counter to pass {n}"),
        || {
            let seen = counted(env, session);
            (seen.last().copied().unwrap_or(0) > n).then_some(seen)
        },
        || env.log_tail(),
    );
    let expected: Vec<u64> = (seen[0]..seen[0] + seen.len() as u64).collect();
    assert_eq!(seen, expected, "the counter has a gap or a repeat");
    seen
}

/// `name`, `pid`, `cols`, `rows` of every session (`ls --json`), by name.
pub fn session_pids_and_sizes(env: &TestEnv) -> Vec<(String, u64, u64, u64)> {
    let list: serde_json::Value = serde_json::from_str(&env.ok(&["ls", "--json"])).unwrap();
    let mut all: Vec<_> = list
        .as_array()
        .expect("an array")
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap_or_default().to_owned(),
                s["pid"].as_u64().unwrap_or_default(),
                s["cols"].as_u64().unwrap_or_default(),
                s["rows"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    all.sort();
    all
}
