//! What collaborators may do, exhaustively: every role (none, a refused
//! certificate, viewer, editor) against every RPC on the share port. And the
//! share's starting point: nothing before it reaches a collaborator, by any
//! RPC.

mod share_common;

use share_common::*;
use tokio_stream::StreamExt;
use tonic::Code;
use tonic::transport::Channel;
use wrapd_proto::pb;
use wrapd_proto::pb::attach_event::Msg as Event;
use wrapd_proto::pb::mux_client::MuxClient;
use wrapd_proto::pb::share_admin_client::ShareAdminClient;
use wrapd_proto::pb::share_client::ShareClient;
use wrapd_proto::pb::update_access_request::Change;

const OWNER_ONLY: &[&str] = &[
    "GetServerInfo",
    "CreateSession",
    "ListSessions",
    "KillSession",
    "RenameSession",
    "Capture",
    "SendInput",
];
const ALLOWED: &[&str] = &[
    "Attach",
    "ReadRows",
    "SearchRows",
    "ListBlocks",
    "GetBlockOutput",
    "WatchBlocks",
];

/// Call `rpc` on `target` and say how it went.
async fn call(ch: &Channel, rpc: &str, target: &str) -> Code {
    let mut m = MuxClient::new(ch.clone());
    let t = target.to_owned();
    let r: Result<(), tonic::Status> = match rpc {
        "GetServerInfo" => m
            .get_server_info(pb::GetServerInfoRequest::default())
            .await
            .map(drop),
        "CreateSession" => m.create_session(create("x", &["cat"])).await.map(drop),
        "ListSessions" => m.list_sessions(pb::ListSessionsRequest {}).await.map(drop),
        "KillSession" => m
            .kill_session(pb::KillSessionRequest { target: t })
            .await
            .map(drop),
        "RenameSession" => m
            .rename_session(pb::RenameSessionRequest {
                target: t,
                new_name: "y".into(),
            })
            .await
            .map(drop),
        "Capture" => m
            .capture(pb::CaptureRequest {
                target: t,
                ..Default::default()
            })
            .await
            .map(drop),
        "SendInput" => m
            .send_input(pb::SendInputRequest {
                target: t,
                data: b"x".to_vec(),
            })
            .await
            .map(drop),
        "ReadRows" => m
            .read_rows(pb::ReadRowsRequest {
                target: t,
                start: 0,
                end: 10,
            })
            .await
            .map(drop),
        "SearchRows" => m
            .search_rows(pb::SearchRowsRequest {
                target: t,
                query: "$".into(),
                ..Default::default()
            })
            .await
            .map(drop),
        "ListBlocks" => m
            .list_blocks(pb::ListBlocksRequest {
                target: t,
                ..Default::default()
            })
            .await
            .map(drop),
        "GetBlockOutput" => m
            .get_block_output(pb::GetBlockOutputRequest {
                target: t,
                ..Default::default()
            })
            .await
            .map(drop),
        "WatchBlocks" => m
            .watch_blocks(pb::WatchBlocksRequest { target: t })
            .await
            .map(drop),
        "Attach" => try_attach(&mut m, start(target)).await.map(drop),
        "Whoami" => ShareClient::new(ch.clone())
            .whoami(pb::WhoamiRequest {})
            .await
            .map(drop),
        "RequestControl" => ShareClient::new(ch.clone())
            .request_control(pb::RequestControlRequest {})
            .await
            .map(drop),
        "ShareAdmin.ListShares" => ShareAdminClient::new(ch.clone())
            .list_shares(pb::ListSharesRequest {})
            .await
            .map(drop),
        "ShareAdmin.StopShare" => ShareAdminClient::new(ch.clone())
            .stop_share(pb::StopShareRequest {
                target: t,
                all: true,
            })
            .await
            .map(drop),
        other => panic!("unknown rpc {other}"),
    };
    match r {
        Ok(()) => Code::Ok,
        Err(st) => st.code(),
    }
}

#[tokio::test]
async fn every_role_against_every_rpc() {
    let d = TestDaemon::start().await;
    let home = tempfile::tempdir().unwrap();
    let mut owner = d.owner().await;
    let mut admin = d.admin().await;
    owner
        .create_session(bash("shared", home.path()))
        .await
        .unwrap();
    owner
        .create_session(create("private", &["cat"]))
        .await
        .unwrap();
    owner
        .send_input(pb::SendInputRequest {
            target: "shared".into(),
            data: b"echo hi\r".to_vec(),
        })
        .await
        .unwrap();
    wait_for("a finished block", || {
        let mut o = owner.clone();
        async move {
            let page = o
                .list_blocks(pb::ListBlocksRequest {
                    target: "shared".into(),
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner();
            let done = page
                .blocks
                .iter()
                .any(|b| b.state() == pb::BlockState::Finished);
            (done.then_some(()), format!("{page:?}"))
        }
    })
    .await;
    let mut req = share_req("shared", pb::Role::Viewer);
    req.invites = vec![pb::Invite {
        email: "ed@example.org".into(),
        role: pb::Role::Editor as i32,
    }];
    let info = admin.start_share(req).await.unwrap().into_inner();
    let viewer = enroll(&d, &link(&info, "link"), "Vi").await;
    let editor = enroll(&d, &link(&info, "ed@example.org"), "Ed").await;
    assert_eq!(editor.whoami.role(), pb::Role::Editor);
    let addr = viewer.addr.clone();
    let anonymous = tls_channel(&addr, &d.ca_pem(), None).await;
    // A certificate from a CA the daemon does not know.
    let foreign = {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["mallory".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        tls_channel(
            &addr,
            &d.ca_pem(),
            Some((&cert.pem(), &key.serialize_pem())),
        )
        .await
    };
    let who: Vec<(&str, Channel)> = vec![
        ("anonymous", anonymous),
        ("foreign", foreign),
        ("viewer", viewer.channel().await),
        ("editor", editor.channel().await),
    ];
    let mut failures = Vec::new();
    let mut check = |who: &str, rpc: &str, target: &str, got: Code, want: Code| {
        if got != want {
            failures.push(format!(
                "{who} {rpc}({target:?}): got {got:?}, want {want:?}"
            ));
        }
    };
    for (name, ch) in &who {
        let collaborator = matches!(*name, "viewer" | "editor");
        for rpc in OWNER_ONLY {
            let want = if collaborator {
                Code::PermissionDenied
            } else {
                Code::Unauthenticated
            };
            check(name, rpc, "shared", call(ch, rpc, "shared").await, want);
        }
        for rpc in ALLOWED {
            let want = if collaborator {
                Code::Ok
            } else {
                Code::Unauthenticated
            };
            check(name, rpc, "", call(ch, rpc, "").await, want);
            check(name, rpc, "shared", call(ch, rpc, "shared").await, want);
            let want = if collaborator {
                Code::PermissionDenied
            } else {
                Code::Unauthenticated
            };
            check(name, rpc, "private", call(ch, rpc, "private").await, want);
        }
        let want = if collaborator {
            Code::Ok
        } else {
            Code::Unauthenticated
        };
        check(name, "Whoami", "", call(ch, "Whoami", "").await, want);
        let want = match *name {
            "viewer" => Code::Ok,
            "editor" => Code::FailedPrecondition,
            _ => Code::Unauthenticated,
        };
        check(
            name,
            "RequestControl",
            "",
            call(ch, "RequestControl", "").await,
            want,
        );
        // The owner's service refuses everyone on the share port.
        for rpc in ["ShareAdmin.ListShares", "ShareAdmin.StopShare"] {
            check(
                name,
                rpc,
                "",
                call(ch, rpc, "").await,
                Code::PermissionDenied,
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Nothing of that reached the sessions.
    let list = owner
        .list_sessions(pb::ListSessionsRequest {})
        .await
        .unwrap()
        .into_inner();
    let mut names: Vec<_> = list.sessions.iter().map(|s| s.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["private", "shared"]);
    assert_eq!(
        admin
            .list_shares(pb::ListSharesRequest {})
            .await
            .unwrap()
            .into_inner()
            .shares
            .len(),
        1
    );
    d.stop().await;
}

#[tokio::test]
async fn nothing_before_the_starting_block_reaches_a_collaborator() {
    const MARKER: &str = "SECRET-BEFORE-MARKER";
    let d = TestDaemon::start().await;
    let home = tempfile::tempdir().unwrap();
    let mut owner = d.owner().await;
    let mut admin = d.admin().await;
    owner.create_session(bash("b", home.path())).await.unwrap();
    let blocks = |n: usize| {
        let owner = owner.clone();
        async move {
            wait_for(&format!("{n} finished blocks"), || {
                let mut o = owner.clone();
                async move {
                    let page = o
                        .list_blocks(pb::ListBlocksRequest {
                            target: "b".into(),
                            ..Default::default()
                        })
                        .await
                        .unwrap()
                        .into_inner();
                    let done = page.blocks.len() >= n
                        && page
                            .blocks
                            .iter()
                            .all(|b| b.state() == pb::BlockState::Finished);
                    (done.then(|| page.blocks.clone()), format!("{page:?}"))
                }
            })
            .await
        }
    };
    let send = |text: &'static str| {
        let mut o = owner.clone();
        async move {
            o.send_input(pb::SendInputRequest {
                target: "b".into(),
                data: text.as_bytes().to_vec(),
            })
            .await
            .unwrap();
        }
    };
    send("echo SECRET-BEFORE-MARKER\r").await;
    blocks(1).await;
    send("echo after-start\r").await;
    let all = blocks(2).await;
    let from = all.last().unwrap().id;
    let info = admin
        .start_share(pb::StartShareRequest {
            target: "b".into(),
            start: Some(pb::ShareStart {
                from: Some(pb::share_start::From::BlockId(from)),
            }),
            link_role: pb::Role::Viewer as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(info.start_block, from);
    let c = enroll(&d, &link(&info, "link"), "C").await;
    let mut mux = c.mux().await;
    let mut seen: Vec<String> = Vec::new();

    let mut watch = mux
        .watch_blocks(pb::WatchBlocksRequest::default())
        .await
        .unwrap()
        .into_inner();
    let (_tx, mut events) = attach(&mut mux, "").await;
    send("echo third\r").await;
    // The attach stream until the third command's output shows.
    let mut screen = std::collections::BTreeMap::new();
    next_event(&mut events, "`third` on the collaborator's screen", |e| {
        seen.push(format!("{e:?}"));
        if let Ok(pb::AttachEvent {
            msg: Some(Event::Update(u)),
        }) = e
        {
            for r in &u.rows {
                screen.insert(
                    r.index,
                    r.spans.iter().map(|s| s.text.clone()).collect::<String>(),
                );
            }
        }
        screen.values().any(|l| l == "third").then_some(())
    })
    .await;
    assert!(
        screen.values().any(|l| l.contains("after-start")),
        "{screen:?}"
    );
    // Block events until the third block finished.
    loop {
        let e = tokio::time::timeout(std::time::Duration::from_secs(10), watch.next())
            .await
            .expect("block events")
            .unwrap()
            .unwrap();
        seen.push(format!("{e:?}"));
        if matches!(&e.event, Some(pb::block_event::Event::Finished(b)) if b.command == "echo third")
        {
            break;
        }
    }
    let rows = mux
        .read_rows(pb::ReadRowsRequest {
            target: String::new(),
            start: 0,
            end: 100_000,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        rows.history_start >= info.start_row.min(rows.screen_start),
        "{rows:?}"
    );
    seen.push(format!("{rows:?}"));
    for (backwards, from) in [(true, u64::MAX), (false, 0)] {
        for q in [MARKER, "SECRET", "echo"] {
            let r = mux
                .search_rows(pb::SearchRowsRequest {
                    query: q.into(),
                    backwards,
                    from,
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner();
            if q != "echo" {
                assert_eq!(r.found, None, "searching {q:?} backwards={backwards}");
            } else {
                assert!(r.found.unwrap().row >= info.start_row);
            }
        }
    }
    let list = mux
        .list_blocks(pb::ListBlocksRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.blocks.first().map(|b| b.id), Some(from), "{list:?}");
    assert!(!list.more);
    seen.push(format!("{list:?}"));
    let e = mux
        .get_block_output(pb::GetBlockOutputRequest {
            id: from - 1,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound, "{e:?}");
    seen.push(format!("{e:?}"));
    let out = mux
        .get_block_output(pb::GetBlockOutputRequest {
            id: from,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(out.text, "after-start\n");
    seen.push(format!("{out:?}"));

    for s in &seen {
        assert!(
            !s.contains("SECRET"),
            "a collaborator received the marker: {s}"
        );
    }
    // The owner still sees everything.
    assert!(capture(&mut owner, "b").await.contains(MARKER));
    // Turning the link off cuts those who enrolled with it.
    let info = update_access(&mut admin, "b", Change::LinkRole(0)).await;
    assert!(info.links.is_empty());
    let e = mux
        .list_blocks(pb::ListBlocksRequest::default())
        .await
        .unwrap_err();
    assert_eq!(e.code(), tonic::Code::PermissionDenied, "{e:?}");
    d.stop().await;
}

/// Everything a collaborator can read of the shared session besides their
/// streams, each message in its debug form (every field): all rows, searches
/// for `queries` both ways, the blocks, and every block's output (or the
/// refusal) by id up to one past the newest.
async fn everything_readable(mux: &mut MuxClient<Channel>, queries: &[&str]) -> Vec<String> {
    let mut seen = Vec::new();
    let rows = mux
        .read_rows(pb::ReadRowsRequest {
            target: String::new(),
            start: 0,
            end: 100_000,
        })
        .await;
    seen.push(format!("{rows:?}"));
    for (backwards, from) in [(true, u64::MAX), (false, 0)] {
        for q in queries {
            let r = mux
                .search_rows(pb::SearchRowsRequest {
                    query: (*q).into(),
                    backwards,
                    from,
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner();
            assert_eq!(r.found, None, "searching {q:?} backwards={backwards}");
        }
    }
    let list = mux
        .list_blocks(pb::ListBlocksRequest::default())
        .await
        .unwrap()
        .into_inner();
    let newest = list.blocks.last().map_or(0, |b| b.id);
    seen.push(format!("{list:?}"));
    for id in 0..=newest + 1 {
        let out = mux
            .get_block_output(pb::GetBlockOutputRequest {
                id,
                ..Default::default()
            })
            .await;
        seen.push(format!("{out:?}"));
    }
    seen
}

/// The screen a client builds from updates: row index -> text.
fn apply(screen: &mut std::collections::BTreeMap<u64, String>, u: &pb::ScreenUpdate) {
    if u.reset {
        screen.clear();
    }
    screen.retain(|&i, _| i >= u.history_start);
    for r in &u.rows {
        screen.insert(r.index, r.spans.iter().map(|s| s.text.as_str()).collect());
    }
}

/// Every message a collaborator received, and the fields that must not come
/// from before the share: none may hold `marker` anywhere.
fn assert_nothing_holds(marker: &str, seen: &[String]) {
    for s in seen {
        assert!(
            !s.contains(marker),
            "a collaborator received `{marker}`: {s}"
        );
    }
}

#[tokio::test]
async fn nothing_from_before_the_current_screen_reaches_a_collaborator_by_any_field() {
    let d = TestDaemon::start().await;
    let home = tempfile::tempdir().unwrap();
    let mut owner = d.owner().await;
    let mut admin = d.admin().await;
    owner.create_session(bash("b", home.path())).await.unwrap();
    let sender = owner.clone();
    let send = move |text: &'static str| {
        let mut o = sender.clone();
        async move {
            o.send_input(pb::SendInputRequest {
                target: "b".into(),
                data: text.as_bytes().to_vec(),
            })
            .await
            .unwrap();
        }
    };
    // Before the share: a directory, a title, a bell, rows that scroll into
    // history, blocks, and the owner's highlight of one of them.
    send("mkdir -p \"$HOME/SECRET-DIR\" && cd \"$HOME/SECRET-DIR\"\r").await;
    send("printf '\\033]0;SECRET-TITLE\\007\\007'; echo SECRET-ROW\r").await;
    send("seq 1 40\r").await;
    let mut start_owner = start("b");
    start_owner.read_only = true;
    let (owner_tx, mut owner_events) = try_attach(&mut owner, start_owner).await.unwrap();
    next_event(
        &mut owner_events,
        "the owner's title, cwd and bell",
        |e| match e {
            Ok(pb::AttachEvent {
                msg: Some(Event::Update(u)),
            }) => (u.title == "SECRET-TITLE" && u.cwd.ends_with("SECRET-DIR") && u.bell_count == 1)
                .then_some(()),
            _ => None,
        },
    )
    .await;
    // (Not `40\n$`: the typed-ahead echo of `seq 1 40` shows that first.)
    wait_for_screen(&mut owner, "b", "39\n40\n$").await;
    owner_tx
        .send(pb::AttachRequest {
            msg: Some(pb::attach_request::Msg::Select(pb::Selection {
                block_id: 2,
                ..Default::default()
            })),
        })
        .await
        .unwrap();
    next_presence(&mut owner_events, "the owner's highlight", |p| {
        p.participants[0].selection.is_some()
    })
    .await;
    // From the current screen (the default).
    let info = admin
        .start_share(pb::StartShareRequest {
            target: "b".into(),
            link_role: pb::Role::Viewer as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let c = enroll(&d, &link(&info, "link"), "C").await;
    let mut mux = c.mux().await;
    let mut watch = mux
        .watch_blocks(pb::WatchBlocksRequest::default())
        .await
        .unwrap()
        .into_inner();
    let (_tx, mut events) = attach(&mut mux, "").await;
    // After it: the same kinds of thing, which do reach them.
    send("cd /tmp\r").await;
    send("printf '\\033]0;after-title\\007\\007'; echo after-row\r").await;
    let mut seen = Vec::new();
    let (mut updates, mut presences) = (Vec::new(), Vec::new());
    next_event(
        &mut events,
        "the title, cwd and bell set after the share",
        |e| {
            seen.push(format!("{e:?}"));
            match e {
                Ok(pb::AttachEvent {
                    msg: Some(Event::Update(u)),
                }) => {
                    updates.push(u.clone());
                    (u.title == "after-title" && u.cwd == "/tmp" && u.bell_count >= 1).then_some(())
                }
                Ok(pb::AttachEvent {
                    msg: Some(Event::Presence(p)),
                }) => {
                    presences.push(p.clone());
                    None
                }
                _ => None,
            }
        },
    )
    .await;
    for u in &updates {
        assert!(["", "after-title"].contains(&u.title.as_str()), "{u:?}");
        assert!(["", "/tmp"].contains(&u.cwd.as_str()), "{u:?}");
        assert!(u.bell_count <= 1, "bells from before the share: {u:?}");
        assert!(u.blocks.iter().all(|b| b.id >= info.start_block), "{u:?}");
    }
    assert!(!presences.is_empty());
    for p in &presences {
        let owner = &p.participants[0];
        assert_eq!(
            owner.selection, None,
            "the owner's highlight of block 2 ({info:?})"
        );
        assert!(owner.last_input_ms == 0 || owner.last_input_ms >= info.created_at_ms);
    }
    // Block events until the last command finished: the `cd` ran in the
    // directory from before, which is not named.
    let mut cd_block = None;
    loop {
        let e = tokio::time::timeout(std::time::Duration::from_secs(10), watch.next())
            .await
            .expect("block events")
            .unwrap()
            .unwrap();
        seen.push(format!("{e:?}"));
        match &e.event {
            Some(pb::block_event::Event::Finished(b)) if b.command == "cd /tmp" => {
                cd_block = Some(b.clone())
            }
            Some(pb::block_event::Event::Finished(b)) if b.command.contains("after-row") => break,
            _ => {}
        }
    }
    assert_eq!(cd_block.map(|b| b.cwd), Some(String::new()));
    seen.extend(everything_readable(&mut mux, &["SECRET", "SECRET-ROW"]).await);
    assert_nothing_holds("SECRET", &seen);
    // The owner still has it all.
    assert!(capture(&mut owner, "b").await.contains("after-row"));
    let all = owner
        .capture(pb::CaptureRequest {
            target: "b".into(),
            scrollback: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .text;
    assert!(all.contains("SECRET-ROW"), "{all}");
    d.stop().await;
}

#[tokio::test]
async fn sharing_while_a_full_screen_program_runs_keeps_the_screen_beneath_hidden() {
    let d = TestDaemon::start().await;
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("shown.txt"), "SHOWN-AT-SHARE\n").unwrap();
    let mut owner = d.owner().await;
    let mut admin = d.admin().await;
    owner.create_session(bash("f", home.path())).await.unwrap();
    let sender = owner.clone();
    let send = move |text: &'static str| {
        let mut o = sender.clone();
        async move {
            o.send_input(pb::SendInputRequest {
                target: "f".into(),
                data: text.as_bytes().to_vec(),
            })
            .await
            .unwrap();
        }
    };
    send("echo SECRET-UNDER\r").await;
    wait_for_screen(&mut owner, "f", "SECRET-UNDER\n$").await;
    send("less \"$HOME/shown.txt\"\r").await;
    wait_for_screen(&mut owner, "f", "SHOWN-AT-SHARE").await;
    let info = admin
        .start_share(pb::StartShareRequest {
            target: "f".into(),
            link_role: pb::Role::Viewer as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let c = enroll(&d, &link(&info, "link"), "C").await;
    let mut mux = c.mux().await;
    let (_tx, mut events) = attach(&mut mux, "").await;
    let mut seen = Vec::new();
    let mut screen = std::collections::BTreeMap::new();
    let mut follow = |e: &Result<pb::AttachEvent, tonic::Status>, want: &str| {
        seen.push(format!("{e:?}"));
        if let Ok(pb::AttachEvent {
            msg: Some(Event::Update(u)),
        }) = e
        {
            apply(&mut screen, u);
        }
        screen.values().any(|l| l == want).then_some(())
    };
    // The full-screen program's screen is the current one: it is shared.
    next_event(&mut events, "less's screen", |e| {
        follow(e, "SHOWN-AT-SHARE")
    })
    .await;
    // Once it exits, the screen beneath (from before) stays blank for them,
    // and what comes after shows.
    send("q").await;
    send("echo after-less\r").await;
    next_event(&mut events, "the output after less", |e| {
        follow(e, "after-less")
    })
    .await;
    assert!(
        screen.values().any(|l| l == "$ echo after-less"),
        "the prompt after less is shown: {screen:?}"
    );
    seen.push(format!("{screen:?}"));
    seen.extend(everything_readable(&mut mux, &["SECRET", "SECRET-UNDER"]).await);
    assert_nothing_holds("SECRET", &seen);
    assert!(capture(&mut owner, "f").await.contains("SECRET-UNDER"));
    d.stop().await;
}
