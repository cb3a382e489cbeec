//! A reload applies what used to need a restart: the share port moves (the
//! new address bound first, collaborators connected stay, the old address is
//! closed), a new team CA takes new handshakes, and what cannot be applied is
//! said precisely. A real daemon, real mutual TLS, `Daemon::reload` as
//! SIGHUP calls it (tests/tests/reload.rs sends the signal to the binary).

mod share_common;

use share_common::*;
use tonic::Code;
use wrapd_muxd::config::Config;
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
