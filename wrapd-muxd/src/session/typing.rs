//! Typing into a session without waking its actor.
//!
//! A keystroke is the command whose latency people feel, and the actor's
//! thread may be busy parsing output (of this session). So the attach
//! stream's task writes what its client typed to the PTY itself, under this
//! lock, which holds everything that decides whether it may: who is attached
//! and may write ([`Clients`]: the actor changes it for attaches, detaches
//! and resizes, an attachment for its role, under the same lock — a role
//! change holds for the very next key), whether the program is still
//! there, whether a hand-over is under way. The actor's own writes (replies
//! to the program's queries) take the lock too, so no two writes ever
//! interleave. Only when typing makes another client the latest writer (the
//! PTY size follows it) does the actor hear of it.

use std::sync::{Mutex, MutexGuard};

use crate::error::{Error, Result};
use crate::pty::PtyInput;

use super::clients::Clients;
use super::{ClientId, now_ms};

pub(crate) struct Typing {
    inner: Mutex<Keyboard>,
}

/// What the lock guards.
pub(crate) struct Keyboard {
    pub clients: Clients,
    /// The program's input; `None` once the session has ended (the master's
    /// copy closes with it: see `Typing::close`).
    input: Option<PtyInput>,
    /// The program has exited: input goes nowhere.
    pub exited: bool,
    /// A hand-over is under way: input that the PTY does not take at once
    /// would be lost with the writer thread, so it is refused.
    pub frozen: bool,
    /// When someone last typed (ms since the epoch).
    pub last_active_ms: u64,
}

/// What typing did beside writing.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Typed {
    /// Nothing else.
    Written,
    /// The typist became the latest writer: the PTY should take their size.
    Refit,
}

impl Typing {
    pub fn new(input: PtyInput, last_active_ms: u64) -> Typing {
        Typing {
            inner: Mutex::new(Keyboard {
                clients: Clients::default(),
                input: Some(input),
                exited: false,
                frozen: false,
                last_active_ms,
            }),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, Keyboard> {
        // Nothing under the lock panics halfway through a change.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `data` typed by `client` (`None`: `wrapd-attach send`, no client) into
    /// the session `name`. A viewer's input is refused here, whatever the
    /// stream in front decided.
    pub fn type_in(&self, client: Option<ClientId>, data: Vec<u8>, name: &str) -> Result<Typed> {
        let mut k = self.lock();
        if let Some(client) = client
            && k.clients.is_read_only(client)
        {
            return Err(Error::ReadOnly);
        }
        if k.exited {
            return Err(Error::SessionGone(name.to_owned()));
        }
        let may_queue = !k.frozen;
        let Some(input) = &k.input else {
            return Err(Error::SessionGone(name.to_owned()));
        };
        input.write(data, may_queue)?;
        k.last_active_ms = now_ms();
        let Some(client) = client else {
            return Ok(Typed::Written);
        };
        let before = k.clients.wanted_size();
        k.clients.touch(client);
        Ok(if k.clients.wanted_size() != before {
            Typed::Refit
        } else {
            Typed::Written
        })
    }

    /// Bytes the terminal answers the program with (the actor's).
    pub fn reply(&self, data: Vec<u8>) -> Result<()> {
        let k = self.lock();
        match &k.input {
            Some(input) => Ok(input.write(data, !k.frozen)?),
            None => Ok(()),
        }
    }

    /// Freeze for a hand-over, if no input waits in the writer thread (it
    /// would be lost with it): input the PTY takes at once still goes in.
    pub fn freeze(&self) -> bool {
        let mut k = self.lock();
        if k.input.as_ref().is_some_and(PtyInput::input_pending) {
            return false;
        }
        k.frozen = true;
        true
    }

    pub fn thaw(&self) {
        self.lock().frozen = false;
    }

    /// The session is over: its input goes (the writer thread stops, the
    /// master's copy closes) even while handles on it live on.
    pub fn close(&self) {
        let input = self.lock().input.take();
        drop(input);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pty::{Command, InputRefused, Pty, PtyOutput, PtyReader};
    use crate::session::Size;

    const OWNER: ClientId = ClientId(1);
    const OTHER: ClientId = ClientId(2);
    const VIEWER: ClientId = ClientId(3);

    /// A real program on a real PTY: `script` under sh, in raw mode.
    fn program(script: &str) -> (Pty, Typing, PtyOutput) {
        let (pty, input, output) = Pty::spawn(&Command {
            argv: vec![
                "sh".into(),
                "-c".into(),
                format!("stty raw -echo; {script}"),
            ],
            arg0: None,
            cwd: std::env::temp_dir(),
            env: vec![],
            cols: 80,
            rows: 24,
        })
        .unwrap();
        (pty, Typing::new(input, 0), output)
    }

    async fn read_until(reader: &mut PtyReader, want: &str) {
        let mut seen = Vec::new();
        while !String::from_utf8_lossy(&seen).contains(want) {
            let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), reader.recv())
                .await
                .expect("the program answers")
                .expect("the program is there");
            seen.extend(chunk);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writers_type_viewers_and_strangers_are_refused_here() {
        let (_pty, typing, output) = program("echo ready; exec cat");
        let mut reader = PtyReader::new(output.output).unwrap();
        read_until(&mut reader, "ready").await;
        {
            let mut k = typing.lock();
            k.clients.attach(OWNER, Size { cols: 80, rows: 24 }, false);
            k.clients.attach(
                OTHER,
                Size {
                    cols: 100,
                    rows: 30,
                },
                false,
            );
            k.clients.attach(
                VIEWER,
                Size {
                    cols: 120,
                    rows: 40,
                },
                true,
            );
        }
        // OTHER attached last: the latest writer. OWNER typing takes it over.
        let typed = typing.type_in(Some(OWNER), b"one,".to_vec(), "s");
        assert_eq!(typed.unwrap(), Typed::Refit);
        let typed = typing.type_in(Some(OWNER), b"two,".to_vec(), "s");
        assert_eq!(typed.unwrap(), Typed::Written);
        let refused = typing.type_in(Some(VIEWER), b"viewer,".to_vec(), "s");
        assert!(matches!(refused, Err(Error::ReadOnly)), "{refused:?}");
        let refused = typing.type_in(Some(ClientId(99)), b"stranger,".to_vec(), "s");
        assert!(matches!(refused, Err(Error::ReadOnly)), "{refused:?}");
        // `send`: no client.
        typing.type_in(None, b"three.".to_vec(), "s").unwrap();
        read_until(&mut reader, "one,two,three.").await;
        assert!(typing.lock().last_active_ms > 0);

        typing.lock().exited = true;
        let gone = typing.type_in(Some(OWNER), b"x".to_vec(), "s");
        assert!(matches!(gone, Err(Error::SessionGone(_))), "{gone:?}");
        typing.lock().exited = false;
        typing.close();
        let gone = typing.type_in(Some(OWNER), b"x".to_vec(), "s");
        assert!(matches!(gone, Err(Error::SessionGone(_))), "{gone:?}");
    }

    /// While frozen for a hand-over, what the PTY takes at once goes in;
    /// what would wait in the writer thread (and die with it) is refused,
    /// and a freeze waits for what already waits there.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_hand_over_loses_no_input() {
        let (_pty, typing, output) = program("echo ready; sleep 30");
        let mut reader = PtyReader::new(output.output).unwrap();
        read_until(&mut reader, "ready").await;
        typing
            .lock()
            .clients
            .attach(OWNER, Size { cols: 80, rows: 24 }, false);
        assert!(typing.freeze());
        typing.type_in(Some(OWNER), b"k".to_vec(), "s").unwrap();
        // The program reads nothing: a big paste does not fit.
        let paste = vec![b'p'; 1 << 20];
        let refused = typing.type_in(Some(OWNER), paste.clone(), "s");
        assert!(
            matches!(refused, Err(Error::Input(InputRefused::NotNow))),
            "{refused:?}"
        );
        typing.thaw();
        typing.type_in(Some(OWNER), paste, "s").unwrap();
        assert!(!typing.freeze(), "input waits in the writer thread");
    }
}
