//! A real browser for the end-to-end tests: Debian's headless `chromium`,
//! driven through the DevTools protocol over a pipe (`--remote-debugging-pipe`:
//! JSON messages separated by NUL on descriptors 3 and 4), so no driver
//! program and no debugging port are needed.
//!
//! [`Browser::start`] opens one page; [`Browser::eval`] runs JavaScript in it,
//! [`Browser::type_text`] and [`Browser::key`] type as a keyboard does (real
//! input events, through the page's focused element), [`Browser::screenshot`]
//! saves a PNG for a person to look at.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{FromRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, mpsc};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

use crate::{TIMEOUT, require, stop_child};

/// How long one DevTools call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Browser {
    child: Child,
    /// Commands to the browser (its descriptor 3).
    to: File,
    /// Its answers and events (its descriptor 4), a message at a time.
    from: mpsc::Receiver<Value>,
    next_id: u64,
    /// The page's session (flat mode: one connection, sessions by id).
    session: String,
    /// Messages read while waiting for another answer.
    events: VecDeque<Value>,
    _profile: tempfile::TempDir,
    /// One browser at a time on a small machine (tests run in parallel).
    _turn: MutexGuard<'static, ()>,
}

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A pipe whose ends are both at descriptors ≥ 10 (so that moving them to 3
/// and 4 in the child cannot overwrite one with the other), close-on-exec.
fn pipe() -> (RawFd, RawFd) {
    use nix::libc;
    let mut fds = [0; 2];
    // SAFETY: plain system calls on descriptors this function owns.
    unsafe {
        assert_eq!(libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC), 0);
        let high = fds.map(|fd| libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 10));
        libc::close(fds[0]);
        libc::close(fds[1]);
        assert!(high[0] >= 10 && high[1] >= 10);
        (high[0], high[1])
    }
}

impl Browser {
    /// A headless chromium with one blank page; `None` (a loud skip) when
    /// chromium is not installed outside CI; a failure in CI.
    pub fn start() -> Option<Browser> {
        if !require("chromium") {
            return None;
        }
        // A test that failed holding it leaves it poisoned: the next goes on.
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let profile = tempfile::Builder::new()
            .prefix("wrapd-chromium")
            .tempdir()
            .unwrap();
        let (cmd_read, cmd_write) = pipe();
        let (ev_read, ev_write) = pipe();
        let mut command = Command::new("chromium");
        command
            .args([
                "--headless",
                "--remote-debugging-pipe",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--disable-background-networking",
                "--window-size=1280,900",
                "about:blank",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            command.pre_exec(move || {
                use nix::libc;
                if libc::dup2(cmd_read, 3) < 0 || libc::dup2(ev_write, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().expect("chromium starts");
        // SAFETY: the descriptors are ours; each is owned by one File.
        let (to, from_file) = unsafe {
            nix::libc::close(cmd_read);
            nix::libc::close(ev_write);
            (File::from_raw_fd(cmd_write), File::from_raw_fd(ev_read))
        };
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(from_file);
            let mut buf = Vec::new();
            while reader.read_until(0, &mut buf).is_ok_and(|n| n > 0) {
                if buf.last() == Some(&0) {
                    buf.pop();
                }
                if let Ok(v) = serde_json::from_slice::<Value>(&buf)
                    && tx.send(v).is_err()
                {
                    return;
                }
                buf.clear();
            }
        });
        let mut b = Browser {
            child,
            to,
            from: rx,
            next_id: 0,
            session: String::new(),
            events: VecDeque::new(),
            _profile: profile,
            _turn: turn,
        };
        let target = b.call_browser("Target.createTarget", json!({"url": "about:blank"}));
        let target = target["targetId"].as_str().unwrap().to_owned();
        let attached = b.call_browser(
            "Target.attachToTarget",
            json!({"targetId": target, "flatten": true}),
        );
        b.session = attached["sessionId"].as_str().unwrap().to_owned();
        b.call("Page.enable", json!({}));
        Some(b)
    }

    fn send(&mut self, method: &str, params: Value, session: Option<&str>) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        let mut bytes = serde_json::to_vec(&msg).unwrap();
        bytes.push(0);
        self.to.write_all(&bytes).expect("chromium reads its pipe");
        let deadline = Instant::now() + CALL_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let v = self
                .from
                .recv_timeout(left)
                .unwrap_or_else(|e| panic!("chromium did not answer {method}: {e}"));
            if v["id"].as_u64() == Some(id) {
                if let Some(err) = v.get("error") {
                    panic!("chromium refused {method} {msg}: {err}");
                }
                return v["result"].clone();
            }
            self.events.push_back(v);
            if self.events.len() > 1000 {
                self.events.pop_front();
            }
        }
    }

    fn call_browser(&mut self, method: &str, params: Value) -> Value {
        self.send(method, params, None)
    }

    /// A DevTools call on the page.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let session = self.session.clone();
        self.send(method, params, Some(&session))
    }

    /// Open `url` in the page (and wait until it has loaded).
    pub fn open(&mut self, url: &str) {
        self.events.clear();
        let r = self.call("Page.navigate", json!({"url": url}));
        assert!(r.get("errorText").is_none(), "cannot open {url}: {r}");
        self.wait_until(
            "the page to load",
            "document.readyState === 'complete'",
            String::new,
        );
    }

    /// A script to run in every page before its own (e.g. to count things).
    pub fn before_each_page(&mut self, js: &str) {
        self.call(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({"source": js}),
        );
    }

    /// The value of a JavaScript expression in the page (promises awaited).
    pub fn eval(&mut self, expression: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        );
        if let Some(e) = r.get("exceptionDetails") {
            panic!("the page threw on `{expression}`: {e}");
        }
        r["result"]["value"].clone()
    }

    /// Poll `expression` until it is truthy; its value. On timeout, panics
    /// with what was awaited, the page's text and `diagnose()`.
    pub fn wait_until(
        &mut self,
        what: &str,
        expression: &str,
        diagnose: impl Fn() -> String,
    ) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let v = self.eval(expression);
            let truthy =
                !matches!(&v, Value::Null | Value::Bool(false)) && v != json!(0) && v != json!("");
            if truthy {
                return v;
            }
            if Instant::now() > deadline {
                let text = self.eval("document.body.innerText");
                panic!(
                    "timed out after {TIMEOUT:?} waiting for {what} ({expression})\n\
                     --- the page ---\n{}\n{}",
                    text.as_str().unwrap_or_default(),
                    diagnose()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Type text as a keyboard (or an IME) does, into the focused element.
    pub fn type_text(&mut self, text: &str) {
        self.call("Input.insertText", json!({"text": text}));
    }

    /// Press and release a key by its DOM name (`Enter`, `ArrowUp`, `Escape`,
    /// `a`…); `modifiers`: 1 Alt, 2 Ctrl, 4 Meta, 8 Shift.
    pub fn key(&mut self, key: &str, modifiers: u32) {
        let (code, vk, text): (String, i64, &str) = match key {
            "Enter" => ("Enter".into(), 13, "\r"),
            "Tab" => ("Tab".into(), 9, ""),
            "Escape" => ("Escape".into(), 27, ""),
            "Backspace" => ("Backspace".into(), 8, ""),
            "ArrowUp" => ("ArrowUp".into(), 38, ""),
            "ArrowDown" => ("ArrowDown".into(), 40, ""),
            "ArrowLeft" => ("ArrowLeft".into(), 37, ""),
            "ArrowRight" => ("ArrowRight".into(), 39, ""),
            k if k.len() == 1 && k.as_bytes()[0].is_ascii_alphabetic() => {
                let upper = k.to_ascii_uppercase();
                (format!("Key{upper}"), i64::from(upper.as_bytes()[0]), k)
            }
            k => panic!("Browser::key does not know {k}"),
        };
        // With Ctrl or Alt a key types no text of its own.
        let text = if modifiers & 3 != 0 { "" } else { text };
        for kind in ["keyDown", "keyUp"] {
            let mut event = json!({
                "type": kind,
                "key": key,
                "code": code,
                "windowsVirtualKeyCode": vk,
                "modifiers": modifiers,
            });
            if kind == "keyDown" && !text.is_empty() {
                event["text"] = json!(text);
            }
            self.call("Input.dispatchKeyEvent", event);
        }
    }

    /// Save what the page shows as a PNG.
    pub fn screenshot(&mut self, path: &Path) {
        let r = self.call("Page.captureScreenshot", json!({"format": "png"}));
        let png = base64::engine::general_purpose::STANDARD
            .decode(r["data"].as_str().unwrap())
            .unwrap();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(path, png).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        stop_child(&mut self.child);
    }
}
