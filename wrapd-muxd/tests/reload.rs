//! A reload applies what used to need a restart: the share port moves (the
//! new address bound first, collaborators connected stay, the old address is
//! closed), a new team CA takes new handshakes, the web door moves, closes
//! and opens, and what cannot be applied is said precisely. A real daemon, real mutual TLS, `Daemon::reload` as
//! SIGHUP calls it (tests/tests/reload.rs sends the signal to the binary).

mod share_common;

use share_common::*;
use tonic::Code;
use wrapd_common::config::Config;
use wrapd_proto::pb;
use wrapd_proto::pb::attach_event::Msg as Event;

fn free_port() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

#[tokio::test]
async fn the_share_port_moves_on_reload_and_connected_collaborators_stay() {
    let d = TestDaemon::start().await;
    let (mut owner, _admin, link) = cat_shared_with_a_viewer_link(&d).await;
    let ada = enroll(&d, &link, "Ada").await;
    let (_tx, mut events) = attach(&mut ada.mux().await, "s").await;
    let old = d.daemon.share_addr().unwrap();

    // A taken address: nothing moves, and the problem is said.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut config = (*d.daemon.config()).clone();
    config.share.listen = taken.local_addr().unwrap();
    let problems = d.daemon.reload(config.clone());
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains(&format!(
            "share.listen not applied, still listening on {old}"
        )),
        "{problems:?}"
    );
    assert_eq!(d.daemon.share_addr(), Some(old));
    drop(taken);

    let new = free_port();
    config.share.listen = new;
    let problems = d.daemon.reload(config);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(d.daemon.share_addr(), Some(new));
    // The old listener closes as its accept loop ends (at once, but not
    // within this call).
    wait_for("the old address closed", || async {
        match tokio::net::TcpStream::connect(old).await {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                (Some(()), String::new())
            }
            other => (None, format!("{other:?}")),
        }
    })
    .await;

    // Ada's stream, opened before the move, still follows the session.
    owner_types_and_sees(&mut owner, "s", "after-the-move").await;
    next_event(
        &mut events,
        "the owner's typing on Ada's stream",
        |ev| match ev {
            Ok(pb::AttachEvent {
                msg: Some(Event::Update(u)),
            }) => format!("{u:?}").contains("after-the-move").then_some(()),
            _ => None,
        },
    )
    .await;
    // The same link's secret, at the new address, still enrolls.
    let moved = wrapd_proto::link::ShareLink {
        addr: new.to_string(),
        ..link.clone()
    };
    let bo = enroll(&d, &moved, "Bo").await;
    bo.share().await.whoami(pb::WhoamiRequest {}).await.unwrap();
    d.stop().await;
}

#[tokio::test]
async fn a_new_team_ca_takes_the_next_handshakes_and_an_unreadable_one_is_said() {
    let team_dir = tempfile::tempdir().unwrap();
    let team = team_dir.path().join("team");
    wrapd_muxd::share::team::init(&team).unwrap();
    let member = wrapd_muxd::share::team::issue(&team, "tess@team.example", "Tess").unwrap();
    let d = TestDaemon::start().await;
    let mut owner = d.owner().await;
    let mut admin = d.admin().await;
    owner.create_session(create("s", &["cat"])).await.unwrap();
    let mut req = share_req("s", pb::Role::Unspecified);
    req.team_role = pb::Role::Viewer as i32;
    let info = admin.start_share(req).await.unwrap().into_inner();
    let tess = team_collaborator(&d, &info, &member);
    let whoami = || async { tess.share().await.whoami(pb::WhoamiRequest {}).await };
    // No team CA yet: her certificate is nobody's.
    let e = whoami().await.unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated, "{e:?}");

    let mut config = (*d.daemon.config()).clone();
    config.share.team_ca = team.join("missing.pem");
    let problems = d.daemon.reload(config.clone());
    assert!(
        problems.len() == 1 && problems[0].contains("share.team_ca not applied"),
        "{problems:?}"
    );
    config.share.team_ca = team.join("ca.pem");
    let problems = d.daemon.reload(config);
    assert!(problems.is_empty(), "{problems:?}");
    let who = whoami().await.unwrap().into_inner();
    assert_eq!(who.email, "tess@team.example");
    d.stop().await;
}

#[tokio::test]
async fn the_socket_and_the_message_limit_wait_for_the_next_start_and_say_so() {
    let d = TestDaemon::start_with(Config::default()).await;
    let mut config = (*d.daemon.config()).clone();
    config.daemon.socket = d.dir.path().join("elsewhere.sock");
    config.limits.max_message_bytes += 1;
    let problems = d.daemon.reload(config);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0].starts_with("daemon.socket not applied, still serving"),
        "{problems:?}"
    );
    assert!(
        problems[1].starts_with("limits.max_message_bytes not applied"),
        "{problems:?}"
    );
    // Still served where it was.
    d.owner()
        .await
        .list_sessions(pb::ListSessionsRequest {})
        .await
        .unwrap();
    d.stop().await;
}

/// The status line of `GET /` at `base` (`http://ADDR`), or why none came.
async fn get_page(base: &str) -> Result<String, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    let req = format!("GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    tcp.write_all(req.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer)
        .await
        .map_err(|e| e.to_string())?;
    let answer = String::from_utf8_lossy(&answer);
    Ok(answer.lines().next().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn the_web_door_moves_closes_and_opens_on_reload() {
    let mut config = Config::default();
    config.share.web_listen = Some("127.0.0.1:0".parse().unwrap());
    let d = TestDaemon::start_with(config).await;
    let old = d.daemon.web_base().expect("the web door is open");
    assert_eq!(get_page(&old).await.unwrap(), "HTTP/1.1 200 OK");

    let new = free_port();
    let mut config = (*d.daemon.config()).clone();
    config.share.web_listen = Some(new);
    assert!(d.daemon.reload(config.clone()).is_empty());
    let new_base = format!("http://{new}");
    wait_for("the web door at its new address", || async {
        let now = d.daemon.web_base();
        let moved = now.as_deref() == Some(new_base.as_str());
        (moved.then_some(()), format!("{now:?}"))
    })
    .await;
    assert_eq!(get_page(&new_base).await.unwrap(), "HTTP/1.1 200 OK");
    assert!(get_page(&old).await.is_err(), "the old address is closed");

    config.share.web_listen = None;
    d.daemon.reload(config.clone());
    wait_for("the web door closed", || async {
        let now = d.daemon.web_base();
        (now.is_none().then_some(()), format!("{now:?}"))
    })
    .await;
    assert!(get_page(&new_base).await.is_err());

    config.share.web_listen = Some("127.0.0.1:0".parse().unwrap());
    d.daemon.reload(config);
    let reopened = d.daemon.web_base().expect("opened on the reload");
    assert_eq!(get_page(&reopened).await.unwrap(), "HTTP/1.1 200 OK");
    d.stop().await;
}
