//! Invitations emailed through `[mail]`: a real SMTP server on loopback
//! (Python's aiosmtpd, `tests/python/smtp_sink.py`) receives the mail; the
//! link in it enrolls once and is refused the second time. Without `[mail]`,
//! or when the relay cannot be reached, the owner is told and the invitation
//! still works.
//!
//! The aiosmtpd test needs `python3` with `aiosmtpd` (`pip install aiosmtpd`;
//! `.ci/run` installs it): skipped loudly without it, a failure when `CI=true`.

mod share_common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use share_common::*;
use tonic::Code;
use wrapd_common::config::{Config, MailSecurity};
use wrapd_proto::link::ShareLink;
use wrapd_proto::pb;

const ADA: &str = "ada@example.org";

/// A Python that has aiosmtpd, if any.
fn python() -> Option<&'static str> {
    ["python3", "/usr/bin/python3"].into_iter().find(|p| {
        Command::new(p)
            .args(["-c", "import aiosmtpd"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// The SMTP sink; killed when dropped.
struct Sink {
    child: Child,
    port: u16,
}

impl Sink {
    fn start(python: &str, dir: &Path) -> Sink {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/smtp_sink.py");
        let mut child = Command::new(python)
            .arg(script)
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the SMTP sink did not start: {line:?}"));
        Sink { child, port }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn mail_config(port: u16) -> Config {
    let mut config = Config::default();
    config.mail.host = "127.0.0.1".into();
    config.mail.port = port;
    config.mail.security = MailSecurity::None;
    config.mail.from = "wrapd <wrapd@example.org>".into();
    config
}

/// Share a `cat` session `s`, inviting Ada as an editor; the invitation's link.
async fn share_inviting_ada(d: &TestDaemon) -> pb::ShareLink {
    d.owner()
        .await
        .create_session(create("s", &["cat"]))
        .await
        .unwrap();
    let mut req = share_req("s", pb::Role::Unspecified);
    req.invites = vec![pb::Invite {
        email: ADA.into(),
        role: pb::Role::Editor as i32,
    }];
    let info = d.admin().await.start_share(req).await.unwrap().into_inner();
    info.links
        .into_iter()
        .find(|l| l.kind == ADA)
        .expect("an invitation link")
}

/// The first link works once; the second join with it is refused.
async fn link_works_once(d: &TestDaemon, url: &str) {
    let link = ShareLink::parse(url).unwrap();
    let ada = try_enroll(d, &link, None, "Ada", "").await.unwrap();
    assert_eq!(ada.whoami.email, ADA);
    assert_eq!(ada.whoami.role(), pb::Role::Editor);
    let again = try_enroll(d, &link, None, "Ada again", "")
        .await
        .err()
        .expect("an invitation works once");
    assert_eq!(again.code(), Code::PermissionDenied);
    assert!(again.message().contains("already been used"), "{again:?}");
}

#[tokio::test]
async fn an_invitation_is_mailed_and_its_link_works_once() {
    let Some(python) = python() else {
        let msg = "python3 with aiosmtpd is missing (pip install aiosmtpd)";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg}");
        }
        eprintln!("SKIPPED: {msg}");
        return;
    };
    let inbox = tempfile::tempdir().unwrap();
    let sink = Sink::start(python, inbox.path());
    let d = TestDaemon::start_with(mail_config(sink.port)).await;
    let invitation = share_inviting_ada(&d).await;
    assert_eq!(
        invitation.mail(),
        pb::InviteMail::Sent,
        "{}",
        invitation.mail_error
    );

    // The mail is there when the relay said it took it.
    let mail = std::fs::read_to_string(inbox.path().join("1.txt")).expect("the mail arrived");
    for wanted in [
        "To: ada@example.org",
        "From: wrapd <wrapd@example.org>",
        "Subject: Owen Owner invites you to the terminal session \"s\"",
        "Owen Owner <owen@example.org> invites you",
        "as an editor",
        "works once",
        "lasts 24h",
    ] {
        assert!(mail.contains(wanted), "{wanted:?} missing from:\n{mail}");
    }
    let mailed_url = mail
        .split_whitespace()
        .find_map(|w| w.strip_prefix("'wrapd://"))
        .map(|rest| format!("wrapd://{}", rest.trim_end_matches('\'')))
        .unwrap_or_else(|| panic!("no wrapd:// link in:\n{mail}"));
    assert_eq!(mailed_url, invitation.url, "the mail has the owner's link");
    link_works_once(&d, &mailed_url).await;
    drop(sink);
    d.stop().await;
}

#[tokio::test]
async fn without_mail_the_owner_is_told_to_pass_the_link_on() {
    let d = TestDaemon::start().await;
    let invitation = share_inviting_ada(&d).await;
    assert_eq!(invitation.mail(), pb::InviteMail::NotConfigured);
    link_works_once(&d, &invitation.url).await;
    d.stop().await;
}

#[tokio::test]
async fn a_relay_that_cannot_be_reached_is_reported_and_loses_nothing() {
    // A port nothing listens on: taken, then freed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let d = TestDaemon::start_with(mail_config(port)).await;
    let invitation = share_inviting_ada(&d).await;
    assert_eq!(invitation.mail(), pb::InviteMail::Failed);
    assert!(
        invitation
            .mail_error
            .contains(&format!("the relay 127.0.0.1:{port}")),
        "{}",
        invitation.mail_error
    );
    link_works_once(&d, &invitation.url).await;
    d.stop().await;
}
