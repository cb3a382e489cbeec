//! Reading the history on the attach stream (`AttachRequest.read`), as the
//! page does for rows beyond the 10,000 it keeps: a real daemon, a real
//! program printing 12,000 rows before the share starts (shared from its
//! scrollback), and a real WebSocket client decoding the frames.

mod share_common;
mod web_common;

use share_common::*;
use web_common::*;
use wrapd_proto::pb;
use wrapd_proto::pb::attach_event::Msg as Event;
use wrapd_proto::pb::attach_request::Msg as Req;
use wrapd_proto::pb::history_answer::Answer;
use wrapd_proto::pb::history_read::Read;

const TOKEN: &str = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB";
const ROWS: u64 = 12_000;

/// Ask `read` on the stream as read `id`; its answer (skipping updates).
async fn read(s: &mut Socket, id: u32, read: Read) -> Answer {
    s.send(Req::Read(pb::HistoryRead {
        id,
        read: Some(read),
    }))
    .await;
    s.next("the read's answer", |e| match e {
        Event::Read(a) if a.id == id => a.answer.clone(),
        _ => None,
    })
    .await
}

fn rows(start: u64, end: u64) -> Read {
    Read::Rows(pb::ReadRowsRequest {
        target: String::new(),
        start,
        end,
    })
}

fn search(query: &str, from: u64, backwards: bool) -> Read {
    Read::Search(pb::SearchRowsRequest {
        target: String::new(),
        query: query.to_owned(),
        backwards,
        from,
        case_sensitive: false,
    })
}

fn text(r: &pb::Row) -> String {
    r.spans.iter().map(|s| s.text.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_reads_and_searches_history_the_page_does_not_hold() {
    let d = TestDaemon::start_with(web_config()).await;
    let mut owner = d.owner().await;
    let script = format!("echo GITHUB_TOKEN={TOKEN}; seq -f 'line-%05g' 1 {ROWS}; exec cat");
    owner
        .create_session(create("s", &["sh", "-c", &script]))
        .await
        .unwrap();
    wait_for_screen(&mut owner, "s", &format!("line-{ROWS:05}")).await;
    let info = start_share(&d, share_req("s", pb::Role::Viewer)).await;
    let link = link(&info, "link");
    let web = Client::plain(&d);
    let (cookie, _) = web_enroll(&web, &link, "Ada").await;
    // As the page attaches: the screen and the last 10,000 rows.
    let (mut s, first) = web
        .attach(
            &link.share_id,
            Some(&cookie),
            pb::AttachStart {
                history_rows: 10_000,
                ..web_start()
            },
        )
        .await;
    assert_attached(&first);
    let snapshot = s
        .next("the snapshot", |e| match e {
            Event::Update(u) => Some(u.clone()),
            _ => None,
        })
        .await;
    let held_from = snapshot.rows.iter().map(|r| r.index).min().unwrap();
    let held: Vec<String> = snapshot.rows.iter().map(text).collect();
    assert!(
        !held.iter().any(|t| t == "line-00042"),
        "the snapshot holds it"
    );
    assert!(held_from > snapshot.history_start + 1000, "{held_from}");

    // Rows it does not hold, read on the stream: the share's, masked.
    let Answer::Rows(old) = read(&mut s, 1, rows(0, 50)).await else {
        panic!("refused")
    };
    let old: Vec<String> = old.rows.iter().map(text).collect();
    assert!(old.iter().any(|t| t == "line-00001"), "{old:?}");
    assert!(!old.iter().any(|t| t.contains(TOKEN)), "{old:?}");
    // (The session is 40 columns wide: the line wraps.)
    let masked = format!("GITHUB_TOKEN={}", "*".repeat(TOKEN.len()));
    assert!(
        old.concat().starts_with(&masked),
        "masked, not gone: {old:?}"
    );

    // Search finds text in rows the page does not hold, and never the secret.
    let end = snapshot.screen_start + 10;
    let Answer::Search(found) = read(&mut s, 2, search("LINE-00042", end, true)).await else {
        panic!("refused")
    };
    let m = found.found.expect("a match");
    assert!(m.row < held_from, "{m:?}");
    let Answer::Rows(at) = read(&mut s, 3, rows(m.row, m.row + 1)).await else {
        panic!("refused")
    };
    assert_eq!(text(&at.rows[0]), "line-00042");
    let Answer::Search(secret) = read(&mut s, 4, search(TOKEN, end, true)).await else {
        panic!("refused")
    };
    assert_eq!(secret.found, None);

    // A read that makes no sense is refused, saying why; the stream goes on.
    let Answer::Refused(why) = read(&mut s, 5, rows(10, 5)).await else {
        panic!("not refused")
    };
    assert!(why.message.contains("invalid row range"), "{why:?}");
    let Answer::Refused(why) = read(&mut s, 6, search("", end, true)).await else {
        panic!("not refused")
    };
    assert!(why.message.contains("empty"), "{why:?}");
    assert!(matches!(read(&mut s, 7, rows(0, 1)).await, Answer::Rows(_)));

    // What is read counts against the share's bytes, as ReadRows does.
    let before = share_bytes(&d).await;
    read(&mut s, 8, rows(0, 2000)).await;
    assert!(share_bytes(&d).await > before + 2000 * 10);
    d.stop().await;
}

/// Bytes share "s" has sent its collaborators.
async fn share_bytes(d: &TestDaemon) -> u64 {
    list_shares(d).await.shares[0].bytes_sent
}
