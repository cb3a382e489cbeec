//! Every stream the daemon ends says why, with a status a client can act on:
//! an attach message over `limits.max_message_bytes` (on the Unix socket and
//! the share port alike), a collaborator's block watch when they are removed
//! or the share stops. The daemon serves everyone else meanwhile.

mod share_common;

use std::time::Duration;

use share_common::*;
use tokio_stream::StreamExt;
use tonic::Code;
use tonic::transport::Channel;
use wrapd_common::config::Config;
use wrapd_proto::pb;
use wrapd_proto::pb::mux_client::MuxClient;
use wrapd_proto::pb::update_access_request::Change;

const LIMIT: usize = 65_536;

fn limited() -> Config {
    Config::parse(&format!("[limits]\nmax_message_bytes = {LIMIT}\n")).unwrap()
}

/// Send one input message over the limit on an attach stream: the stream
/// ends with OUT_OF_RANGE, naming the limit.
async fn too_large_input_ends_the_stream(who: &str, c: &mut MuxClient<Channel>) {
    let (tx, mut events) = attach(c, "").await;
    type_in(&tx, &"x".repeat(LIMIT + 10)).await;
    let end = stream_end(&mut events).await;
    assert_eq!(end.code(), Code::OutOfRange, "{who}: {end:?}");
    assert!(
        end.message().contains("limits.max_message_bytes")
            && end.message().contains(&LIMIT.to_string()),
        "{who}: {end:?}"
    );
}

#[tokio::test]
async fn an_attach_message_over_the_limit_ends_the_stream_saying_so() {
    let d = TestDaemon::start_with(limited()).await;
    let (mut owner, mut admin, _) = cat_shared_with_a_viewer_link(&d).await;
    let mut req = share_req("s", pb::Role::Unspecified);
    req.invites = vec![pb::Invite {
        email: "ed@example.org".into(),
        role: pb::Role::Editor as i32,
    }];
    let info = admin.start_share(req).await.unwrap().into_inner();
    let editor = enroll(&d, &link(&info, "ed@example.org"), "Ed").await;

    // The owner on the Unix socket, and a collaborator on the share port.
    too_large_input_ends_the_stream("owner", &mut owner).await;
    too_large_input_ends_the_stream("editor", &mut editor.mux().await).await;

    // Nothing reached the session, which still serves both.
    let screen = capture(&mut owner, "s").await;
    assert!(!screen.contains("xxxx"), "{screen}");
    owner_types_and_sees(&mut owner, "s", "fine").await;
    let (tx, _events) = attach(&mut editor.mux().await, "").await;
    type_in(&tx, "from-ed\r").await;
    wait_for_screen(&mut owner, "s", "from-ed").await;
    // And a message within the limit still goes through on a new stream.
    type_in(&tx, &"y".repeat(LIMIT / 2)).await;
    wait_for_screen(&mut owner, "s", "yyyy").await;
    d.stop().await;
}

/// The next block event, or the status the watch ended with.
async fn watch_end(watch: &mut tonic::Streaming<pb::BlockEvent>) -> tonic::Status {
    let end = async {
        loop {
            match watch.next().await {
                Some(Ok(_)) => {}
                Some(Err(st)) => return st,
                None => return tonic::Status::ok(""),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), end)
        .await
        .expect("the block watch ends within 10 s")
}

#[tokio::test]
async fn a_block_watch_ends_with_why_when_access_ends() {
    let d = TestDaemon::start().await;
    let (mut owner, mut admin, link) = cat_shared_with_a_viewer_link(&d).await;
    let removed = enroll(&d, &link, "Rem").await;
    let stays = enroll(&d, &link, "Stay").await;
    let mut removed_watch = removed
        .mux()
        .await
        .watch_blocks(pb::WatchBlocksRequest::default())
        .await
        .unwrap()
        .into_inner();
    let mut stays_watch = stays
        .mux()
        .await
        .watch_blocks(pb::WatchBlocksRequest::default())
        .await
        .unwrap()
        .into_inner();

    update_access(
        &mut admin,
        "s",
        Change::Remove(removed.whoami.participant_id.clone()),
    )
    .await;
    let end = watch_end(&mut removed_watch).await;
    assert_eq!(end.code(), Code::PermissionDenied, "{end:?}");
    assert!(end.message().contains("removed"), "{end:?}");
    // The session serves on.
    owner_types_and_sees(&mut owner, "s", "still-here").await;

    // Stopping the share ends the other watch (which lasted until now: it
    // says so), saying why.
    admin
        .stop_share(pb::StopShareRequest {
            target: "s".into(),
            all: false,
        })
        .await
        .unwrap();
    let end = watch_end(&mut stays_watch).await;
    assert_eq!(end.code(), Code::PermissionDenied, "{end:?}");
    assert!(end.message().contains("stopped"), "{end:?}");
    d.stop().await;
}

#[tokio::test]
async fn an_attach_client_that_closes_its_side_keeps_receiving_updates() {
    let d = TestDaemon::start().await;
    let (mut owner, _admin, link) = cat_shared_with_a_viewer_link(&d).await;
    let viewer = enroll(&d, &link, "Vi").await;
    // A watcher (the owner, and a collaborator) sends `start` and nothing more.
    for (who, mut c) in [("owner", owner.clone()), ("viewer", viewer.mux().await)] {
        let (tx, mut events) = attach(&mut c, "").await;
        drop(tx);
        let word = format!("after-close-{who}");
        owner_types_and_sees(&mut owner, "s", &word).await;
        next_event(&mut events, "the update after closing", |e| match e {
            Ok(pb::AttachEvent {
                msg: Some(pb::attach_event::Msg::Update(u)),
            }) => u
                .rows
                .iter()
                .any(|r| r.spans.iter().any(|s| s.text.contains(&word)))
                .then_some(()),
            _ => None,
        })
        .await;
    }
    d.stop().await;
}
