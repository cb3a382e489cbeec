//! The daemon over its real Unix socket, with a real tonic client and real
//! programs on real PTYs.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio_stream::StreamExt;
use tokio_util::sync::CancellationToken;
use tonic::Code;
use tonic::transport::{Channel, Endpoint};
use wrapd_common::config::Config;
use wrapd_muxd::{Listener, server::BindError};
use wrapd_proto::pb;
use wrapd_proto::pb::attach_event::Msg as Event;
use wrapd_proto::pb::attach_request::Msg as Req;
use wrapd_proto::pb::mux_client::MuxClient;

struct TestDaemon {
    _dir: tempfile::TempDir,
    socket: PathBuf,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl TestDaemon {
    async fn start() -> TestDaemon {
        TestDaemon::start_with(Config::default()).await
    }

    async fn start_with(mut config: Config) -> TestDaemon {
        let dir = tempfile::tempdir().unwrap();
        // Its own CA, and any free port for collaborators.
        config.share.state_dir = dir.path().join("share");
        config.share.listen = "127.0.0.1:0".parse().unwrap();
        let socket = dir.path().join("run/muxd.sock");
        let listener = Listener::bind(&socket).unwrap();
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(wrapd_muxd::run(config, listener, shutdown.clone()));
        TestDaemon {
            _dir: dir,
            socket,
            shutdown,
            task,
        }
    }

    async fn client(&self) -> MuxClient<Channel> {
        connect(&self.socket).await
    }

    async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("daemon stops within 10s")
            .unwrap()
            .unwrap();
        assert!(!self.socket.exists(), "socket removed on shutdown");
    }
}

async fn connect(socket: &Path) -> MuxClient<Channel> {
    let channel = Endpoint::from_shared(format!("unix://{}", socket.display()))
        .unwrap()
        .connect()
        .await
        .unwrap();
    MuxClient::new(channel)
}

fn create(name: &str, command: &[&str]) -> pb::CreateSessionRequest {
    pb::CreateSessionRequest {
        name: name.to_owned(),
        command: command.iter().map(|s| s.to_string()).collect(),
        cols: 40,
        rows: 10,
        ..Default::default()
    }
}

async fn capture(c: &mut MuxClient<Channel>, target: &str) -> Result<String, tonic::Status> {
    c.capture(pb::CaptureRequest {
        target: target.to_owned(),
        ..Default::default()
    })
    .await
    .map(|r| r.into_inner().text)
}

/// Poll `f` until it returns `Some`, or panic naming `what` and the last value.
async fn wait_for<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = (Option<T>, String)>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (v, last) = f().await;
        if let Some(v) = v {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out waiting for {what}; last seen:\n{last}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn wait_for_screen(c: &mut MuxClient<Channel>, target: &str, needle: &str) -> String {
    wait_for(&format!("`{needle}` on {target}"), || {
        let mut c = c.clone();
        async move {
            let text = capture(&mut c, target)
                .await
                .unwrap_or_else(|s| s.to_string());
            (text.contains(needle).then(|| text.clone()), text)
        }
    })
    .await
}

#[tokio::test]
async fn sessions_can_be_created_listed_renamed_and_killed() {
    let d = TestDaemon::start().await;
    let mut c = d.client().await;
    let info = c
        .create_session(create("", &["cat"]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(info.name, "0");
    assert_eq!((info.cols, info.rows), (40, 10));
    assert!(info.pid > 0);
    c.create_session(create("work", &["cat"])).await.unwrap();
    let dup = c
        .create_session(create("work", &["cat"]))
        .await
        .unwrap_err();
    assert_eq!(dup.code(), Code::AlreadyExists, "{dup:?}");
    let bad = c.create_session(create("a:b", &["cat"])).await.unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument, "{bad:?}");

    let list = c
        .list_sessions(pb::ListSessionsRequest {})
        .await
        .unwrap()
        .into_inner()
        .sessions;
    let names: Vec<_> = list.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["work", "0"], "most recent first");

    c.rename_session(pb::RenameSessionRequest {
        target: "work".into(),
        new_name: "play".into(),
    })
    .await
    .unwrap();
    let e = c
        .rename_session(pb::RenameSessionRequest {
            target: "play".into(),
            new_name: "0".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::AlreadyExists);

    c.kill_session(pb::KillSessionRequest {
        target: "play".into(),
    })
    .await
    .unwrap();
    let e = c
        .kill_session(pb::KillSessionRequest {
            target: "play".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    assert!(e.message().contains("play"), "{e:?}");
    let list = c
        .list_sessions(pb::ListSessionsRequest {})
        .await
        .unwrap()
        .into_inner()
        .sessions;
    assert_eq!(list.len(), 1);
    d.stop().await;
}

#[tokio::test]
async fn input_reaches_the_program_and_output_is_kept_while_detached() {
    let d = TestDaemon::start().await;
    let mut c = d.client().await;
    c.create_session(create("s", &["cat"])).await.unwrap();
    c.send_input(pb::SendInputRequest {
        target: "s".into(),
        data: b"hello wrapd\r".to_vec(),
    })
    .await
    .unwrap();
    let screen = wait_for_screen(&mut c, "s", "hello wrapd\nhello wrapd").await;
    assert!(screen.starts_with("hello wrapd\nhello wrapd"), "{screen:?}");
    let e = capture(&mut c, "nope").await.unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    d.stop().await;
}

#[tokio::test]
async fn a_session_ends_with_its_program_unless_it_remains() {
    let d = TestDaemon::start().await;
    let mut c = d.client().await;
    c.create_session(create("quick", &["sh", "-c", "echo bye; exit 3"]))
        .await
        .unwrap();
    let mut remain = create("stays", &["sh", "-c", "echo still here; exit 4"]);
    remain.remain_on_exit = true;
    c.create_session(remain).await.unwrap();
    wait_for("`quick` to end and `stays` to show its exit", || {
        let mut c = c.clone();
        async move {
            let list = c
                .list_sessions(pb::ListSessionsRequest {})
                .await
                .unwrap()
                .into_inner()
                .sessions;
            let done = list.len() == 1
                && list[0].name == "stays"
                && list[0].exit.and_then(|e| e.code) == Some(4);
            (done.then_some(()), format!("{list:?}"))
        }
    })
    .await;
    wait_for_screen(&mut c, "stays", "still here").await;
    d.stop().await;
}

async fn attach(
    c: &mut MuxClient<Channel>,
    start: pb::AttachStart,
) -> (
    tokio::sync::mpsc::Sender<pb::AttachRequest>,
    tonic::Streaming<pb::AttachEvent>,
    pb::Attached,
) {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tx.send(pb::AttachRequest {
        msg: Some(Req::Start(start)),
    })
    .await
    .unwrap();
    let mut events = c
        .attach(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .unwrap()
        .into_inner();
    let Some(pb::AttachEvent {
        msg: Some(Event::Attached(a)),
    }) = events.message().await.unwrap()
    else {
        panic!("first event is not `attached`")
    };
    (tx, events, a)
}

/// Presence comes after `attached` and whenever it changes: not an update.
fn is_presence(msg: &Option<Result<pb::AttachEvent, tonic::Status>>) -> bool {
    matches!(
        msg,
        Some(Ok(pb::AttachEvent {
            msg: Some(Event::Presence(_))
        }))
    )
}

fn start(target: &str, cols: u32, rows: u32) -> pb::AttachStart {
    pb::AttachStart {
        target: target.into(),
        size: Some(pb::Size { cols, rows }),
        history_rows: 100,
        ..Default::default()
    }
}

/// Apply updates to a map of rows until `pred` holds on the screen text.
async fn follow(
    events: &mut tonic::Streaming<pb::AttachEvent>,
    screen: &mut std::collections::BTreeMap<u64, String>,
    last: &mut Option<pb::ScreenUpdate>,
    pred: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let msg = tokio::time::timeout_at(deadline.into(), events.next())
            .await
            .unwrap_or_else(|_| panic!("timed out following updates; screen: {screen:?}"));
        if is_presence(&msg) {
            continue;
        }
        let Some(Ok(pb::AttachEvent {
            msg: Some(Event::Update(u)),
        })) = msg
        else {
            panic!("unexpected event {msg:?}")
        };
        if u.reset {
            screen.clear();
        }
        for r in &u.rows {
            screen.insert(r.index, r.spans.iter().map(|s| s.text.as_str()).collect());
        }
        let rows = u.size.map_or(0, |s| s.rows) as u64;
        let text: Vec<String> = (u.screen_start..u.screen_start + rows)
            .map(|i| screen.get(&i).cloned().unwrap_or_default())
            .collect();
        let text = text.join("\n");
        *last = Some(u);
        if pred(&text) {
            return text;
        }
    }
}

#[tokio::test]
async fn attach_streams_a_snapshot_then_deltas_and_refuses_read_only_input() {
    let d = TestDaemon::start().await;
    let mut c = d.client().await;
    c.create_session(create("s", &["cat"])).await.unwrap();
    let (tx, mut events, attached) = attach(&mut c, start("s", 30, 8)).await;
    let session = attached.session.unwrap();
    assert_eq!(session.name, "s");
    let mut screen = Default::default();
    let mut last = None;
    follow(&mut events, &mut screen, &mut last, |_| true).await;
    assert!(last.as_ref().unwrap().reset, "first update is a snapshot");
    assert_eq!(
        last.as_ref().unwrap().size,
        Some(pb::Size { cols: 30, rows: 8 }),
        "the PTY follows the writer"
    );

    tx.send(pb::AttachRequest {
        msg: Some(Req::Input(b"abc\r".to_vec())),
    })
    .await
    .unwrap();
    follow(&mut events, &mut screen, &mut last, |t| {
        t.starts_with("abc\nabc")
    })
    .await;
    assert!(!last.as_ref().unwrap().reset);

    // A read-only client's input is refused by the daemon, with a notice.
    let mut ro = start("s", 100, 40);
    ro.read_only = true;
    let (rtx, mut revents, _) = attach(&mut c, ro).await;
    rtx.send(pb::AttachRequest {
        msg: Some(Req::Input(b"nope\r".to_vec())),
    })
    .await
    .unwrap();
    let notice = loop {
        match revents.next().await.unwrap().unwrap().msg {
            Some(Event::Notice(n)) => break n,
            Some(Event::Update(u)) => {
                assert_eq!(
                    u.size,
                    Some(pb::Size { cols: 30, rows: 8 }),
                    "read-only never resizes"
                );
            }
            Some(Event::Presence(_)) => {}
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(notice.code, "PermissionDenied");
    let text = capture(&mut c, "s").await.unwrap();
    assert!(!text.contains("nope"), "{text}");

    // Resume from the last sequence number: only a delta comes.
    let point = last.clone().unwrap();
    drop(tx);
    drop(events);
    c.send_input(pb::SendInputRequest {
        target: "s".into(),
        data: b"more\r".to_vec(),
    })
    .await
    .unwrap();
    wait_for_screen(&mut c, "s", "more\nmore").await;
    let mut resume = start("s", 30, 8);
    resume.resume_session_id = session.id.clone();
    resume.resume_seq = point.seq;
    resume.resume_screen_start = point.screen_start;
    let (_tx2, mut events2, attached2) = attach(&mut c, resume).await;
    assert!(attached2.resumed);
    let mut last2 = None;
    let text = follow(&mut events2, &mut screen, &mut last2, |t| {
        t.contains("more\nmore")
    })
    .await;
    assert!(
        !last2.unwrap().reset,
        "resumed with a delta, not a snapshot"
    );
    assert!(text.starts_with("abc\nabc\nmore\nmore"), "{text}");
    d.stop().await;
}

#[tokio::test]
async fn bad_attach_requests_get_clear_errors() {
    let d = TestDaemon::start().await;
    let mut c = d.client().await;
    c.create_session(create("s", &["cat"])).await.unwrap();
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    tx.send(pb::AttachRequest {
        msg: Some(Req::Input(b"x".to_vec())),
    })
    .await
    .unwrap();
    let e = c
        .attach(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    tx.send(pb::AttachRequest {
        msg: Some(Req::Start(start("s", 0, 0))),
    })
    .await
    .unwrap();
    let e = c
        .attach(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(e.message().contains("size"), "{e:?}");
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    tx.send(pb::AttachRequest {
        msg: Some(Req::Start(start("ghost", 10, 10))),
    })
    .await
    .unwrap();
    let e = c
        .attach(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    // A resize to 0x0 while attached is refused, and the session is untouched.
    let (tx, mut events, _) = attach(&mut c, start("s", 20, 5)).await;
    tx.send(pb::AttachRequest {
        msg: Some(Req::Resize(pb::Size { cols: 0, rows: 0 })),
    })
    .await
    .unwrap();
    loop {
        if let Some(Event::Notice(n)) = events.next().await.unwrap().unwrap().msg {
            assert_eq!(n.code, "InvalidArgument");
            break;
        }
    }
    let list = c
        .list_sessions(pb::ListSessionsRequest {})
        .await
        .unwrap()
        .into_inner()
        .sessions;
    assert_eq!((list[0].cols, list[0].rows), (20, 5));
    d.stop().await;
}

#[tokio::test]
async fn limits_from_the_config_are_enforced() {
    let config =
        Config::parse("[limits]\nmax_sessions = 2\nmax_clients = 1\nmax_message_bytes = 65536\n")
            .unwrap();
    let d = TestDaemon::start_with(config).await;
    let mut c = d.client().await;
    c.create_session(create("a", &["cat"])).await.unwrap();
    c.create_session(create("b", &["cat"])).await.unwrap();
    let e = c.create_session(create("c", &["cat"])).await.unwrap_err();
    assert_eq!(e.code(), Code::ResourceExhausted);
    assert!(e.message().contains("limits.max_sessions"), "{e:?}");

    let (_tx, _events, _) = attach(&mut c, start("a", 20, 5)).await;
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    tx.send(pb::AttachRequest {
        msg: Some(Req::Start(start("a", 20, 5))),
    })
    .await
    .unwrap();
    let e = c
        .attach(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::ResourceExhausted);
    assert!(e.message().contains("limits.max_clients"), "{e:?}");
    // Another session still takes a client.
    let (_tx_b, _events_b, _) = attach(&mut c, start("b", 20, 5)).await;

    let mut big = create("big", &["cat"]);
    big.env.insert("PAD".into(), "x".repeat(70_000));
    let e = c.create_session(big).await.unwrap_err();
    assert!(e.message().contains("too large"), "{e:?}");
    // The daemon still serves.
    assert_eq!(
        c.list_sessions(pb::ListSessionsRequest {})
            .await
            .unwrap()
            .into_inner()
            .sessions
            .len(),
        2
    );
    d.stop().await;
}

#[tokio::test]
async fn one_daemon_per_socket_and_stale_sockets_are_replaced() {
    let d = TestDaemon::start().await;
    match Listener::bind(&d.socket) {
        Err(BindError::AlreadyRunning { pid, .. }) => {
            assert!(pid.contains(&std::process::id().to_string()))
        }
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("a second daemon bound the same socket"),
    }
    let socket = d.socket.clone();
    d.stop().await;

    // A socket file left by a dead daemon (no lock held) is replaced.
    let dir = tempfile::tempdir().unwrap();
    let stale = dir.path().join("muxd.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
    assert!(stale.exists());
    let l = Listener::bind(&stale).unwrap();
    assert_eq!(l.path(), stale);
    drop(l);
    let _ = socket;
}

#[tokio::test]
async fn shutdown_hangs_up_programs_and_ends_attach_streams() {
    let d = TestDaemon::start().await;
    let mut c = d.client().await;
    let info = c
        .create_session(create("s", &["sleep", "1000"]))
        .await
        .unwrap()
        .into_inner();
    let (_tx, mut events, _) = attach(&mut c, start("s", 20, 5)).await;
    d.shutdown.cancel();
    let ended = loop {
        match events.next().await {
            Some(Ok(pb::AttachEvent {
                msg: Some(Event::Ended(e)),
            })) => break e,
            Some(Ok(_)) => {}
            other => panic!("stream ended without `ended`: {other:?}"),
        }
    };
    assert_eq!(ended.reason(), pb::ended::Reason::ServerExit);
    tokio::time::timeout(Duration::from_secs(10), d.task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let pid = nix::unistd::Pid::from_raw(info.pid as i32);
    let deadline = Instant::now() + Duration::from_secs(5);
    while nix::sys::signal::kill(pid, None).is_ok() {
        assert!(Instant::now() < deadline, "the program did not get SIGHUP");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn blocks_are_listed_in_pages_read_watched_and_carried_by_attach() {
    let d = TestDaemon::start().await;
    let mut c = d.client().await;
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join(".bashrc"), "PS1='$ '\n").unwrap();
    let mut req = create("b", &["bash"]);
    req.env
        .insert("HOME".into(), home.path().to_string_lossy().into_owned());
    let info = c.create_session(req).await.unwrap().into_inner();
    // Listed as asked for, not with what the integration adds (`--posix`).
    assert_eq!(info.command, ["bash"]);
    let mut watch = c
        .watch_blocks(pb::WatchBlocksRequest { target: "b".into() })
        .await
        .unwrap()
        .into_inner();
    let (_tx, mut events, _) = attach(&mut c, start("b", 40, 10)).await;
    c.send_input(pb::SendInputRequest {
        target: "b".into(),
        data: b"echo one\rfalse\recho three\r".to_vec(),
    })
    .await
    .unwrap();
    let list = |before_id, limit| {
        let mut c = c.clone();
        async move {
            c.list_blocks(pb::ListBlocksRequest {
                target: "b".into(),
                before_id,
                limit,
            })
            .await
            .map(|r| r.into_inner())
        }
    };
    wait_for("three finished blocks", || async {
        let page = list(0, 0).await.unwrap();
        let done = page.blocks.len() == 3
            && page
                .blocks
                .iter()
                .all(|b| b.state() == pb::BlockState::Finished);
        (done.then_some(()), format!("{page:?}"))
    })
    .await;
    let page = list(0, 2).await.unwrap();
    let ids: Vec<u64> = page.blocks.iter().map(|b| b.id).collect();
    assert_eq!((ids.as_slice(), page.more), ([2, 3].as_slice(), true));
    let codes: Vec<_> = page.blocks.iter().map(|b| b.exit_code).collect();
    assert_eq!(codes, [Some(1), Some(0)]);
    let page = list(2, 2).await.unwrap();
    assert_eq!(page.blocks[0].command, "echo one");
    assert!(!page.more);

    let output = |id, ansi| {
        let mut c = c.clone();
        async move {
            c.get_block_output(pb::GetBlockOutputRequest {
                target: "b".into(),
                id,
                ansi,
            })
            .await
            .map(|r| r.into_inner())
        }
    };
    assert_eq!(output(0, false).await.unwrap().text, "three\n");
    let one = output(1, true).await.unwrap();
    assert_eq!((one.text.as_str(), one.block.unwrap().id), ("one\n", 1));
    let e = output(99, false).await.unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    assert!(e.message().contains("no block 99"), "{e:?}");
    let e = c
        .list_blocks(pb::ListBlocksRequest {
            target: "nope".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);

    // The watcher saw each block start and finish, in order.
    let mut seen = Vec::new();
    while seen.len() < 6 {
        let e = tokio::time::timeout(Duration::from_secs(10), watch.next())
            .await
            .expect("a block event")
            .unwrap()
            .unwrap();
        seen.push(match e.event.unwrap() {
            pb::block_event::Event::Started(b) => ("started", b.id),
            pb::block_event::Event::Finished(b) => ("finished", b.id),
        });
    }
    let want = [1, 2, 3]
        .into_iter()
        .flat_map(|id| [("started", id), ("finished", id)]);
    assert_eq!(seen, want.collect::<Vec<_>>());

    // The attach stream carried the blocks, the failed one with its status.
    let mut blocks = std::collections::BTreeMap::new();
    while blocks.len() < 3
        || blocks
            .values()
            .any(|b: &pb::Block| b.state() != pb::BlockState::Finished)
    {
        let msg = tokio::time::timeout(Duration::from_secs(10), events.next())
            .await
            .expect("an update");
        if is_presence(&msg) {
            continue;
        }
        let Some(Ok(pb::AttachEvent {
            msg: Some(Event::Update(u)),
        })) = msg
        else {
            panic!("unexpected event {msg:?}")
        };
        for b in u.blocks {
            blocks.insert(b.id, b);
        }
    }
    assert_eq!(blocks[&2].exit_code, Some(1));
    assert!(blocks[&2].output_row > blocks[&1].output_row);
    d.stop().await;
}

/// A look whose background is `rgb`.
fn look_with_background(red: u32, green: u32, blue: u32) -> pb::AttachRequest {
    pb::AttachRequest {
        msg: Some(Req::TerminalLook(pb::TerminalLook {
            background: Some(pb::Rgb { red, green, blue }),
            ..Default::default()
        })),
    }
}

/// The next notice on `events` (updates and presence skipped).
async fn next_notice(events: &mut tonic::Streaming<pb::AttachEvent>) -> pb::Notice {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), events.next())
            .await
            .expect("a notice in time");
        if let Some(Ok(pb::AttachEvent {
            msg: Some(Event::Notice(n)),
        })) = msg
        {
            return n;
        }
    }
}

#[tokio::test]
async fn colour_queries_answer_the_writing_clients_terminal() {
    let d = TestDaemon::start().await;
    let mut c = d.client().await;
    // Each byte typed makes the program ask for the background and show the
    // answer (25 bytes) as `cat -v` prints it.
    let program = "stty raw -echo; while head -c 1 >/dev/null; do \
                   printf '\\033]11;?\\033\\\\'; head -c 25 | cat -v; printf '\\r\\n'; done";
    c.create_session(create("s", &["sh", "-c", program]))
        .await
        .unwrap();
    let (writer, mut writer_events, _) = attach(&mut c, start("s", 40, 10)).await;
    let mut read_only = start("s", 40, 10);
    read_only.read_only = true;
    let (viewer, mut viewer_events, _) = attach(&mut c, read_only).await;
    // A read-only client's look is ignored (its input, refused, comes after it).
    viewer
        .send(look_with_background(0x1111, 0x1111, 0x1111))
        .await
        .unwrap();
    viewer
        .send(pb::AttachRequest {
            msg: Some(Req::Input(b"x".to_vec())),
        })
        .await
        .unwrap();
    assert_eq!(
        next_notice(&mut viewer_events).await.code,
        "PermissionDenied"
    );
    let input = |data: &[u8]| pb::AttachRequest {
        msg: Some(Req::Input(data.to_vec())),
    };
    writer.send(input(b"x")).await.unwrap();
    wait_for_screen(&mut c, "s", "^[]11;rgb:0000/0000/0000^[\\").await;
    writer
        .send(look_with_background(0xfafa, 0xfbfb, 0xfcfc))
        .await
        .unwrap();
    writer.send(input(b"x")).await.unwrap();
    wait_for_screen(&mut c, "s", "^[]11;rgb:fafa/fbfb/fcfc^[\\").await;
    // A look that is no colour is refused, saying why, and changes nothing.
    writer
        .send(look_with_background(70000, 0, 0))
        .await
        .unwrap();
    let n = next_notice(&mut writer_events).await;
    assert_eq!(n.code, "InvalidArgument");
    assert!(n.message.contains("65535"), "{n:?}");
    drop(viewer);
    d.stop().await;
}
