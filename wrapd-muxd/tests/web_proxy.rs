//! The web door behind a TLS-terminating reverse proxy (`[share] web_url`):
//! links carry the proxy's address, the credential cookie is `Secure`, and
//! only pages of exactly that origin are served — the door's own address is
//! then another site. And a browser is told about its credential, not a
//! certificate.

mod share_common;
mod web_common;

use share_common::*;
use web_common::*;
use wrapd_proto::pb;
use wrapd_proto::pb::update_access_request::Change;

const PUBLIC: &str = "https://wrapd.example.org";

#[tokio::test]
async fn behind_a_proxy_links_cookies_and_origins_follow_web_url() {
    // The door's own address, which links no longer carry: a free port.
    let door = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut config = web_config();
    config.share.web_listen = Some(door);
    config.share.web_url = PUBLIC.to_owned();
    let d = TestDaemon::start_with(config).await;
    assert_eq!(d.daemon.web_base().as_deref(), Some(PUBLIC));
    d.owner()
        .await
        .create_session(create("s", &["cat"]))
        .await
        .unwrap();
    let info = start_share(&d, share_req("s", pb::Role::Viewer)).await;
    let l = info.links.iter().find(|l| l.kind == "link").unwrap();
    assert!(l.web_url.starts_with(&format!("{PUBLIC}/s/")), "{l:?}");
    let link = link(&info, "link");
    let share = link.share_id.as_str();
    let web = Client {
        base: format!("http://{door}"),
        tls: None,
    };
    let body = serde_json::json!({"secret": secret(&link), "name": "Ada"}).to_string();
    let enroll = |origin: String| {
        let (web, body) = (&web, body.clone());
        async move {
            web.send(
                "POST",
                &format!("/s/{share}/api/enroll"),
                &[("origin", &origin)],
                &body,
            )
            .await
        }
    };
    // The door's own address is not the page's origin any more.
    let r = enroll(web.base.clone()).await;
    assert_eq!(r.status, 403, "{r:#?}");
    assert!(r.message().contains("another site"), "{r:#?}");
    // The proxy's is; it speaks HTTPS, so the cookie is Secure.
    let r = enroll(PUBLIC.to_owned()).await;
    assert_eq!(r.status, 200, "{r:#?}");
    let (cookie, attrs) = r.cookie();
    assert!(attrs.contains("Secure"), "{attrs}");

    let own = web.base.clone();
    assert_eq!(
        web.try_socket(share, Some(&cookie), Some(&own)).await.err(),
        Some(403)
    );
    let mut s = web
        .try_socket(share, Some(&cookie), Some(PUBLIC))
        .await
        .unwrap();
    s.send(wrapd_proto::pb::attach_request::Msg::Start(web_start()))
        .await;
    assert_attached(&s.frame().await);
    d.stop().await;
}

#[tokio::test]
async fn a_browser_is_told_about_its_credential_not_a_certificate() {
    let (d, web, link) = cat_shared_on_the_web(web_config()).await;
    let mut admin = d.admin().await;
    let r = web.enroll(&link.share_id, secret(&link), "Ada").await;
    let pid = r.json()["participant_id"].as_str().unwrap().to_owned();
    let (cookie, _) = r.cookie();
    update_access(&mut admin, "s", Change::Remove(pid)).await;
    let r = web.whoami(&link.share_id, Some(&cookie)).await;
    assert_eq!(r.status, 403, "{r:#?}");
    assert!(r.message().contains("credential"), "{r:#?}");
    assert!(!r.message().contains("certificate"), "{r:#?}");
    let (_, first) = web.attach(&link.share_id, Some(&cookie), web_start()).await;
    assert!(
        matches!(&first, Frame::Closed(4403, why) if why.contains("credential")),
        "{first:?}"
    );
    d.stop().await;
}
