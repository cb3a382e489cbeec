//! A share's audit log outlives the share and the daemon: a real daemon, a
//! collaborator over real mutual TLS who types and comes and goes, the share
//! stopped, the daemon restarted on the same state directory (the file's
//! rotation is tested in `share::audit`).

mod share_common;

use std::os::unix::fs::PermissionsExt;

use share_common::*;
use wrapd_common::config::Config;
use wrapd_proto::pb;

async fn audit(d: &TestDaemon, target: &str) -> Result<Vec<pb::AuditEntry>, tonic::Status> {
    let req = pb::GetAuditLogRequest {
        target: target.into(),
    };
    Ok(d.admin()
        .await
        .get_audit_log(req)
        .await?
        .into_inner()
        .entries)
}

fn actions(entries: &[pb::AuditEntry]) -> Vec<&str> {
    entries.iter().map(|e| e.action.as_str()).collect()
}

#[tokio::test]
async fn the_audit_log_is_read_after_the_share_stops_and_after_a_restart() {
    let state = tempfile::tempdir().unwrap();
    let state_dir = state.path().join("share");
    let d = TestDaemon::start_in(Config::default(), Some(state_dir.clone())).await;
    let mut owner = d.owner().await;
    owner
        .create_session(create("work", &["cat"]))
        .await
        .unwrap();
    let info = d
        .admin()
        .await
        .start_share(share_req("work", pb::Role::Editor))
        .await
        .unwrap()
        .into_inner();
    let share_id = info.share_id.clone();
    let ada = enroll(&d, &link(&info, "link"), "Ada").await;
    let mut mux = ada.mux().await;
    let (tx, _events) = attach(&mut mux, "work").await;
    type_in(&tx, "typed-by-ada").await;
    wait_for_screen(&mut owner, "work", "typed-by-ada").await;
    // Churn: attaching and leaving again and again.
    for _ in 0..50 {
        let (tx, events) = attach(&mut mux, "work").await;
        drop((tx, events));
    }
    wait_for("the churn in the log", || async {
        let log = audit(&d, "work").await.unwrap();
        let left = log.iter().find(|e| e.action == "leave").map(|e| e.count);
        (left.filter(|&n| n >= 50).map(|_| ()), format!("{log:?}"))
    })
    .await;

    let file = state_dir.join("audit").join(format!("{share_id}.jsonl"));
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(file.parent().unwrap()), 0o700);

    let stopped = d
        .admin()
        .await
        .stop_share(pb::StopShareRequest {
            target: "work".into(),
            all: false,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stopped.share_ids, std::slice::from_ref(&share_id));
    let after_stop = audit(&d, "work").await.unwrap();
    let typed = after_stop
        .iter()
        .find(|e| e.action == "input")
        .unwrap_or_else(|| panic!("no input in {:?}", actions(&after_stop)));
    assert!(typed.detail.contains("typed-by-ada"), "{typed:?}");
    assert_eq!(typed.name, "Ada");
    assert_eq!(after_stop.last().unwrap().action, "stop");
    drop((tx, mux, owner));
    d.stop().await;

    // A new daemon on the same state: the session is gone, its log is not.
    let d = TestDaemon::start_in(Config::default(), Some(state_dir)).await;
    let by_id = audit(&d, &share_id).await.unwrap();
    let by_name = audit(&d, "work").await.unwrap();
    assert_eq!(actions(&by_id), actions(&after_stop));
    assert_eq!(actions(&by_name), actions(&after_stop));
    let same_input = |log: &[pb::AuditEntry]| {
        log.iter()
            .find(|e| e.action == "input")
            .map(|e| e.detail.clone())
    };
    assert_eq!(same_input(&by_id), same_input(&after_stop));
    let e = audit(&d, "never-shared").await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::NotFound, "{e:?}");
    d.stop().await;
}
