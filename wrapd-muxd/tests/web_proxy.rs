//! The web door behind a TLS-terminating reverse proxy (`[share] web_url`):
//! links carry the proxy's address, the credential cookie is `Secure`, and
//! only pages of exactly that origin are served — the door's own address is
//! then another site. And a browser is told about its credential, not a
//! certificate.
//!
//! Then the real proxies, configured exactly as the README shows (its nginx
//! and Caddy examples are read from README.md, with this test's addresses
//! and certificate put in): nginx and Caddy terminating TLS with a
//! certificate made here (rcgen) in front of the door on loopback, and a
//! browser-like client enrolling and reading the attach stream through them.
//! They need `nginx` and `caddy` (Debian's packages; `.ci/run` installs them):
//! skipped loudly without, a failure when `CI=true`.

mod share_common;
mod web_common;

use std::path::Path;
use std::process::{Child, Command, Stdio};

use share_common::*;
use web_common::*;
use wrapd_proto::pb;
use wrapd_proto::pb::attach_event::Msg as Event;
use wrapd_proto::pb::attach_request::Msg as Req;
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

/// Is `tool` installed? If not: skipped loudly, or a failure in CI.
fn have(tool: &str, package: &str) -> bool {
    let found = Command::new(tool)
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        let msg = format!(
            "{tool} is missing (Debian's {package}): the README's {tool} example is not tested"
        );
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg}");
        }
        eprintln!("\n*** SKIPPING: {msg} ***\n");
    }
    found
}

/// Two different free ports on loopback (both bound at once, then let go:
/// one after the other, the system may hand out the same port twice).
fn two_free_ports() -> (u16, u16) {
    let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let b = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    (
        a.local_addr().unwrap().port(),
        b.local_addr().unwrap().port(),
    )
}

/// The README's example whose first line is `first`: the indented lines
/// from it to the next blank line, unindented.
fn readme_example(first: &str) -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let lines: Vec<&str> = readme
        .lines()
        .skip_while(|l| l.trim() != first)
        .take_while(|l| !l.trim().is_empty())
        .collect();
    assert!(
        !lines.is_empty(),
        "README.md has no example starting `{first}`"
    );
    lines
        .iter()
        .map(|l| l.strip_prefix("    ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` with each `(from, to)` replaced; each `from` must be there (the
/// README's example changed otherwise, and this test with it).
fn put_in(mut text: String, pairs: &[(&str, &str)]) -> String {
    for (from, to) in pairs {
        assert!(
            text.contains(from),
            "`{from}` is not in the example:\n{text}"
        );
        text = text.replace(from, to);
    }
    text
}

/// A proxy process, killed when dropped.
struct Proxy {
    child: Child,
    log: std::path::PathBuf,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proxy {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// nginx with the README's example: TLS on `port` with `cert`/`key`, in
/// front of the door at `door`.
fn nginx(dir: &Path, port: u16, door: &str, cert: &Path, key: &Path) -> Proxy {
    let example = put_in(
        readme_example("# nginx, in its http block:"),
        &[
            ("listen 443 ssl;", &format!("listen 127.0.0.1:{port} ssl;")),
            (
                "/etc/letsencrypt/live/wrapd.example.org/fullchain.pem",
                &cert.display().to_string(),
            ),
            (
                "/etc/letsencrypt/live/wrapd.example.org/privkey.pem",
                &key.display().to_string(),
            ),
            ("127.0.0.1:7680", door),
            ("wrapd.example.org", "localhost"),
        ],
    );
    let d = dir.display();
    // One process in the foreground, everything it writes in `dir`.
    let conf = format!(
        "master_process off;\ndaemon off;\npid {d}/nginx.pid;\nerror_log {d}/error.log info;\n\
         events {{ worker_connections 512; }}\n\
         http {{\naccess_log off;\nclient_body_temp_path {d}/body;\nproxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fastcgi;\nuwsgi_temp_path {d}/uwsgi;\nscgi_temp_path {d}/scgi;\n\
         {example}\n}}\n"
    );
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let child = Command::new("nginx")
        .arg("-p")
        .arg(dir)
        .arg("-e")
        .arg(dir.join("error.log"))
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .stdin(Stdio::null())
        .spawn()
        .expect("nginx starts");
    Proxy {
        child,
        log: dir.join("error.log"),
    }
}

/// Caddy with the README's example: TLS on `port` with `cert`/`key` (not
/// one of its own from ACME), in front of the door at `door`.
fn caddy(dir: &Path, port: u16, door: &str, cert: &Path, key: &Path) -> Proxy {
    let example = put_in(
        readme_example("# Caddy on the owner's host (it gets the certificate itself):"),
        &[
            (
                "wrapd.example.org {",
                &format!(
                    "https://localhost:{port} {{\n    tls {} {}",
                    cert.display(),
                    key.display()
                ),
            ),
            ("127.0.0.1:7680", door),
        ],
    );
    let conf = format!("{{\n    admin off\n    auto_https disable_redirects\n}}\n{example}\n");
    std::fs::write(dir.join("Caddyfile"), conf).unwrap();
    let log = std::fs::File::create(dir.join("caddy.log")).unwrap();
    let child = Command::new("caddy")
        .args(["run", "--adapter", "caddyfile", "--config"])
        .arg(dir.join("Caddyfile"))
        // Its storage and config in `dir`, not the home directory.
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("HOME", dir)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("caddy starts");
    Proxy {
        child,
        log: dir.join("caddy.log"),
    }
}

/// Through a real proxy (`start` runs it): the page, enrollment and the
/// attach stream, with the origin check holding behind it.
async fn joins_through(start: fn(&Path, u16, &str, &Path, &Path) -> Proxy) {
    install_crypto();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("proxy.pem"), dir.path().join("proxy.key"));
    let trusted = owner_certificate(&cert, &key);
    let (door, port) = two_free_ports();
    let door = format!("127.0.0.1:{door}");
    let public = format!("https://localhost:{port}");
    let mut config = web_config();
    config.share.web_listen = Some(door.parse().unwrap());
    config.share.web_url = public.clone();
    let d = TestDaemon::start_with(config).await;
    let (mut owner, _admin, link) = cat_shared_with_a_viewer_link(&d).await;
    let proxy = start(dir.path(), port, &door, &cert, &key);
    let web = Client {
        base: public.clone(),
        tls: Some(trusting(&trusted)),
    };
    let share = link.share_id.as_str();
    // Up once the proxy serves the page.
    wait_for("the proxy to serve the page", || {
        let (web, log) = (&web, proxy.log());
        async move {
            let up = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok();
            if !up {
                return (None, log);
            }
            let r = web.get(&format!("/s/{share}/"), None).await;
            (
                (r.status == 200 && r.body.contains("app.js")).then_some(()),
                format!("{} {}\n{log}", r.status, r.body),
            )
        }
    })
    .await;
    let r = web.enroll(share, secret(&link), "Ada").await;
    assert_eq!(r.status, 200, "{r:#?}\n{}", proxy.log());
    let (cookie, attrs) = r.cookie();
    assert!(attrs.contains("Secure"), "{attrs}");
    assert_eq!(web.whoami(share, Some(&cookie)).await.status, 200);
    // The stream, upgraded through the proxy: what the session prints.
    let (mut socket, first) = web.attach(share, Some(&cookie), web_start()).await;
    assert_attached(&first);
    owner
        .send_input(pb::SendInputRequest {
            target: "s".into(),
            data: b"through-the-proxy\r".to_vec(),
        })
        .await
        .unwrap();
    socket
        .next("the session's output", |e| match e {
            Event::Update(u) => u
                .rows
                .iter()
                .any(|r| r.spans.iter().any(|s| s.text.contains("through-the-proxy")))
                .then_some(()),
            _ => None,
        })
        .await;
    // A viewer's typing is refused by the daemon, through the proxy too.
    socket.send(Req::Input(b"x".to_vec())).await;
    let code = socket
        .next("the refusal", |e| match e {
            Event::Notice(n) => Some(n.code.clone()),
            _ => None,
        })
        .await;
    assert_eq!(code, "PermissionDenied");
    // Another site's page gets no socket through the proxy either.
    let r = web
        .try_socket(share, Some(&cookie), Some("https://evil.example"))
        .await;
    assert_eq!(r.err(), Some(403));
    drop(proxy);
    d.stop().await;
}

#[tokio::test]
async fn the_readmes_nginx_example_joins_a_share_over_tls() {
    if have("nginx", "nginx-light") {
        joins_through(nginx).await;
    }
}

#[tokio::test]
async fn the_readmes_caddy_example_joins_a_share_over_tls() {
    if have("caddy", "caddy") {
        joins_through(caddy).await;
    }
}
