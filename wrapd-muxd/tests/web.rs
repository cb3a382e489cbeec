//! The web door against a real daemon: a real HTTP client (hyper) over TCP —
//! and over TLS with a certificate the owner configures — enrolling with real
//! share links, and the same live access list deciding as for certificates.

mod share_common;
mod web_common;

use share_common::*;
use web_common::*;
use wrapd_common::config::Config;
use wrapd_proto::link::ShareLink;
use wrapd_proto::pb;
use wrapd_proto::pb::attach_event::Msg as Event;
use wrapd_proto::pb::attach_request::Msg as Req;
use wrapd_proto::pb::update_access_request::Change;

async fn update_access(d: &TestDaemon, change: Change) -> pb::ShareInfo {
    d.admin()
        .await
        .update_access(pb::UpdateAccessRequest {
            target: "s".into(),
            change: Some(change),
        })
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn the_page_and_its_assets_carry_a_strict_csp_and_no_inline_script() {
    let d = TestDaemon::start_with(web_config()).await;
    let web = Client::plain(&d);
    let page = web.get("/s/0123abcd/", None).await;
    assert_eq!(page.status, 200, "{page:#?}");
    assert!(page.header("content-type").starts_with("text/html"));
    let csp = page.header("content-security-policy");
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"));
    assert!(!csp.contains("unsafe") && !csp.contains("http"), "{csp}");
    assert_eq!(page.header("cache-control"), "no-store");
    // Every script comes from a file of this server; none is inline.
    for tag in page.body.split("<script").skip(1) {
        let (open, rest) = tag.split_once('>').unwrap();
        assert!(
            open.contains("src=\"/assets/"),
            "script from elsewhere: {open}"
        );
        assert!(rest.starts_with("</script>"), "inline script: {rest}");
    }
    assert!(!page.body.contains(" style=") && !page.body.contains("<style"));
    for (path, kind) in [
        ("/assets/app.js", "text/javascript"),
        ("/assets/proto.js", "text/javascript"),
        ("/assets/screen.js", "text/javascript"),
        ("/assets/style.css", "text/css"),
    ] {
        let r = web.get(path, None).await;
        assert_eq!(r.status, 200, "{path}");
        assert!(r.header("content-type").starts_with(kind), "{r:#?}");
        assert!(r.header("content-security-policy").contains("'none'"));
    }
    // The codec's schema table, made by the build from the .proto files.
    let schema = web.get("/assets/schema.js", None).await;
    assert_eq!(schema.status, 200);
    assert!(
        schema.body.contains(r#""ScreenUpdate": ["#)
            && schema
                .body
                .contains(r#"[7, "rows", "message", 1, "Row", ""]"#)
            && schema
                .body
                .contains(r#"[2, "input", "bytes", 4, "", "msg"]"#),
        "{}",
        schema.body
    );
    // Every module the page imports is served.
    for module in [
        "app.js",
        "blocks.js",
        "input.js",
        "keys.js",
        "live.js",
        "older.js",
        "people.js",
        "rows.js",
    ] {
        let r = web.get(&format!("/assets/{module}"), None).await;
        assert_eq!(r.status, 200, "{module}");
        for import in r.body.lines().filter_map(|l| l.split(" from \"./").nth(1)) {
            let name = import.trim_end_matches("\";");
            let r = web.get(&format!("/assets/{name}"), None).await;
            assert_eq!(r.status, 200, "{module} imports {name}");
        }
    }
    // Anything else: a clear refusal with the same headers.
    let r = web.get("/assets/../Cargo.toml", None).await;
    assert_eq!(r.status, 404, "{r:#?}");
    let r = web.get("/etc/passwd", None).await;
    assert_eq!(r.status, 404);
    assert!(r.message().contains("share link"), "{r:#?}");
    assert_eq!(r.header("cache-control"), "no-store");
    let r = web.get("/s/NOT-A-SHARE/", None).await;
    assert_eq!(r.status, 404, "{r:#?}");
    d.stop().await;
}

#[tokio::test]
async fn a_link_secret_becomes_a_cookie_that_authz_checks_like_a_certificate() {
    let d = TestDaemon::start_with(web_config()).await;
    let (_owner, _admin, link) = cat_shared_with_a_viewer_link(&d).await;
    let web = Client::plain(&d);
    let share = link.share_id.as_str();

    // A wrong secret: refused, no cookie.
    let r = web.enroll(share, "0000", "Mallory").await;
    assert_eq!(r.status, 403, "{r:#?}");
    assert!(r.message().contains("not valid"), "{r:#?}");
    assert!(r.headers.get("set-cookie").is_none());

    // The link's secret: a credential, as a cookie script cannot read,
    // sent only to this share's pages, never cross-site.
    let r = web.enroll(share, secret(&link), "Ada").await;
    assert_eq!(r.status, 200, "{r:#?}");
    assert_eq!(r.header("cache-control"), "no-store");
    let who = r.json();
    assert_eq!(
        (who["name"].as_str(), who["role"].as_str()),
        (Some("Ada"), Some("viewer"))
    );
    let (cookie, attrs) = r.cookie();
    assert!(
        cookie.starts_with("wrapd=") && cookie.len() > 40,
        "{cookie}"
    );
    for attr in ["HttpOnly", "SameSite=Strict", &format!("Path=/s/{share}/")] {
        assert!(attrs.contains(attr), "{attr} missing: {attrs}");
    }
    assert!(!attrs.contains("Secure"), "plain HTTP: {attrs}");
    assert!(
        !r.body.contains(&cookie[6..]),
        "the token is only in the cookie"
    );

    // Without it: who are you? With it: the live list's answer.
    let r = web.whoami(share, None).await;
    assert_eq!(r.status, 401, "{r:#?}");
    assert!(r.message().contains("share link"), "{r:#?}");
    let r = web.whoami(share, Some("wrapd=00112233")).await;
    assert_eq!(r.status, 401, "{r:#?}");
    let r = web.whoami(share, Some(&cookie)).await;
    assert_eq!(r.status, 200, "{r:#?}");
    let pid = r.json()["participant_id"].as_str().unwrap().to_owned();

    // A web participant is a participant: listed, counted, audited.
    let info = update_access(&d, Change::GrantEdit(pid.clone())).await;
    assert!(
        info.participants
            .iter()
            .any(|p| p.id == pid && p.name == "Ada")
    );
    assert_eq!(
        web.whoami(share, Some(&cookie)).await.json()["role"],
        "editor"
    );
    let audit = audit_details(&d, None).await;
    assert!(
        audit
            .iter()
            .any(|a| a.starts_with("join") && a.ends_with("from a browser")),
        "{audit:#?}"
    );

    // Removed: refused at once, saying so.
    update_access(&d, Change::Remove(pid)).await;
    let r = web.whoami(share, Some(&cookie)).await;
    assert_eq!(r.status, 403, "{r:#?}");
    assert!(
        r.message().contains("revoked") || r.message().contains("removed"),
        "{r:#?}"
    );
    d.stop().await;
}

#[tokio::test]
async fn an_invitation_works_once_whichever_client_presents_it() {
    let d = TestDaemon::start_with(web_config()).await;
    let (_owner, _admin, _link) = cat_shared_with_a_viewer_link(&d).await;
    let web = Client::plain(&d);
    let mut invited = Vec::new();
    for email in ["ada@example.org", "bob@example.org"] {
        let info = update_access(
            &d,
            Change::Invite(pb::Invite {
                email: email.into(),
                role: pb::Role::Editor as i32,
            }),
        )
        .await;
        invited.push(link(&info, email));
    }
    // Ada's in a browser first: then not natively.
    let ada = &invited[0];
    let r = web.enroll(&ada.share_id, secret(ada), "").await;
    assert_eq!(r.status, 200, "{r:#?}");
    let who = r.json();
    assert_eq!(
        (who["email"].as_str(), who["role"].as_str()),
        (Some("ada@example.org"), Some("editor"))
    );
    let e = try_enroll(&d, ada, None, "Ada", "").await.err().unwrap();
    assert!(e.message().contains("already been used"), "{e:?}");
    // Bob's natively first: then not in a browser.
    let bob = &invited[1];
    try_enroll(&d, bob, None, "Bob", "").await.unwrap();
    let r = web.enroll(&bob.share_id, secret(bob), "Bob").await;
    assert_eq!(r.status, 403, "{r:#?}");
    assert!(r.message().contains("already been used"), "{r:#?}");
    d.stop().await;
}

#[tokio::test]
async fn another_shares_credential_and_another_sites_page_are_refused() {
    let d = TestDaemon::start_with(web_config()).await;
    let (mut owner, mut admin, link) = cat_shared_with_a_viewer_link(&d).await;
    owner.create_session(create("t", &["cat"])).await.unwrap();
    let other = admin
        .start_share(share_req("t", pb::Role::Viewer))
        .await
        .unwrap()
        .into_inner();
    let other = share_common::link(&other, "link");
    let web = Client::plain(&d);
    let r = web.enroll(&link.share_id, secret(&link), "Ada").await;
    let (cookie, _) = r.cookie();
    let r = web.whoami(&other.share_id, Some(&cookie)).await;
    assert_eq!(r.status, 403, "{r:#?}");
    assert!(r.message().contains("another share"), "{r:#?}");

    // A page of another site cannot enroll its visitor.
    let body = serde_json::json!({"secret": secret(&other)}).to_string();
    for origin in ["https://evil.example", "null"] {
        let r = web
            .send(
                "POST",
                &format!("/s/{}/api/enroll", other.share_id),
                &[("origin", origin)],
                &body,
            )
            .await;
        assert_eq!(r.status, 403, "{origin}: {r:#?}");
        assert!(r.message().contains("another site"), "{r:#?}");
    }
    // Not JSON, or not the fields: a clear 400.
    let r = web
        .send(
            "POST",
            &format!("/s/{}/api/enroll", other.share_id),
            &[],
            "secret=x",
        )
        .await;
    assert_eq!(r.status, 400, "{r:#?}");
    assert!(r.message().contains("JSON"), "{r:#?}");
    d.stop().await;
}

#[tokio::test]
async fn stopping_kills_the_credential_and_a_restart_forgets_it() {
    let d = TestDaemon::start_with(web_config()).await;
    let (_owner, mut admin, link) = cat_shared_with_a_viewer_link(&d).await;
    let web = Client::plain(&d);
    let share = link.share_id.clone();
    let (cookie, _) = web.enroll(&share, secret(&link), "Ada").await.cookie();
    assert_eq!(web.whoami(&share, Some(&cookie)).await.status, 200);
    admin
        .stop_share(pb::StopShareRequest {
            target: "s".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let r = web.whoami(&share, Some(&cookie)).await;
    assert_eq!(r.status, 403, "{r:#?}");
    assert!(
        r.message().contains("stopped") || r.message().contains("revoked"),
        "{r:#?}"
    );

    // A new daemon on the same state: the credential is unknown there.
    let state = d.state_dir.clone();
    d.stop().await;
    let d = TestDaemon::start_in(web_config(), Some(state)).await;
    let r = Client::plain(&d).whoami(&share, Some(&cookie)).await;
    assert_eq!(r.status, 401, "{r:#?}");
    d.stop().await;
}

#[tokio::test]
async fn enrollment_is_rate_limited_per_address() {
    let d = TestDaemon::start_with(web_config()).await;
    let (_owner, _admin, link) = cat_shared_with_a_viewer_link(&d).await;
    let web = Client::plain(&d);
    // Ten guesses are answered (refused); then the address must wait, even
    // with the right secret.
    for _ in 0..10 {
        assert_eq!(web.enroll(&link.share_id, "guess", "M").await.status, 403);
    }
    let r = web.enroll(&link.share_id, secret(&link), "M").await;
    assert_eq!(r.status, 429, "{r:#?}");
    assert!(r.message().contains("wait"), "{r:#?}");
    d.stop().await;
}

#[tokio::test]
async fn plain_http_off_loopback_is_refused_and_the_daemon_serves_on() {
    let mut config = Config::default();
    config.share.web_listen = Some("0.0.0.0:0".parse().unwrap());
    let d = TestDaemon::start_with(config).await;
    assert_eq!(d.daemon.web_base(), None);
    // The owner's socket works as ever.
    let (mut owner, _admin, _link) = cat_shared_with_a_viewer_link(&d).await;
    owner_types_and_sees(&mut owner, "s", "still-here").await;
    d.stop().await;
}

#[tokio::test]
async fn https_with_the_owners_certificate_and_secure_cookies() {
    let dir = tempfile::tempdir().unwrap();
    let (d, cert) = https_daemon(dir.path()).await;
    let (_owner, _admin, link) = cat_shared_with_a_viewer_link(&d).await;
    let base = d.daemon.web_base().unwrap();
    assert!(base.starts_with("https://"), "{base}");
    let web = Client {
        base,
        tls: Some(trusting(&cert)),
    };
    assert_eq!(
        web.get(&format!("/s/{}/", link.share_id), None)
            .await
            .status,
        200
    );
    let r = web.enroll(&link.share_id, secret(&link), "Ada").await;
    assert_eq!(r.status, 200, "{r:#?}");
    let (cookie, attrs) = r.cookie();
    assert!(attrs.contains("Secure"), "{attrs}");
    assert_eq!(web.whoami(&link.share_id, Some(&cookie)).await.status, 200);
    d.stop().await;
}

/// Does a TLS handshake with the web door at `addr` succeed, trusting `cert` only?
async fn handshake(
    addr: String,
    cert: rustls_pki_types::CertificateDer<'static>,
) -> Result<(), String> {
    let tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    trusting(&cert)
        .connect(name, tcp)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn a_reload_serves_a_renewed_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (d, old) = https_daemon(dir.path()).await;
    let addr = d.daemon.web_base().unwrap()["https://".len()..].to_owned();
    handshake(addr.clone(), old.clone()).await.unwrap();
    // Renewed in place (as ACME clients do), then SIGHUP.
    let new = owner_certificate(&dir.path().join("web.pem"), &dir.path().join("web.key"));
    d.daemon.reload((*d.daemon.config()).clone());
    wait_for("the renewed certificate", || {
        let (addr, new) = (addr.clone(), new.clone());
        async move {
            match handshake(addr, new).await {
                Ok(()) => (Some(()), String::new()),
                Err(e) => (None, e),
            }
        }
    })
    .await;
    let e = handshake(addr, old).await.unwrap_err();
    assert!(e.contains("certificate"), "{e}");
    d.stop().await;
}

/// The web's column of the role × RPC matrix: every kind of caller against
/// every web endpoint, the attach stream's WebSocket included. Personal answers go only to the live participant the
/// credential names; everyone else is refused, with the status that says why.
#[tokio::test]
async fn every_caller_on_every_web_endpoint() {
    let d = TestDaemon::start_with(web_config()).await;
    let (mut owner, mut admin, s) = cat_shared_with_a_viewer_link(&d).await;
    let mut shares = vec![s];
    for name in ["t", "u"] {
        owner.create_session(create(name, &["cat"])).await.unwrap();
        let info = admin
            .start_share(share_req(name, pb::Role::Viewer))
            .await
            .unwrap()
            .into_inner();
        shares.push(link(&info, "link"));
    }
    let (s, t, u) = (&shares[0], &shares[1], &shares[2]);
    let web = Client::plain(&d);
    let enroll = |l: &ShareLink, name: &'static str| {
        let (web, l) = (&web, l.clone());
        async move {
            let r = web.enroll(&l.share_id, secret(&l), name).await;
            let pid = r.json()["participant_id"].as_str().unwrap().to_owned();
            (r.cookie().0, pid)
        }
    };
    let (viewer, _) = enroll(s, "Vera").await;
    let (editor, editor_id) = enroll(s, "Ed").await;
    update_access(&d, Change::GrantEdit(editor_id)).await;
    let (removed, removed_id) = enroll(s, "Rem").await;
    update_access(&d, Change::Remove(removed_id)).await;
    let (other_share, _) = enroll(t, "Otto").await;
    let (stopped, _) = enroll(u, "Stu").await;
    admin
        .stop_share(pb::StopShareRequest {
            target: "u".into(),
            all: false,
        })
        .await
        .unwrap();

    // (caller, their cookie, the share they call, whoami's expected status,
    // request-control's: an editor has control already)
    let bogus = format!("wrapd={}", "ab".repeat(32));
    let callers: Vec<(&str, Option<&str>, &ShareLink, u16, u16)> = vec![
        ("no credential", None, s, 401, 401),
        ("unknown credential", Some(&bogus), s, 401, 401),
        ("viewer", Some(&viewer), s, 200, 200),
        ("editor", Some(&editor), s, 200, 409),
        ("removed", Some(&removed), s, 403, 403),
        ("another share's", Some(&other_share), s, 403, 403),
        ("stopped share's", Some(&stopped), u, 403, 403),
    ];
    let mut wrong = Vec::new();
    for (who, cookie, share, whoami_status, control_status) in &callers {
        let id = &share.share_id;
        // Public: the same bytes for everyone, nothing personal.
        for path in [format!("/s/{id}/"), "/assets/app.js".to_owned()] {
            let r = web.get(&path, *cookie).await;
            if r.status != 200 || r.headers.get("set-cookie").is_some() {
                wrong.push(format!("{who}: GET {path} → {}", r.status));
            }
        }
        let r = web.whoami(id, *cookie).await;
        if r.status != *whoami_status {
            wrong.push(format!("{who}: whoami → {} {}", r.status, r.body));
        }
        if r.status == 200 {
            let role = r.json()["role"].as_str().unwrap_or_default().to_owned();
            if role != *who {
                wrong.push(format!("{who}: whoami says {role}"));
            }
        }
        let headers: Vec<(&str, &str)> = cookie.map(|c| ("cookie", c)).into_iter().collect();
        let r = web
            .send(
                "POST",
                &format!("/s/{id}/api/request-control"),
                &headers,
                "",
            )
            .await;
        if r.status != *control_status {
            wrong.push(format!("{who}: request-control → {} {}", r.status, r.body));
        }
        // The attach stream: the live participant attaches, and types only
        // as an editor; everyone else is refused with whoami's status, as
        // the close code.
        let (mut socket, first) = web.attach(id, *cookie, web_start()).await;
        match (&first, *whoami_status) {
            (Frame::Closed(code, _), refused) if refused != 200 && *code == 4000 + refused => {}
            (Frame::Event(e), 200) if matches!(e.msg, Some(Event::Attached(_))) => {
                socket.send(Req::Input(b"typed\r".to_vec())).await;
                let typed = socket
                    .next("typing's answer", |e| match e {
                        Event::Notice(n) => Some(n.code.clone()),
                        Event::Update(u) => u
                            .rows
                            .iter()
                            .any(|r| r.spans.iter().any(|s| s.text.contains("typed")))
                            .then(|| "typed".to_owned()),
                        _ => None,
                    })
                    .await;
                let want = if *who == "editor" {
                    "typed"
                } else {
                    "PermissionDenied"
                };
                if typed != want {
                    wrong.push(format!("{who}: input over the WebSocket → {typed}"));
                }
            }
            _ => wrong.push(format!("{who}: WebSocket attach → {first:?}")),
        }
        // Enrollment wants the secret, whatever cookie comes with it (the
        // address may also be out of attempts by now: 429).
        let headers: Vec<(&str, &str)> = cookie.map(|c| ("cookie", c)).into_iter().collect();
        let r = web
            .send(
                "POST",
                &format!("/s/{id}/api/enroll"),
                &headers,
                r#"{"secret": "wrong"}"#,
            )
            .await;
        if !matches!(r.status, 403 | 429) || r.headers.get("set-cookie").is_some() {
            wrong.push(format!("{who}: enroll with a wrong secret → {}", r.status));
        }
    }
    assert!(
        wrong.is_empty(),
        "unauthorised or wrong answers:\n{}",
        wrong.join("\n")
    );
    d.stop().await;
}

#[tokio::test]
async fn share_links_come_with_their_web_twin_which_joins() {
    let d = TestDaemon::start_with(web_config()).await;
    let mut owner = d.owner().await;
    owner.create_session(create("s", &["cat"])).await.unwrap();
    let mut req = share_req("s", pb::Role::Viewer);
    req.invites.push(pb::Invite {
        email: "ada@example.org".into(),
        role: pb::Role::Editor as i32,
    });
    let info = d.admin().await.start_share(req).await.unwrap().into_inner();
    let base = d.daemon.web_base().unwrap();
    let web = Client::plain(&d);
    for kind in ["link", "ada@example.org"] {
        let l = info.links.iter().find(|l| l.kind == kind).unwrap();
        let wrapd = ShareLink::parse(&l.url).unwrap();
        // The same share and secret, for a browser.
        let (path, secret) = l
            .web_url
            .strip_prefix(&base)
            .unwrap()
            .split_once('#')
            .unwrap();
        assert_eq!(path, format!("/s/{}/", wrapd.share_id), "{l:?}");
        assert_eq!(Some(secret), wrapd.secret.as_deref(), "{l:?}");
        assert_eq!(web.get(path, None).await.status, 200);
        let r = web.enroll(&wrapd.share_id, secret, "").await;
        assert_eq!(r.status, 200, "{kind}: {r:#?}");
    }
    // Listings carry no secrets, so no web links either.
    let listed = list_shares(&d).await;
    assert!(listed.shares[0].links.iter().all(|l| l.web_url.is_empty()));
    d.stop().await;
}
