//! The attach stream over the web door's WebSocket, against a real daemon: a
//! real WebSocket client (tungstenite) over TCP and TLS, decoding the
//! protobuf frames as the page does; real shells behind the sessions.

mod share_common;
mod web_common;

use std::collections::BTreeMap;

use share_common::*;
use tokio_tungstenite::tungstenite::Message;
use web_common::*;
use wrapd_proto::pb;
use wrapd_proto::pb::attach_event::Msg as Event;
use wrapd_proto::pb::attach_request::Msg as Req;
use wrapd_proto::pb::update_access_request::Change;

const TOKEN: &str = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB";

/// The rows a client holds, built from updates: row index → text.
fn apply(screen: &mut BTreeMap<u64, String>, u: &pb::ScreenUpdate) {
    if u.reset {
        screen.clear();
    }
    screen.retain(|&i, _| i >= u.history_start);
    for r in &u.rows {
        screen.insert(r.index, r.spans.iter().map(|s| s.text.as_str()).collect());
    }
}

fn shows(screen: &BTreeMap<u64, String>, line: &str) -> bool {
    screen.values().any(|l| l.trim_end() == line)
}

/// Updates into `screen` until a row reads `line`; the last update.
async fn until_shown(
    s: &mut Socket,
    screen: &mut BTreeMap<u64, String>,
    line: &str,
) -> pb::ScreenUpdate {
    s.next(&format!("a row `{line}`"), |e| match e {
        Event::Update(u) => {
            apply(screen, u);
            shows(screen, line).then(|| u.clone())
        }
        _ => None,
    })
    .await
}

/// The next notice (skipping updates and presence).
async fn notice(s: &mut Socket) -> pb::Notice {
    s.next("a notice", |e| match e {
        Event::Notice(n) => Some(n.clone()),
        _ => None,
    })
    .await
}

async fn type_keys(s: &mut Socket, text: &str) {
    s.send(Req::Input(text.as_bytes().to_vec())).await;
}

async fn owner_types(d: &TestDaemon, target: &str, text: &str) {
    d.owner()
        .await
        .send_input(pb::SendInputRequest {
            target: target.into(),
            data: text.as_bytes().to_vec(),
        })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_gets_the_shares_rows_masked_and_may_not_type() {
    let d = TestDaemon::start_with(web_config()).await;
    let home = tempfile::tempdir().unwrap();
    let mut owner = d.owner().await;
    owner.create_session(bash("s", home.path())).await.unwrap();
    // Before the share: a line that scrolls off the screen into history.
    owner_types(&d, "s", "echo BEFORE-$((40+2)); seq 100 $((100+40))\r").await;
    wait_for_screen(&mut owner, "s", "140").await;
    let mut req = share_req("s", pb::Role::Viewer);
    req.start = Some(pb::ShareStart {
        from: Some(pb::share_start::From::NoScrollback(true)),
    });
    let link = link(&start_share(&d, req).await, "link");
    let web = Client::plain(&d);
    let (cookie, pid) = web_enroll(&web, &link, "Vera").await;
    let (mut s, first) = web.attach(&link.share_id, Some(&cookie), web_start()).await;
    assert_attached(&first);

    owner_types(
        &d,
        "s",
        &format!("echo GITHUB_TOKEN={TOKEN}; echo AFTER-$((6*7))\r"),
    )
    .await;
    let mut screen = BTreeMap::new();
    let mut seen = Vec::new();
    s.next("AFTER-42 on the viewer's screen", |e| {
        seen.push(format!("{e:?}"));
        if let Event::Update(u) = e {
            apply(&mut screen, u);
        }
        shows(&screen, "AFTER-42").then_some(())
    })
    .await;
    // The share's rows only, secrets masked — as a native viewer gets them.
    for frame in &seen {
        assert!(
            !frame.contains("BEFORE-42"),
            "from before the share: {frame}"
        );
        assert!(!frame.contains(TOKEN), "a secret: {frame}");
    }
    // The line wraps on the session's 40 columns: read the rows as one.
    let all: String = screen.values().cloned().collect();
    let masked = format!("GITHUB_TOKEN={}", "*".repeat(TOKEN.len()));
    assert!(all.contains(&masked), "{screen:#?}");

    // A viewer's input and size are refused by the daemon, saying why.
    type_keys(&mut s, "echo VIEWER-TYPED\r").await;
    let n = notice(&mut s).await;
    assert_eq!(n.code, "PermissionDenied", "{n:?}");
    assert!(n.message.contains("viewer"), "{n:?}");
    s.send(Req::Resize(pb::Size { cols: 20, rows: 5 })).await;
    assert_eq!(notice(&mut s).await.code, "PermissionDenied");
    let text = capture(&mut owner, "s").await;
    assert!(!text.contains("VIEWER-TYPED"), "{text}");

    // Counted like a native participant: presence and the audit log.
    let listed = list_shares(&d).await;
    let me = listed.shares[0].participants.iter().find(|p| p.id == pid);
    assert!(me.is_some_and(|p| p.connected), "{listed:#?}");
    let mine = audit_details(&d, Some(&pid)).await;
    for want in ["join attached", "refused input: a viewer may not write"] {
        assert!(mine.iter().any(|a| a == want), "{want} missing: {mine:#?}");
    }
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_editor_types_over_tls_into_a_real_shell_and_the_role_is_live() {
    let dir = tempfile::tempdir().unwrap();
    let (d, cert) = https_daemon(dir.path()).await;
    let home = tempfile::tempdir().unwrap();
    let mut owner = d.owner().await;
    owner.create_session(bash("s", home.path())).await.unwrap();
    let link = link(
        &start_share(&d, share_req("s", pb::Role::Editor)).await,
        "link",
    );
    let web = Client {
        base: d.daemon.web_base().unwrap(),
        tls: Some(trusting(&cert)),
    };
    assert!(web.base.starts_with("https://"), "{}", web.base);
    let (cookie, pid) = web_enroll(&web, &link, "Ed").await;
    let (mut s, first) = web.attach(&link.share_id, Some(&cookie), web_start()).await;
    assert_attached(&first);
    let mut screen = BTreeMap::new();

    // The shell runs what the browser typed: both the browser and the
    // owner see its output.
    type_keys(&mut s, "echo $((6*7))-from-the-web\r").await;
    until_shown(&mut s, &mut screen, "42-from-the-web").await;
    wait_for_screen(&mut owner, "s", "42-from-the-web").await;

    // Edit taken back: at once, a notice and refused input.
    let mut admin = d.admin().await;
    update_access(&mut admin, "s", Change::RevokeEdit(pid.clone())).await;
    let n = notice(&mut s).await;
    assert!(n.message.contains("took back control"), "{n:?}");
    type_keys(&mut s, "echo REFUSED\r").await;
    assert_eq!(notice(&mut s).await.code, "PermissionDenied");
    // And given again: typing works at once.
    update_access(&mut admin, "s", Change::GrantEdit(pid)).await;
    let n = notice(&mut s).await;
    assert!(n.message.contains("gave you control"), "{n:?}");
    type_keys(&mut s, "echo again-$((2*3))\r").await;
    until_shown(&mut s, &mut screen, "again-6").await;
    let text = capture(&mut owner, "s").await;
    assert!(!text.contains("REFUSED"), "{text}");
    d.stop().await;
}

#[tokio::test]
async fn a_resumed_stream_catches_up_exactly_after_a_dropped_connection() {
    let (d, web, link) = cat_shared_on_the_web(web_config()).await;
    let (cookie, _) = web_enroll(&web, &link, "Rae").await;
    let (mut s, first) = web.attach(&link.share_id, Some(&cookie), web_start()).await;
    let session = assert_attached(&first).session.clone().unwrap().id;
    let mut screen = BTreeMap::new();
    owner_types(&d, "s", "one\r").await;
    let last = until_shown(&mut s, &mut screen, "one").await;
    // The connection drops; the session goes on without the browser.
    drop(s);
    owner_types(&d, "s", "two\rthree\r").await;

    let mut start = web_start();
    start.resume_session_id = session;
    start.resume_seq = last.seq;
    start.resume_screen_start = last.screen_start;
    let (mut s, first) = web.attach(&link.share_id, Some(&cookie), start).await;
    assert!(assert_attached(&first).resumed, "{first:?}");
    let mut resets = 0;
    s.next("the catch-up", |e| match e {
        Event::Update(u) => {
            resets += usize::from(u.reset);
            apply(&mut screen, u);
            // Each line twice: the terminal's echo, then `cat`'s.
            let twice = |line| screen.values().filter(|l| l.trim_end() == line).count() == 2;
            (twice("three") && twice("two")).then_some(())
        }
        _ => None,
    })
    .await;
    assert_eq!(resets, 0, "a resumed stream sends what changed, not all");

    // What it holds now is exactly what a new stream starts from.
    let (mut fresh, first) = web.attach(&link.share_id, Some(&cookie), web_start()).await;
    assert!(!assert_attached(&first).resumed);
    let mut from_scratch = BTreeMap::new();
    until_shown(&mut fresh, &mut from_scratch, "three").await;
    assert_eq!(screen, from_scratch);
    d.stop().await;
}

#[tokio::test]
async fn removal_and_stop_cut_the_socket_with_their_close_codes() {
    let (d, web, link) = cat_shared_on_the_web(web_config()).await;
    let mut admin = d.admin().await;
    let (ada, ada_id) = web_enroll(&web, &link, "Ada").await;
    let (bo, _) = web_enroll(&web, &link, "Bo").await;
    let (mut a, first) = web.attach(&link.share_id, Some(&ada), web_start()).await;
    assert_attached(&first);
    let (mut b, first) = web.attach(&link.share_id, Some(&bo), web_start()).await;
    assert_attached(&first);

    update_access(&mut admin, "s", Change::Remove(ada_id)).await;
    let (code, why) = a.closed().await;
    assert_eq!(code, 4403, "{why}");
    assert!(why.contains("removed"), "{why}");
    // The credential stays dead.
    let (_, first) = web.attach(&link.share_id, Some(&ada), web_start()).await;
    assert!(
        matches!(&first, Frame::Closed(4403, why) if why.contains("revoked") || why.contains("removed")),
        "{first:?}"
    );

    stop_share(&d, "s").await;
    let (code, why) = b.closed().await;
    assert_eq!(code, 4403, "{why}");
    assert!(why.contains("stopped") || why.contains("revoked"), "{why}");
    d.stop().await;
}

#[tokio::test]
async fn strangers_other_sites_and_a_full_quota_are_refused() {
    let (d, web, link) = cat_shared_on_the_web(web_config()).await;
    let share = link.share_id.as_str();
    let (cookie, _) = web_enroll(&web, &link, "Ada").await;

    // Another site's page gets no socket at all, even with the cookie.
    for origin in ["https://evil.example", "null"] {
        let r = web.try_socket(share, Some(&cookie), Some(origin)).await;
        assert_eq!(r.err(), Some(403), "{origin}");
    }
    // No credential, or one we never gave: 4401, saying what to do.
    let bogus = format!("wrapd={}", "ab".repeat(32));
    for c in [None, Some(bogus.as_str())] {
        let (_, first) = web.attach(share, c, web_start()).await;
        assert!(
            matches!(&first, Frame::Closed(4401, why) if why.contains("share link")),
            "{c:?}: {first:?}"
        );
    }
    // A participant's attach streams are bounded like native ones: 4429.
    let mut open = Vec::new();
    for _ in 0..4 {
        let (s, first) = web.attach(share, Some(&cookie), web_start()).await;
        assert_attached(&first);
        open.push(s);
    }
    let (_, first) = web.attach(share, Some(&cookie), web_start()).await;
    assert!(
        matches!(&first, Frame::Closed(4429, why) if why.contains("attach streams")),
        "{first:?}"
    );
    // Not a WebSocket request: a clear HTTP refusal, with the usual headers.
    let r = web.get(&format!("/s/{share}/ws"), Some(&cookie)).await;
    assert!((400..500).contains(&r.status), "{r:#?}");
    assert_eq!(r.header("cache-control"), "no-store");
    d.stop().await;
}

#[tokio::test]
async fn an_expired_credential_ends_the_stream_and_opens_none() {
    let mut config = web_config();
    config.share.cert_validity.0 = std::time::Duration::from_secs(2);
    let (d, web, link) = cat_shared_on_the_web(config).await;
    let share = link.share_id.as_str();
    let (cookie, _) = web_enroll(&web, &link, "Ada").await;
    let expired = |f: &Frame| matches!(f, Frame::Closed(4401, why) if why.contains("expired"));
    // Open while it is good (unless the machine took that long: then the
    // stream is refused as expired, which is checked below anyway).
    let (mut s, first) = web.attach(share, Some(&cookie), web_start()).await;
    if !expired(&first) {
        assert_attached(&first);
        let (code, why) = s.closed().await;
        assert_eq!(code, 4401, "{why}");
        assert!(why.contains("expired"), "{why}");
    }
    let (_, first) = web.attach(share, Some(&cookie), web_start()).await;
    assert!(expired(&first), "{first:?}");
    d.stop().await;
}

#[tokio::test]
async fn a_malformed_or_huge_frame_ends_that_stream_and_the_daemon_serves_on() {
    let mut config = web_config();
    config.limits.max_message_bytes = 64 * 1024;
    let (d, web, link) = cat_shared_on_the_web(config).await;
    let share = link.share_id.as_str();
    let mut cookies = Vec::new();
    for name in ["Ann", "Ben", "Cy", "Di"] {
        cookies.push(web_enroll(&web, &link, name).await.0);
    }
    let (mut calm, first) = web.attach(share, Some(&cookies[0]), web_start()).await;
    assert_attached(&first);

    let bad: [(&str, Message, &str); 3] = [
        (
            "not protobuf",
            Message::Binary(vec![0xff; 16].into()),
            "not an AttachRequest",
        ),
        ("text", Message::Text("hello".into()), "binary frame"),
        (
            "over the limit",
            Message::Binary(vec![b'x'; 64 * 1024 + 1].into()),
            "max_message_bytes",
        ),
    ];
    for ((what, frame, says), cookie) in bad.into_iter().zip(&cookies[1..]) {
        let (mut s, first) = web.attach(share, Some(cookie), web_start()).await;
        assert_attached(&first);
        s.send_raw(frame).await;
        let (code, why) = s.closed().await;
        assert_eq!(code, 4400, "{what}: {why}");
        assert!(why.contains(says), "{what}: {why}");
    }
    // Everyone else is served as before.
    let mut screen = BTreeMap::new();
    owner_types(&d, "s", "still-served\r").await;
    until_shown(&mut calm, &mut screen, "still-served").await;
    d.stop().await;
}
