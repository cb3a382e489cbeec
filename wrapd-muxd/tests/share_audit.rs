//! The audit log cannot be wiped by a participant: a viewer asking for
//! control ten thousand times and attaching and detaching over and over is
//! counted into a few entries, and an editor's recorded input stays.

mod share_common;

use futures_util::StreamExt;
use share_common::*;
use wrapd_proto::pb;

/// More than the old log held (10,000 entries), which these calls emptied.
const REQUESTS: usize = 10_050;
const CHURN: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_repeating_requests_and_attaches_cannot_push_out_recorded_input() {
    let d = TestDaemon::start().await;
    let mut owner = d.owner().await;
    let mut admin = d.admin().await;
    owner.create_session(create("s", &["cat"])).await.unwrap();
    let info = admin
        .start_share(share_req("s", pb::Role::Viewer))
        .await
        .unwrap()
        .into_inner();
    let link = link(&info, "link");
    let ed = enroll(&d, &link, "Ed").await;
    update_access(
        &mut admin,
        "s",
        pb::update_access_request::Change::GrantEdit(ed.whoami.participant_id.clone()),
    )
    .await;
    let mut ed_mux = ed.mux().await;
    let (tx, _events) = attach(&mut ed_mux, "s").await;
    type_in(&tx, "editor-recorded-input\r").await;
    wait_for_screen(&mut owner, "s", "editor-recorded-input").await;

    let vic = enroll(&d, &link, "Vic").await;
    let share = vic.share().await;
    let results: Vec<_> = futures_util::stream::iter(0..REQUESTS)
        .map(|_| {
            let mut share = share.clone();
            async move {
                share
                    .request_control(pb::RequestControlRequest {})
                    .await
                    .map(|_| ())
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let refused: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(refused.is_empty(), "{:?}", refused.first());
    let mut vic_mux = vic.mux().await;
    for _ in 0..CHURN {
        let (_tx, events) = attach(&mut vic_mux, "s").await;
        drop(events);
    }

    let log = admin
        .get_audit_log(pb::GetAuditLogRequest { target: "s".into() })
        .await
        .unwrap()
        .into_inner()
        .entries;
    let dump = || {
        log.iter()
            .map(|e| {
                format!(
                    "{} {} {} ×{}",
                    e.participant_id, e.action, e.detail, e.count
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(log.len() < 20, "{} entries:\n{}", log.len(), dump());
    assert!(!log.iter().any(|e| e.action == "dropped"), "{}", dump());
    let input = log
        .iter()
        .find(|e| e.action == "input")
        .unwrap_or_else(|| panic!("the editor's input is gone:\n{}", dump()));
    assert_eq!(input.participant_id, ed.whoami.participant_id);
    assert!(input.detail.contains("editor-recorded-input"), "{input:?}");
    let vic_id = &vic.whoami.participant_id;
    let of = |action: &str, detail: &str| {
        log.iter()
            .find(|e| &e.participant_id == vic_id && e.action == action && e.detail == detail)
            .unwrap_or_else(|| panic!("no {action} {detail:?} of Vic's:\n{}", dump()))
            .count as usize
    };
    assert_eq!(of("control-requested", ""), REQUESTS, "{}", dump());
    // Streams end on their own time: every attach is counted once it has.
    wait_for("every detach counted", || async {
        let log = admin
            .clone()
            .get_audit_log(pb::GetAuditLogRequest { target: "s".into() })
            .await
            .unwrap()
            .into_inner()
            .entries;
        let count = |detail: &str| {
            log.iter()
                .find(|e| &e.participant_id == vic_id && e.detail == detail)
                .map_or(0, |e| e.count as usize)
        };
        let (joined, left) = (count("attached"), count("detached"));
        (
            (joined == CHURN && left == CHURN).then_some(()),
            format!("attached ×{joined}, detached ×{left}"),
        )
    })
    .await;
    // The owner still sees what the requests asked for.
    let shares = admin
        .list_shares(pb::ListSharesRequest {})
        .await
        .unwrap()
        .into_inner()
        .shares;
    let asked = shares[0]
        .participants
        .iter()
        .find(|p| &p.id == vic_id)
        .unwrap();
    assert!(asked.control_requested, "{asked:?}");
    d.stop().await;
}
