//! Sharing under pressure and misuse: a share port that cannot be bound, a
//! corrupt revocation list, byte limits on every answer, strangers, attach
//! stream caps, and what collaborators may learn of other sessions.

mod share_common;

use std::time::Duration;

use share_common::*;
use tokio_stream::StreamExt;
use tonic::Code;
use tonic::transport::Channel;
use wrapd_common::config::Config;
use wrapd_proto::pb;
use wrapd_proto::pb::attach_request::Msg as Req;
use wrapd_proto::pb::mux_client::MuxClient;

/// Session `s` (running `cat`) echoes what the owner types: the daemon
/// serves on whatever sharing did.
async fn session_still_answers(owner: &mut MuxClient<Channel>) {
    owner_types_and_sees(owner, "s", "fine").await;
}

#[tokio::test]
async fn a_share_port_that_cannot_be_bound_leaves_the_socket_serving() {
    install_crypto();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("muxd.sock");
    let mut config = Config::default();
    config.share.state_dir = dir.path().join("share");
    config.share.listen = taken.local_addr().unwrap();
    let listener = wrapd_muxd::Listener::bind(&socket).unwrap();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn(wrapd_muxd::run(config, listener, shutdown.clone()));
    let channel = tonic::transport::Endpoint::from_shared(format!("unix://{}", socket.display()))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut owner = MuxClient::new(channel.clone());
    owner.create_session(create("s", &["cat"])).await.unwrap();
    session_still_answers(&mut owner).await;
    // Nothing of sharing exists before something is shared: not even the CA.
    assert!(!dir.path().join("share/ca.key").exists());
    // The port opens when something is shared: that share fails, saying why.
    let mut admin = wrapd_proto::pb::share_admin_client::ShareAdminClient::new(channel.clone());
    let e = admin
        .start_share(share_req("s", pb::Role::Viewer))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");
    let addr = taken.local_addr().unwrap().to_string();
    assert!(
        e.message().contains("cannot listen") && e.message().contains(&addr),
        "{e:?}"
    );
    // Once the address is free, the next share opens the port.
    drop(taken);
    let info = admin
        .start_share(share_req("s", pb::Role::Viewer))
        .await
        .unwrap()
        .into_inner();
    assert!(info.links.iter().any(|l| l.url.contains(&addr)), "{info:?}");
    wait_for_screen(&mut owner, "s", "fine").await;
    shutdown.cancel();
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn rows_read_by_a_collaborator_count_against_the_byte_limit() {
    let mut config = Config::default();
    config.share.max_session_bytes = 3_000;
    let d = TestDaemon::start_with(config).await;
    let (mut owner, _admin, l) = cat_shared_with_a_viewer_link(&d).await;
    let one = enroll(&d, &l, "One").await;
    let line = "x".repeat(30);
    for i in 0..100 {
        owner
            .send_input(pb::SendInputRequest {
                target: "s".into(),
                data: format!("{i}{line}\r").into_bytes(),
            })
            .await
            .unwrap();
    }
    wait_for_count(&mut owner, "s", &format!("99{line}"), 1).await;
    let e = one
        .mux()
        .await
        .read_rows(pb::ReadRowsRequest {
            target: String::new(),
            start: 0,
            end: 100_000,
        })
        .await
        .expect_err("more rows than the share may send");
    assert_eq!(e.code(), Code::ResourceExhausted, "{e:?}");
    assert!(e.message().contains("limit"), "{e:?}");
    d.stop().await;
}

#[tokio::test]
async fn collaborators_learn_nothing_of_other_sessions_or_the_shared_ones_past() {
    let d = TestDaemon::start().await;
    let mut owner = d.owner().await;
    let mut admin = d.admin().await;
    owner.create_session(create("s", &["cat"])).await.unwrap();
    owner
        .create_session(create("private", &["cat"]))
        .await
        .unwrap();
    let l = link(
        &admin
            .start_share(share_req("s", pb::Role::Viewer))
            .await
            .unwrap()
            .into_inner(),
        "link",
    );
    let one = enroll(&d, &l, "One").await;
    let mut mux = one.mux().await;
    let refusal = |target: &str| pb::ReadRowsRequest {
        target: target.into(),
        start: 0,
        end: 10,
    };
    let existing = mux.read_rows(refusal("private")).await.unwrap_err();
    let missing = mux.read_rows(refusal("no-such-session")).await.unwrap_err();
    assert_eq!(existing.code(), Code::PermissionDenied, "{existing:?}");
    assert_eq!(
        (existing.code(), existing.message()),
        (missing.code(), missing.message())
    );

    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tx.send(pb::AttachRequest {
        msg: Some(Req::Start(start(""))),
    })
    .await
    .unwrap();
    let mut events = mux
        .attach(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .unwrap()
        .into_inner();
    let Some(pb::AttachEvent {
        msg: Some(pb::attach_event::Msg::Attached(attached)),
    }) = events.message().await.unwrap()
    else {
        panic!("first event is not `attached`");
    };
    let info = attached.session.unwrap();
    assert_eq!(info.name, "s");
    assert!(info.cols > 0 && info.rows > 0, "{info:?}");
    assert!(info.command.is_empty() && info.pid == 0, "{info:?}");
    assert!(info.cwd.is_empty() && info.title.is_empty(), "{info:?}");
    assert_eq!(info.history_lines, 0, "{info:?}");
    drop(tx);
    d.stop().await;
}

#[tokio::test]
async fn a_stranger_is_refused_before_sending_anything_on_attach() {
    let d = TestDaemon::start().await;
    let mut owner = d.owner().await;
    let mut admin = d.admin().await;
    owner.create_session(create("s", &["cat"])).await.unwrap();
    let info = admin
        .start_share(share_req("s", pb::Role::Viewer))
        .await
        .unwrap()
        .into_inner();
    let one = enroll(&d, &link(&info, "link"), "One").await;
    let mut anon = MuxClient::new(tls_channel(&one.addr, &one.ca_pem, None).await);
    // The request stream stays open and silent: the refusal must not wait for it.
    let (_tx, rx) = tokio::sync::mpsc::channel::<pb::AttachRequest>(1);
    let refused = anon.attach(tokio_stream::wrappers::ReceiverStream::new(rx));
    let e = tokio::time::timeout(Duration::from_secs(30), refused)
        .await
        .expect("the daemon waited for a stranger's first message instead of refusing")
        .unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated, "{e:?}");
    d.stop().await;
}

#[tokio::test]
async fn a_ca_that_cannot_be_made_fails_the_share_saying_where_and_the_socket_serves_on() {
    let state = tempfile::tempdir().unwrap();
    let share_dir = state.path().join("share");
    // A CA certificate that cannot be read (a directory where the file goes).
    std::fs::create_dir_all(share_dir.join("ca.pem")).unwrap();
    std::fs::write(share_dir.join("ca.key"), "").unwrap();
    let d = TestDaemon::start_in(Config::default(), Some(share_dir)).await;
    let mut owner = d.owner().await;
    owner.create_session(create("s", &["cat"])).await.unwrap();
    let mut admin = d.admin().await;
    for _ in 0..2 {
        let e = admin
            .start_share(share_req("s", pb::Role::Viewer))
            .await
            .expect_err("no CA, no share");
        assert!(
            e.message().contains("cannot load or make the CA") && e.message().contains("ca.pem"),
            "{e:?}"
        );
    }
    session_still_answers(&mut owner).await;
    d.stop().await;
}

#[tokio::test]
async fn a_corrupt_revocation_list_keeps_the_share_port_shut_and_the_socket_serving() {
    let state = tempfile::tempdir().unwrap();
    let share_dir = state.path().join("share");
    std::fs::create_dir_all(&share_dir).unwrap();
    std::fs::write(share_dir.join("revoked.json"), "{\"serials\": [\"0a").unwrap();
    let d = TestDaemon::start_in(Config::default(), Some(share_dir.clone())).await;
    let mut owner = d.owner().await;
    owner.create_session(create("s", &["cat"])).await.unwrap();
    let e = d
        .admin()
        .await
        .start_share(share_req("s", pb::Role::Viewer))
        .await
        .expect_err("sharing must be off without a readable revocation list");
    assert!(e.message().contains("shar"), "{e:?}");
    session_still_answers(&mut owner).await;
    // The list is left as it was, for the owner to fix.
    let text = std::fs::read_to_string(share_dir.join("revoked.json")).unwrap();
    assert_eq!(text, "{\"serials\": [\"0a");
    d.stop().await;
}

#[tokio::test]
async fn a_collaborator_has_a_few_attach_streams_and_never_the_owners_slots() {
    let mut config = Config::default();
    config.limits.max_clients = 1;
    let d = TestDaemon::start_with(config).await;
    let (mut owner, _admin, l) = cat_shared_with_a_viewer_link(&d).await;
    let one = enroll(&d, &l, "One").await;
    let mut mux = one.mux().await;
    let mut open = Vec::new();
    for _ in 0..4 {
        open.push(attach(&mut mux, "").await);
    }
    let e = try_attach(&mut mux, start("")).await.err().unwrap();
    assert_eq!(e.code(), Code::ResourceExhausted, "{e:?}");
    assert!(e.message().contains("attach streams"), "{e:?}");
    // The owner's one client slot is still theirs.
    let _owner_stream = attach(&mut owner, "s").await;
    drop(open);
    d.stop().await;
}

/// Block watches hold memory and a timer each: a collaborator has a few at
/// once, the next is refused saying so, and closing one makes room.
#[tokio::test]
async fn a_collaborator_has_a_few_block_watches() {
    use wrapd_muxd::collab::slots::WATCHES_PER_PARTICIPANT;
    let d = TestDaemon::start().await;
    let (mut owner, _admin, l) = cat_shared_with_a_viewer_link(&d).await;
    let one = enroll(&d, &l, "One").await;
    let mux = one.mux().await;
    let watch = |mut mux: MuxClient<Channel>, target: &'static str| async move {
        mux.watch_blocks(pb::WatchBlocksRequest {
            target: target.into(),
        })
        .await
        .map(|r| r.into_inner())
    };
    let mut open = Vec::new();
    for _ in 0..WATCHES_PER_PARTICIPANT {
        open.push(watch(mux.clone(), "").await.unwrap());
    }
    let e = watch(mux.clone(), "").await.err().unwrap();
    assert_eq!(e.code(), Code::ResourceExhausted, "{e:?}");
    assert!(e.message().contains("block watches"), "{e:?}");
    // Another participant has their own.
    let two = enroll(&d, &l, "Two").await;
    watch(two.mux().await, "").await.unwrap();
    // Closing one makes room (once the daemon has seen it go).
    drop(open.pop());
    wait_for("room for a block watch again", || {
        let mux = mux.clone();
        async move {
            match watch(mux, "").await {
                Ok(w) => (Some(w), String::new()),
                Err(e) => (None, format!("{e:?}")),
            }
        }
    })
    .await;
    // The owner's watches are not counted.
    for _ in 0..WATCHES_PER_PARTICIPANT + 1 {
        open.push(watch(owner.clone(), "s").await.unwrap());
    }
    session_still_answers(&mut owner).await;
    drop(open);
    d.stop().await;
}

/// Selections go to every client as presence: a collaborator who sends
/// thousands cannot make the daemon send thousands of presence messages to
/// everyone; they are coalesced (each client is sent the latest presence
/// when it is ready for more: some 70 messages for these 5,000 here), and
/// the last one arrives.
#[tokio::test]
async fn a_storm_of_selections_is_coalesced_and_the_last_one_arrives() {
    const SELECTIONS: u64 = 5000;
    let d = TestDaemon::start().await;
    let (mut owner, _admin, l) = cat_shared_with_a_viewer_link(&d).await;
    let (_owner_tx, mut owner_events) = attach(&mut owner, "s").await;
    let one = enroll(&d, &l, "One").await;
    let (tx, _events) = attach(&mut one.mux().await, "").await;
    let selection = |row: u64| pb::Selection {
        start_row: row,
        end_row: row,
        end_col: 3,
        ..Default::default()
    };
    for row in 1..=SELECTIONS {
        tx.send(pb::AttachRequest {
            msg: Some(Req::Select(selection(row))),
        })
        .await
        .unwrap();
    }
    let mut presences = 0;
    let last = Some(selection(SELECTIONS));
    next_event(&mut owner_events, "One's last selection", |e| match e {
        Ok(pb::AttachEvent {
            msg: Some(pb::attach_event::Msg::Presence(p)),
        }) => {
            presences += 1;
            p.participants
                .iter()
                .any(|x| x.selection == last)
                .then_some(())
        }
        _ => None,
    })
    .await;
    assert!(
        presences < SELECTIONS / 10,
        "{presences} presence messages for {SELECTIONS} selections"
    );
    d.stop().await;
}

#[tokio::test]
async fn streams_end_when_the_certificate_expires() {
    let mut config = Config::default();
    config.share.cert_validity = wrapd_common::config::HumanDuration(Duration::from_secs(3));
    let d = TestDaemon::start_with(config).await;
    let (_owner, _admin, l) = cat_shared_with_a_viewer_link(&d).await;
    let one = enroll(&d, &l, "One").await;
    let mut mux = one.mux().await;
    let (_tx, mut ev) = attach(&mut mux, "").await;
    let mut blocks = mux
        .watch_blocks(pb::WatchBlocksRequest { target: "".into() })
        .await
        .unwrap()
        .into_inner();
    // Requests made after it are refused, and the streams opened before end.
    let end = stream_end(&mut ev).await;
    assert_eq!(end.code(), Code::Unauthenticated, "{end:?}");
    assert!(end.message().contains("expired"), "{end:?}");
    // The block watch ended too, saying why.
    let watch_end = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match blocks.next().await {
                Some(Ok(_)) => {}
                Some(Err(st)) => return st,
                None => return tonic::Status::ok(""),
            }
        }
    })
    .await
    .expect("the block watch ended too");
    assert_eq!(watch_end.code(), Code::Unauthenticated, "{watch_end:?}");
    assert!(watch_end.message().contains("expired"), "{watch_end:?}");
    let e = mux
        .read_rows(pb::ReadRowsRequest {
            target: "".into(),
            start: 0,
            end: 10,
        })
        .await
        .unwrap_err();
    assert!(e.message().contains("expired"), "{e:?}");
    d.stop().await;
}
