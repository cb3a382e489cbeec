//! A real daemon (in-process, real socket, real share port with real TLS) and
//! real collaborators: key pairs and certificate requests made here, enrolled
//! over TLS with tonic's client, certificates from the daemon's own CA.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rcgen::{CertificateParams, KeyPair};
use tokio_stream::StreamExt;
use tokio_util::sync::CancellationToken;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use wrapd_common::config::Config;
use wrapd_muxd::Listener;
use wrapd_muxd::daemon::Daemon;
use wrapd_proto::link::{SERVER_NAME, ShareLink};
use wrapd_proto::pb;
use wrapd_proto::pb::attach_event::Msg as Event;
use wrapd_proto::pb::attach_request::Msg as Req;
use wrapd_proto::pb::mux_client::MuxClient;
use wrapd_proto::pb::share_admin_client::ShareAdminClient;
use wrapd_proto::pb::share_client::ShareClient;

pub struct TestDaemon {
    pub dir: tempfile::TempDir,
    pub socket: PathBuf,
    pub state_dir: PathBuf,
    pub shutdown: CancellationToken,
    /// The daemon itself (where its doors listen).
    pub daemon: Arc<Daemon>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl TestDaemon {
    pub async fn start() -> TestDaemon {
        TestDaemon::start_with(Config::default()).await
    }

    pub async fn start_with(config: Config) -> TestDaemon {
        TestDaemon::start_in(config, None).await
    }

    /// A daemon whose share state (CA, revocations) is in `state_dir`.
    pub async fn start_in(mut config: Config, state_dir: Option<PathBuf>) -> TestDaemon {
        install_crypto();
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("run/muxd.sock");
        let state_dir = state_dir.unwrap_or_else(|| dir.path().join("state/share"));
        config.share.state_dir = state_dir.clone();
        config.share.listen = "127.0.0.1:0".parse().unwrap();
        config.identity.name = "Owen Owner".into();
        config.identity.email = "owen@example.org".into();
        let listener = Listener::bind(&socket).unwrap();
        let shutdown = CancellationToken::new();
        // What `wrapd_muxd::run` does, keeping the daemon.
        let daemon = Daemon::new(config, socket.clone(), shutdown.clone());
        let task = tokio::spawn(wrapd_muxd::server::serve(
            daemon.clone(),
            listener,
            shutdown.clone(),
        ));
        let d = TestDaemon {
            dir,
            socket,
            state_dir,
            shutdown,
            daemon,
            task,
        };
        // Answered once the daemon serves.
        d.owner()
            .await
            .get_server_info(pb::GetServerInfoRequest::default())
            .await
            .unwrap();
        d
    }

    async fn channel(&self) -> Channel {
        Endpoint::from_shared(format!("unix://{}", self.socket.display()))
            .unwrap()
            .connect()
            .await
            .unwrap()
    }

    pub async fn owner(&self) -> MuxClient<Channel> {
        MuxClient::new(self.channel().await)
    }

    pub async fn admin(&self) -> ShareAdminClient<Channel> {
        ShareAdminClient::new(self.channel().await)
    }

    pub fn ca_pem(&self) -> String {
        std::fs::read_to_string(self.state_dir.join("ca.pem")).unwrap()
    }

    pub fn ca_key_pem(&self) -> String {
        std::fs::read_to_string(self.state_dir.join("ca.key")).unwrap()
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("daemon stops within 10s")
            .unwrap()
            .unwrap();
    }
}

pub fn create(name: &str, command: &[&str]) -> pb::CreateSessionRequest {
    pb::CreateSessionRequest {
        name: name.to_owned(),
        command: command.iter().map(|s| s.to_string()).collect(),
        cols: 40,
        rows: 10,
        ..Default::default()
    }
}

/// A bash session with shell integration (blocks) and the prompt `$ `.
pub fn bash(name: &str, home: &std::path::Path) -> pb::CreateSessionRequest {
    std::fs::write(home.join(".bashrc"), "PS1='$ '\n").unwrap();
    let mut req = create(name, &["bash"]);
    req.rows = 30;
    req.env
        .insert("HOME".into(), home.to_string_lossy().into_owned());
    req
}

/// A session "s" running `cat`, shared from its start with a viewer link: the
/// owner's clients and the link.
pub async fn cat_shared_with_a_viewer_link(
    d: &TestDaemon,
) -> (MuxClient<Channel>, ShareAdminClient<Channel>, ShareLink) {
    let mut owner = d.owner().await;
    let mut admin = d.admin().await;
    owner.create_session(create("s", &["cat"])).await.unwrap();
    let info = admin
        .start_share(share_req("s", pb::Role::Viewer))
        .await
        .unwrap()
        .into_inner();
    (owner, admin, link(&info, "link"))
}

/// Share `target` (from its start, with a link of `role`).
pub fn share_req(target: &str, link_role: pb::Role) -> pb::StartShareRequest {
    pb::StartShareRequest {
        target: target.into(),
        start: Some(pb::ShareStart {
            from: Some(pb::share_start::From::Scrollback(true)),
        }),
        link_role: link_role as i32,
        ..Default::default()
    }
}

/// A team member with the identity in `member`, at the share port of
/// `info`'s team link.
pub fn team_collaborator(
    d: &TestDaemon,
    info: &pb::ShareInfo,
    member: &wrapd_muxd::share::team::MemberFiles,
) -> Collaborator {
    let read = |p: &std::path::Path| std::fs::read_to_string(p).unwrap();
    Collaborator {
        addr: link(info, "team").addr,
        ca_pem: d.ca_pem(),
        cert_pem: read(&member.cert),
        key_pem: read(&member.key),
        whoami: Default::default(),
    }
}

/// The link of kind `kind` ("link", "team" or an email) in `info`.
pub fn link(info: &pb::ShareInfo, kind: &str) -> ShareLink {
    let l = info
        .links
        .iter()
        .find(|l| l.kind == kind)
        .unwrap_or_else(|| panic!("no {kind} link in {info:?}"));
    ShareLink::parse(&l.url).unwrap()
}

/// A TLS channel to the share port, trusting `ca_pem`, with an identity or none.
pub async fn tls_channel(addr: &str, ca_pem: &str, identity: Option<(&str, &str)>) -> Channel {
    install_crypto();
    let mut tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(ca_pem))
        .domain_name(SERVER_NAME);
    if let Some((cert, key)) = identity {
        tls = tls.identity(Identity::from_pem(cert, key));
    }
    Endpoint::from_shared(format!("https://{addr}"))
        .unwrap()
        .tls_config(tls)
        .unwrap()
        .connect()
        .await
        .unwrap()
}

/// A collaborator's identity after enrollment.
#[derive(Clone)]
pub struct Collaborator {
    pub addr: String,
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
    pub whoami: pb::WhoamiResponse,
}

impl Collaborator {
    pub async fn channel(&self) -> Channel {
        tls_channel(
            &self.addr,
            &self.ca_pem,
            Some((&self.cert_pem, &self.key_pem)),
        )
        .await
    }
    pub async fn mux(&self) -> MuxClient<Channel> {
        MuxClient::new(self.channel().await)
    }
    pub async fn share(&self) -> ShareClient<Channel> {
        ShareClient::new(self.channel().await)
    }
}

/// Enroll with `link` (its secret, or `secret` instead), as `name`/`email`.
pub async fn try_enroll(
    d: &TestDaemon,
    link: &ShareLink,
    secret: Option<&str>,
    name: &str,
    email: &str,
) -> Result<Collaborator, tonic::Status> {
    let ca_pem = d.ca_pem();
    let key = KeyPair::generate().unwrap();
    let csr = CertificateParams::default()
        .serialize_request(&key)
        .unwrap();
    let channel = tls_channel(&link.addr, &ca_pem, None).await;
    let resp = ShareClient::new(channel)
        .enroll(pb::EnrollRequest {
            share_id: link.share_id.clone(),
            secret: secret
                .map(str::to_owned)
                .or_else(|| link.secret.clone())
                .unwrap_or_default(),
            csr_der: csr.der().to_vec(),
            name: name.into(),
            email: email.into(),
        })
        .await?
        .into_inner();
    assert_eq!(resp.ca_pem, ca_pem);
    Ok(Collaborator {
        addr: link.addr.clone(),
        ca_pem,
        cert_pem: resp.certificate_pem,
        key_pem: key.serialize_pem(),
        whoami: resp.whoami.unwrap(),
    })
}

pub async fn enroll(d: &TestDaemon, link: &ShareLink, name: &str) -> Collaborator {
    try_enroll(d, link, None, name, "").await.unwrap()
}

pub type Events = tonic::Streaming<pb::AttachEvent>;
pub type Input = tokio::sync::mpsc::Sender<pb::AttachRequest>;

pub fn start(target: &str) -> pb::AttachStart {
    pb::AttachStart {
        target: target.into(),
        size: Some(pb::Size { cols: 40, rows: 10 }),
        history_rows: 1000,
        ..Default::default()
    }
}

/// Attach; the first event must be `attached`.
pub async fn try_attach(
    c: &mut MuxClient<Channel>,
    start: pb::AttachStart,
) -> Result<(Input, Events), tonic::Status> {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tx.send(pb::AttachRequest {
        msg: Some(Req::Start(start)),
    })
    .await
    .unwrap();
    let mut events = c
        .attach(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await?
        .into_inner();
    match events.message().await? {
        Some(pb::AttachEvent {
            msg: Some(Event::Attached(_)),
        }) => Ok((tx, events)),
        other => panic!("first event is not `attached`: {other:?}"),
    }
}

pub async fn attach(c: &mut MuxClient<Channel>, target: &str) -> (Input, Events) {
    try_attach(c, start(target)).await.unwrap()
}

pub async fn type_in(tx: &Input, text: &str) {
    tx.send(pb::AttachRequest {
        msg: Some(Req::Input(text.as_bytes().to_vec())),
    })
    .await
    .unwrap();
}

/// The next event for which `pick` says something, within 10 s.
pub async fn next_event<T>(
    events: &mut Events,
    what: &str,
    mut pick: impl FnMut(&Result<pb::AttachEvent, tonic::Status>) -> Option<T>,
) -> T {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    loop {
        let ev = match tokio::time::timeout_at(deadline.into(), events.next()).await {
            Ok(Some(ev)) => ev,
            Ok(None) => panic!("stream ended waiting for {what}; saw {seen:#?}"),
            Err(_) => panic!("timed out waiting for {what}; saw {seen:#?}"),
        };
        if let Some(t) = pick(&ev) {
            return t;
        }
        seen.push(format!("{ev:?}").chars().take(300).collect::<String>());
    }
}

pub async fn next_notice(events: &mut Events) -> pb::Notice {
    next_event(events, "a notice", |e| match e {
        Ok(pb::AttachEvent {
            msg: Some(Event::Notice(n)),
        }) => Some(n.clone()),
        _ => None,
    })
    .await
}

pub async fn next_presence(
    events: &mut Events,
    what: &str,
    pred: impl Fn(&pb::Presence) -> bool,
) -> pb::Presence {
    next_event(events, what, |e| match e {
        Ok(pb::AttachEvent {
            msg: Some(Event::Presence(p)),
        }) if pred(p) => Some(p.clone()),
        _ => None,
    })
    .await
}

/// The stream's end: the status it ended with (or OK when it simply ended).
pub async fn stream_end(events: &mut Events) -> tonic::Status {
    let end = async {
        loop {
            match events.next().await {
                Some(Ok(_)) => {}
                Some(Err(st)) => return st,
                None => return tonic::Status::ok(""),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), end)
        .await
        .expect("the stream ends within 10 s")
}

pub async fn capture(c: &mut MuxClient<Channel>, target: &str) -> String {
    c.capture(pb::CaptureRequest {
        target: target.into(),
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner()
    .text
}

/// Poll `f` until it returns `Some`, or panic naming `what` and the last value.
pub async fn wait_for<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = (Option<T>, String)>,
{
    // Generous: a loaded machine (CI, or a full parallel test run) can take
    // seconds to start a program; a passing test never waits this long.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (v, last) = f().await;
        if let Some(v) = v {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out waiting for {what}; last seen:\n{last}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The owner types `word` and Enter into `target` (a `cat`) and waits to
/// see it: the session, and the daemon, still answer.
pub async fn owner_types_and_sees(owner: &mut MuxClient<Channel>, target: &str, word: &str) {
    owner
        .send_input(pb::SendInputRequest {
            target: target.into(),
            data: format!("{word}\r").into_bytes(),
        })
        .await
        .unwrap();
    wait_for_screen(owner, target, word).await;
}

pub async fn wait_for_screen(c: &mut MuxClient<Channel>, target: &str, needle: &str) -> String {
    wait_for(&format!("`{needle}` on {target}"), || {
        let mut c = c.clone();
        async move {
            let text = capture(&mut c, target).await;
            (text.contains(needle).then(|| text.clone()), text)
        }
    })
    .await
}

pub async fn update_access(
    admin: &mut ShareAdminClient<Channel>,
    target: &str,
    change: pb::update_access_request::Change,
) -> pb::ShareInfo {
    admin
        .update_access(pb::UpdateAccessRequest {
            target: target.into(),
            change: Some(change),
        })
        .await
        .unwrap()
        .into_inner()
}

/// Wait until `needle` shows `n` times in `target`'s scrollback and screen
/// (not the screen alone: typed-ahead lines echo before the program's copies,
/// and a small screen may hold only the copies).
pub async fn wait_for_count(c: &mut MuxClient<Channel>, target: &str, needle: &str, n: usize) {
    wait_for(&format!("`{needle}` {n} times on {target}"), || {
        let mut c = c.clone();
        async move {
            let text = c
                .capture(pb::CaptureRequest {
                    target: target.into(),
                    scrollback: true,
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner()
                .text;
            ((text.matches(needle).count() >= n).then_some(()), text)
        }
    })
    .await
}
