//! Secrets a session prints are masked in everything a collaborator receives
//! — the live screen, history rows, the title, the working directory, block
//! command lines, directories and output — while the owner sees them as they
//! are.

mod share_common;

use share_common::*;
use wrapd_proto::pb;
use wrapd_proto::pb::attach_event::Msg as Event;

const TOKEN: &str = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collaborators_see_secrets_masked_and_the_owner_does_not() {
    let d = TestDaemon::start().await;
    let home = tempfile::tempdir().unwrap();
    let mut owner = d.owner().await;
    owner.create_session(bash("s", home.path())).await.unwrap();
    let info = d
        .admin()
        .await
        .start_share(share_req("s", pb::Role::Viewer))
        .await
        .unwrap()
        .into_inner();
    let c = enroll(&d, &link(&info, "link"), "Vic").await;
    let mut mux = c.mux().await;
    let (_tx, mut events) = attach(&mut mux, "").await;

    // A title and a directory holding the token: the next command runs there.
    let setup = format!(
        "T={TOKEN}; mkdir -p \"$HOME/$T\" && cd \"$HOME/$T\" && printf '\\033]0;GITHUB_TOKEN=%s\\007' \"$T\"\r"
    );
    owner
        .send_input(pb::SendInputRequest {
            target: "s".into(),
            data: setup.into_bytes(),
        })
        .await
        .unwrap();
    let line = format!("echo GITHUB_TOKEN={TOKEN} password=hunter2hunter2; echo done-$((6*7))\r");
    owner
        .send_input(pb::SendInputRequest {
            target: "s".into(),
            data: line.into_bytes(),
        })
        .await
        .unwrap();
    let mut seen = Vec::new();
    let mut screen = std::collections::BTreeMap::new();
    let mut title = String::new();
    next_event(
        &mut events,
        "the output on the collaborator's screen",
        |e| {
            seen.push(format!("{e:?}"));
            if let Ok(pb::AttachEvent {
                msg: Some(Event::Update(u)),
            }) = e
            {
                title = u.title.clone();
                for r in &u.rows {
                    let text: String = r.spans.iter().map(|s| s.text.as_str()).collect();
                    screen.insert(r.index, text);
                }
            }
            screen.values().any(|l| l == "done-42").then_some(())
        },
    )
    .await;
    // The line may wrap on the session's narrow screen: read it whole.
    let all: String = screen.values().cloned().collect();
    let want = format!(
        "GITHUB_TOKEN={} password={}",
        "*".repeat(TOKEN.len()),
        "*".repeat("hunter2hunter2".len())
    );
    assert!(all.contains(&want), "{screen:?}");
    assert_eq!(title, format!("GITHUB_TOKEN={}", "*".repeat(TOKEN.len())));

    let rows = mux
        .read_rows(pb::ReadRowsRequest {
            target: String::new(),
            start: 0,
            end: 10_000,
        })
        .await
        .unwrap()
        .into_inner();
    seen.push(format!("{rows:?}"));
    let blocks = wait_for("the block to finish", || {
        let mut m = mux.clone();
        async move {
            let page = m
                .list_blocks(pb::ListBlocksRequest::default())
                .await
                .unwrap()
                .into_inner();
            let done = page
                .blocks
                .last()
                .is_some_and(|b| b.state() == pb::BlockState::Finished);
            (done.then(|| page.clone()), format!("{page:?}"))
        }
    })
    .await;
    seen.push(format!("{blocks:?}"));
    let out = mux
        .get_block_output(pb::GetBlockOutputRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(out.text.contains("done-42"), "{out:?}");
    seen.push(format!("{out:?}"));
    // Searching cannot guess a secret either, in either direction.
    for (backwards, from) in [(true, u64::MAX), (false, 0)] {
        for (q, found) in [("ghp_0123", false), ("hunter2", false), ("done-42", true)] {
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
            assert_eq!(r.found.is_some(), found, "{q} backwards={backwards}: {r:?}");
        }
    }
    for s in &seen {
        assert!(
            !s.contains(TOKEN) && !s.contains("hunter2"),
            "a collaborator received a secret: {s}"
        );
    }
    // The owner sees the real thing.
    let text = capture(&mut owner, "s").await.replace('\n', "");
    assert!(
        text.contains(TOKEN) && text.contains("hunter2hunter2"),
        "{text}"
    );
    d.stop().await;
}
