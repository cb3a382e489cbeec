//! Before joining from a browser: what a link asks of the joiner
//! (`POST /s/SHARE/api/link`), against a real daemon with real links and
//! invitations.

mod share_common;
mod web_common;

use share_common::*;
use web_common::*;
use wrapd_proto::pb;
use wrapd_proto::pb::update_access_request::Change;

#[tokio::test]
async fn what_a_link_asks_is_told_before_joining_and_only_with_its_secret() {
    let d = TestDaemon::start_with(web_config()).await;
    let (_owner, _admin, anyone) = cat_shared_with_a_viewer_link(&d).await;
    let web = Client::plain(&d);
    let share = anyone.share_id.as_str();
    let info = update_access(
        &mut d.admin().await,
        "s",
        Change::Invite(pb::Invite {
            email: "ada@example.org".into(),
            role: pb::Role::Editor as i32,
        }),
    )
    .await;
    let ada = link(&info, "ada@example.org");
    let participants = || async { list_shares(&d).await.shares[0].participants.len() };
    let before = participants().await;
    // More questions with right secrets than an address may make wrong
    // attempts: a right one guessed nothing, and costs nothing.
    for _ in 0..12 {
        // The link: a name, no email (it would prove nothing).
        let r = web.link_asks(share, secret(&anyone)).await;
        assert_eq!(r.status, 200, "{r:#?}");
        assert_eq!(
            r.json(),
            serde_json::json!({"invitation": false, "role": "viewer", "asks": ["name", "email"]})
        );
        assert!(r.headers.get("set-cookie").is_none());
        // The invitation fixes the email: only a name; nothing of who was
        // invited is told.
        let r = web.link_asks(share, secret(&ada)).await;
        assert_eq!(
            r.json(),
            serde_json::json!({"invitation": true, "role": "editor", "asks": ["name"]})
        );
        assert!(!r.body.contains("ada"), "{r:#?}");
    }
    // Asking joined nobody, and used no invitation.
    assert_eq!(participants().await, before);
    let r = web.enroll(share, secret(&ada), "Ada").await;
    assert_eq!(r.status, 200, "{r:#?}");
    // Now used: the page hears so before asking anything.
    let r = web.link_asks(share, secret(&ada)).await;
    assert_eq!(r.status, 403, "{r:#?}");
    assert!(r.message().contains("already been used"), "{r:#?}");
    // A wrong secret, or a share that is not: enrollment's one refusal, and
    // each counts as an attempt.
    let wrong = web.enroll(share, "guess", "M").await;
    assert_eq!(wrong.status, 403);
    for (id, guess) in [(share, "guess"), ("0123abcd", secret(&anyone))] {
        let r = web.link_asks(id, guess).await;
        assert_eq!((r.status, r.message()), (403, wrong.message()), "{id}");
    }
    let mut status = 0;
    for _ in 0..10 {
        status = web.link_asks(share, "guess").await.status;
    }
    assert_eq!(status, 429);
    d.stop().await;
}
