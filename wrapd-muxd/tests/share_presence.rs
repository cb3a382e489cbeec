//! Presence as every participant gets it: two joiners with the owner
//! detached, typing and idleness judged by the daemon and pushed when they
//! change by time alone (no other event in between). A real daemon, real TLS,
//! real certificates.

mod share_common;

use std::time::Duration;

use share_common::*;
use wrapd_common::config::{Config, HumanDuration};
use wrapd_proto::pb;

fn activity_of(p: &pb::Presence, id: &str) -> Option<pb::Activity> {
    p.participants
        .iter()
        .find(|x| x.id == id)
        .map(|x| x.activity())
}

#[tokio::test]
async fn joiners_see_each_other_and_the_detached_owner_and_idleness_arrives_by_itself() {
    let mut config = Config::default();
    // Idle after a second without activity: short enough to wait for.
    config.share.idle_after = HumanDuration(Duration::from_secs(1));
    let d = TestDaemon::start_with(config).await;
    let mut owner = d.owner().await;
    let mut admin = d.admin().await;
    owner.create_session(create("s", &["cat"])).await.unwrap();
    let info = admin
        .start_share(share_req("s", pb::Role::Editor))
        .await
        .unwrap()
        .into_inner();
    let l = link(&info, "link");

    // Ada and Bo join; the owner has never attached.
    let ada = enroll(&d, &l, "Ada").await;
    let bo = enroll(&d, &l, "Bo").await;
    let (ada_id, bo_id) = (
        ada.whoami.participant_id.clone(),
        bo.whoami.participant_id.clone(),
    );
    let (ada_tx, mut ada_events) = attach(&mut ada.mux().await, "").await;
    let (_bo_tx, mut bo_events) = attach(&mut bo.mux().await, "").await;
    let both = |p: &pb::Presence| {
        p.participants
            .iter()
            .filter(|x| x.connected && x.id != "owner")
            .count()
            == 2
    };
    for (events, me) in [(&mut ada_events, &ada_id), (&mut bo_events, &bo_id)] {
        let p = next_presence(events, "both joiners connected", both).await;
        assert_eq!(&p.you, me);
        let owner = &p.participants[0];
        assert_eq!(owner.id, "owner", "the owner comes first: {p:?}");
        assert!(!owner.connected, "{p:?}");
        assert_eq!(owner.activity(), pb::Activity::Away, "{p:?}");
    }

    // Ada types: Bo sees her typing, then idle — the second pushed by the
    // daemon when her second without activity is up, with nothing else
    // happening in between.
    type_in(&ada_tx, "x").await;
    next_presence(&mut bo_events, "Ada typing", |p| {
        activity_of(p, &ada_id) == Some(pb::Activity::Typing)
    })
    .await;
    let p = next_presence(&mut bo_events, "Ada idle", |p| {
        activity_of(p, &ada_id) == Some(pb::Activity::Idle)
    })
    .await;
    assert_eq!(activity_of(&p, "owner"), Some(pb::Activity::Away));

    // The owner attaches: the joiners see them here, and away again after.
    let (_otx, mut owner_events) = attach(&mut owner, "s").await;
    let p = next_presence(&mut owner_events, "the owner sees both joiners", both).await;
    assert_eq!(p.you, "owner");
    next_presence(&mut ada_events, "the owner here", |p| {
        p.participants[0].connected && activity_of(p, "owner") != Some(pb::Activity::Away)
    })
    .await;
    drop(owner_events);
    drop(_otx);
    next_presence(&mut ada_events, "the owner away again", |p| {
        activity_of(p, "owner") == Some(pb::Activity::Away)
    })
    .await;
    d.stop().await;
}
