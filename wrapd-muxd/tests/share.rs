//! Sharing over real mutual TLS: enrollment, roles enforced by the daemon,
//! live grant/revoke/remove/stop, refused certificates, presence and control
//! requests, limits, teams.

mod share_common;

use std::time::Duration;

use rcgen::{CertificateParams, DnType, Issuer, KeyPair, SanType};
use share_common::*;
use tonic::Code;
use wrapd_common::config::Config;
use wrapd_proto::pb;
use wrapd_proto::pb::attach_request::Msg as Req;
use wrapd_proto::pb::update_access_request::Change;

#[tokio::test]
async fn viewer_is_refused_then_granted_revoked_and_removed_live() {
    let d = TestDaemon::start().await;
    let mut owner = d.owner().await;
    let mut admin = d.admin().await;
    owner.create_session(create("s", &["cat"])).await.unwrap();
    let info = admin
        .start_share(share_req("s", pb::Role::Viewer))
        .await
        .unwrap()
        .into_inner();
    let link = link(&info, "link");
    let ca = d.ca_pem();
    let fingerprint = {
        use sha2::Digest;
        let der = rustls_pki_types::pem::PemObject::from_pem_slice(ca.as_bytes())
            .map(|c: rustls_pki_types::CertificateDer<'static>| c.to_vec())
            .unwrap();
        sha2::Sha256::digest(&der)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    assert_eq!(link.ca_sha256, fingerprint, "the link pins the daemon's CA");
    assert_ne!(link.addr, "127.0.0.1:0", "the link names the port taken");

    let ada = enroll(&d, &link, "Ada Lovelace").await;
    assert_eq!(ada.whoami.role(), pb::Role::Viewer);
    assert_eq!(ada.whoami.owner_name, "Owen Owner");
    let who = ada
        .share()
        .await
        .whoami(pb::WhoamiRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (who.name.as_str(), who.session_name.as_str()),
        ("Ada Lovelace", "s")
    );

    let mut mux = ada.mux().await;
    let (tx, mut events) = attach(&mut mux, "").await;
    let p = next_presence(&mut events, "presence with both", |p| {
        p.participants.len() == 2
    })
    .await;
    assert_eq!(p.participants[0].id, "owner", "the owner comes first");
    assert_eq!(p.participants[0].name, "Owen Owner");
    assert_eq!(p.participants[1].initials, "AL");
    assert_eq!(
        (p.you.as_str(), p.role()),
        (ada.whoami.participant_id.as_str(), pb::Role::Viewer)
    );

    // A viewer's input is refused by the daemon and never reaches the program.
    type_in(&tx, "viewer-typed\r").await;
    let n = next_notice(&mut events).await;
    assert_eq!(n.code, "PermissionDenied");
    assert!(
        n.message.contains("you are a viewer: ask for control"),
        "{n:?}"
    );
    tx.send(pb::AttachRequest {
        msg: Some(Req::Resize(pb::Size {
            cols: 100,
            rows: 50,
        })),
    })
    .await
    .unwrap();
    assert_eq!(next_notice(&mut events).await.code, "PermissionDenied");
    assert!(!capture(&mut owner, "s").await.contains("viewer-typed"));

    // Granted edit: the same stream types.
    let pid = ada.whoami.participant_id.clone();
    update_access(&mut admin, "s", Change::GrantEdit(pid.clone())).await;
    next_presence(&mut events, "role editor", |p| p.role() == pb::Role::Editor).await;
    type_in(&tx, "editor-typed\r").await;
    wait_for_screen(&mut owner, "s", "editor-typed").await;

    // Revoked mid-stream: refused again at once.
    // Participants are named by id or email.
    let e = admin
        .update_access(pb::UpdateAccessRequest {
            target: "s".into(),
            change: Some(Change::RevokeEdit("nobody@example.org".into())),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound, "{e:?}");
    update_access(&mut admin, "s", Change::RevokeEdit(pid.clone())).await;
    next_presence(&mut events, "role viewer", |p| p.role() == pb::Role::Viewer).await;
    type_in(&tx, "after-revoke\r").await;
    let n = next_notice(&mut events).await;
    assert!(
        n.code == "PermissionDenied" || n.message.contains("viewer"),
        "{n:?}"
    );

    // Removed: the stream ends within a second, the certificate is refused.
    let removed_at = std::time::Instant::now();
    let after = update_access(&mut admin, "s", Change::Remove(pid.clone())).await;
    let end = tokio::time::timeout(Duration::from_secs(5), stream_end(&mut events))
        .await
        .expect("the stream ends");
    assert!(
        removed_at.elapsed() < Duration::from_secs(1),
        "closed after {:?}",
        removed_at.elapsed()
    );
    assert_eq!(end.code(), Code::PermissionDenied, "{end:?}");
    assert!(end.message().contains("removed"), "{end:?}");
    let e = ada
        .mux()
        .await
        .list_blocks(pb::ListBlocksRequest::default())
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    assert!(e.message().contains("revoked"), "{e:?}");
    assert!(!capture(&mut owner, "s").await.contains("after-revoke"));
    // She came by the link, so it has a new secret: the old one enrolls
    // nobody (she cannot come back), the new one works for others.
    let new_link = share_common::link(&after, "link");
    assert_ne!(new_link.secret, link.secret, "the link secret was rotated");
    let e = try_enroll(&d, &link, None, "Ada again", "")
        .await
        .err()
        .expect("the old link is refused");
    assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
    assert!(e.message().contains("not valid"), "{e:?}");
    enroll(&d, &new_link, "Newcomer").await;

    let log = admin
        .get_audit_log(pb::GetAuditLogRequest { target: "s".into() })
        .await
        .unwrap()
        .into_inner();
    let actions: Vec<&str> = log.entries.iter().map(|e| e.action.as_str()).collect();
    for a in [
        "join",
        "refused",
        "grant-edit",
        "input",
        "revoke-edit",
        "remove",
    ] {
        assert!(actions.contains(&a), "{a} missing in {actions:?}");
    }
    let input = log.entries.iter().find(|e| e.action == "input").unwrap();
    assert_eq!(input.participant_id, pid);
    assert!(input.detail.contains("editor-typed"), "{input:?}");
    d.stop().await;
}

#[tokio::test]
async fn stopping_a_share_cuts_everyone_off_and_kills_links_and_certificates() {
    let d = TestDaemon::start().await;
    let mut owner = d.owner().await;
    let mut admin = d.admin().await;
    owner.create_session(create("a", &["cat"])).await.unwrap();
    owner.create_session(create("b", &["cat"])).await.unwrap();
    let la = link(
        &admin
            .start_share(share_req("a", pb::Role::Editor))
            .await
            .unwrap()
            .into_inner(),
        "link",
    );
    let lb = link(
        &admin
            .start_share(share_req("b", pb::Role::Viewer))
            .await
            .unwrap()
            .into_inner(),
        "link",
    );
    let list = admin
        .list_shares(pb::ListSharesRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.shares.len(), 2, "several shares at once");
    let x = enroll(&d, &la, "X").await;
    let y = enroll(&d, &lb, "Y").await;
    let (_tx, mut ex) = attach(&mut x.mux().await, "").await;
    let (_ty, mut ey) = attach(&mut y.mux().await, "").await;
    // A collaborator of `a` cannot reach `b`.
    let e = try_attach(&mut x.mux().await, start("b"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");

    let stopped = admin
        .stop_share(pb::StopShareRequest {
            target: "a".into(),
            all: false,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stopped.share_ids.len(), 1);
    let end = stream_end(&mut ex).await;
    assert_eq!(end.code(), Code::PermissionDenied, "{end:?}");
    let e = x
        .mux()
        .await
        .read_rows(pb::ReadRowsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
    let e = try_enroll(&d, &la, None, "Z", "").await.err().unwrap();
    assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
    assert!(e.message().contains("not valid"), "{e:?}");

    admin
        .stop_share(pb::StopShareRequest {
            target: String::new(),
            all: true,
        })
        .await
        .unwrap();
    stream_end(&mut ey).await;
    assert!(
        admin
            .list_shares(pb::ListSharesRequest {})
            .await
            .unwrap()
            .into_inner()
            .shares
            .is_empty()
    );
    // The sessions live on.
    owner_types_and_sees(&mut owner, "a", "alive").await;
    d.stop().await;
}

/// A certificate for share participant `uri`, signed by `issuer`, valid in
/// the given years.
fn forged_cert(issuer: &Issuer<'_, KeyPair>, uri: &str, years: (i32, i32)) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::default();
    params
        .distinguished_name
        .push(DnType::CommonName, "Mallory");
    params
        .subject_alt_names
        .push(SanType::URI(uri.try_into().unwrap()));
    params.not_before = rcgen::date_time_ymd(years.0, 1, 1);
    params.not_after = rcgen::date_time_ymd(years.1, 1, 1);
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let cert = params.signed_by(&key, issuer).unwrap();
    (cert.pem(), key.serialize_pem())
}

#[tokio::test]
async fn bad_certificates_and_secrets_are_refused_with_clear_messages() {
    let d = TestDaemon::start().await;
    let mut owner = d.owner().await;
    let mut admin = d.admin().await;
    owner.create_session(create("s", &["cat"])).await.unwrap();
    let mut req = share_req("s", pb::Role::Viewer);
    req.invites = vec![pb::Invite {
        email: "eve@example.org".into(),
        role: pb::Role::Editor as i32,
    }];
    let info = admin.start_share(req).await.unwrap().into_inner();
    let link_ = link(&info, "link");
    let invite = link(&info, "eve@example.org");
    let ok = enroll(&d, &link_, "Ok").await;
    let uri = format!(
        "wrapd:share/{}/participant/{}/role/editor",
        ok.whoami.share_id, ok.whoami.participant_id
    );
    let try_whoami = |c: Collaborator| async move {
        c.share()
            .await
            .whoami(pb::WhoamiRequest {})
            .await
            .unwrap_err()
    };
    let with = |cert: String, key: String| Collaborator {
        cert_pem: cert,
        key_pem: key,
        ..ok.clone()
    };

    // Another CA's certificate.
    let other_key = KeyPair::generate().unwrap();
    let mut other = CertificateParams::default();
    other.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let other_cert = other.self_signed(&other_key).unwrap();
    let other = Issuer::from_ca_cert_der(other_cert.der(), other_key).unwrap();
    let (cert, key) = forged_cert(&other, &uri, (2020, 2090));
    let e = try_whoami(with(cert, key)).await;
    assert_eq!(e.code(), Code::Unauthenticated, "{e:?}");
    assert!(e.message().contains("not issued by this daemon"), "{e:?}");

    // An expired one from our own CA.
    let ours =
        Issuer::from_ca_cert_pem(&d.ca_pem(), KeyPair::from_pem(&d.ca_key_pem()).unwrap()).unwrap();
    let (cert, key) = forged_cert(&ours, &uri, (2020, 2021));
    let e = try_whoami(with(cert, key)).await;
    assert_eq!(e.code(), Code::Unauthenticated, "{e:?}");
    assert!(e.message().contains("expired"), "{e:?}");

    // A valid signature on a certificate this share never issued (a stolen
    // CA key could make it; the live list still says no).
    let (cert, key) = forged_cert(&ours, &uri, (2020, 2090));
    let e = ok_or_err(with(cert, key)).await;
    assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");

    // A tampered certificate: one byte of its signature changed.
    let mut der: Vec<u8> = {
        use rustls_pki_types::pem::PemObject;
        rustls_pki_types::CertificateDer::from_pem_slice(ok.cert_pem.as_bytes())
            .unwrap()
            .to_vec()
    };
    let last = der.len() - 1;
    der[last] ^= 0x01;
    let tampered = pem_of(&der);
    let e = try_whoami(with(tampered, ok.key_pem.clone())).await;
    assert_eq!(e.code(), Code::Unauthenticated, "{e:?}");
    assert!(e.message().contains("signature is invalid"), "{e:?}");

    // No certificate at all.
    let anon = wrapd_proto::pb::share_client::ShareClient::new(
        tls_channel(&ok.addr, &ok.ca_pem, None).await,
    );
    let e = anon.clone().whoami(pb::WhoamiRequest {}).await.unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated);
    assert!(e.message().contains("enroll first"), "{e:?}");

    // An invitation works once; a wrong secret never.
    let eve = try_enroll(&d, &invite, None, "Eve", "mallory@evil.example")
        .await
        .unwrap();
    assert_eq!(
        eve.whoami.email, "eve@example.org",
        "the invitation fixes the email"
    );
    assert_eq!(eve.whoami.role(), pb::Role::Editor);
    let e = try_enroll(&d, &invite, None, "Eve again", "")
        .await
        .err()
        .unwrap();
    assert_eq!(e.code(), Code::PermissionDenied);
    assert!(e.message().contains("already been used"), "{e:?}");
    let e = try_enroll(&d, &link_, Some("0000"), "Guess", "")
        .await
        .err()
        .unwrap();
    assert_eq!(e.code(), Code::PermissionDenied);
    // The good certificate still works after all that.
    ok.share().await.whoami(pb::WhoamiRequest {}).await.unwrap();
    d.stop().await;
}

async fn ok_or_err(c: Collaborator) -> tonic::Status {
    c.share()
        .await
        .whoami(pb::WhoamiRequest {})
        .await
        .unwrap_err()
}

fn pem_of(der: &[u8]) -> String {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in der.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    let body: Vec<String> = out
        .as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        body.join("\n")
    )
}

#[tokio::test]
async fn control_requests_presence_and_selections() {
    let d = TestDaemon::start().await;
    let (mut owner, mut admin, l) = cat_shared_with_a_viewer_link(&d).await;
    let (otx, mut oev) = attach(&mut owner, "s").await;
    let bo = enroll(&d, &l, "Bo").await;
    let (btx, mut bev) = attach(&mut bo.mux().await, "").await;
    next_presence(&mut oev, "Bo connected", |p| {
        p.participants.iter().any(|x| x.name == "Bo" && x.connected)
    })
    .await;

    // A viewer asks for control; the owner sees it, denies, then grants.
    bo.share()
        .await
        .request_control(pb::RequestControlRequest {})
        .await
        .unwrap();
    next_presence(&mut oev, "request shown", |p| {
        p.participants.iter().any(|x| x.control_requested)
    })
    .await;
    let list = admin
        .list_shares(pb::ListSharesRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(
        list.shares[0]
            .participants
            .iter()
            .any(|x| x.name == "Bo" && x.control_requested)
    );
    let answer = |grant| pb::AnswerControlRequestRequest {
        target: "s".into(),
        participant: bo.whoami.participant_id.clone(),
        grant,
    };
    admin.answer_control_request(answer(false)).await.unwrap();
    let n = next_notice(&mut bev).await;
    assert!(n.message.contains("declined"), "{n:?}");
    let e = admin
        .answer_control_request(answer(true))
        .await
        .unwrap_err();
    assert_eq!(
        e.code(),
        Code::FailedPrecondition,
        "no request pending: {e:?}"
    );
    bo.share()
        .await
        .request_control(pb::RequestControlRequest {})
        .await
        .unwrap();
    next_presence(&mut oev, "request shown again", |p| {
        p.participants.iter().any(|x| x.control_requested)
    })
    .await;
    admin.answer_control_request(answer(true)).await.unwrap();
    let n = next_notice(&mut bev).await;
    assert!(n.message.contains("gave you control"), "{n:?}");
    type_in(&btx, "bo-was-here\r").await;
    wait_for_screen(&mut owner, "s", "bo-was-here").await;
    let e = bo
        .share()
        .await
        .request_control(pb::RequestControlRequest {})
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);

    // Selections travel to everyone, the owner's too.
    let sel = pb::Selection {
        start_row: 0,
        start_col: 0,
        end_row: 0,
        end_col: 3,
        block_id: 0,
    };
    btx.send(pb::AttachRequest {
        msg: Some(Req::Select(sel)),
    })
    .await
    .unwrap();
    next_presence(&mut oev, "Bo's selection", |p| {
        p.participants
            .iter()
            .any(|x| x.name == "Bo" && x.selection == Some(sel))
    })
    .await;
    otx.send(pb::AttachRequest {
        msg: Some(Req::Select(sel)),
    })
    .await
    .unwrap();
    next_presence(&mut bev, "the owner's selection", |p| {
        p.participants[0].selection == Some(sel)
    })
    .await;
    d.stop().await;
}

#[tokio::test]
async fn limits_give_clear_messages_and_leave_the_session_alone() {
    let mut config = Config::default();
    config.share.max_participants = 1;
    config.share.max_session_bytes = 3_000;
    let d = TestDaemon::start_with(config).await;
    let (mut owner, _admin, l) = cat_shared_with_a_viewer_link(&d).await;
    // An email no certificate can hold is refused clearly and adds nobody:
    // the one place left is still free.
    let e = try_enroll(&d, &l, None, "Jörg", "jörg@example.org")
        .await
        .err()
        .unwrap();
    assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
    assert!(e.message().contains("jörg@example.org"), "{e:?}");
    let one = enroll(&d, &l, "One").await;
    let e = try_enroll(&d, &l, None, "Two", "").await.err().unwrap();
    assert_eq!(e.code(), Code::ResourceExhausted, "{e:?}");
    assert!(
        e.message().contains("already has 1 participant, its limit"),
        "{e:?}"
    );

    // More history than the share may send: the first snapshot is over it.
    let line = "x".repeat(30);
    for i in 0..100 {
        owner
            .send_input(pb::SendInputRequest {
                target: "s".into(),
                data: format!("{i}{line}\r").into_bytes(),
            })
            .await
            .unwrap();
    }
    wait_for_count(&mut owner, "s", &format!("99{line}"), 1).await;
    let (_tx, mut ev) = attach(&mut one.mux().await, "").await;
    let end = stream_end(&mut ev).await;
    assert_eq!(end.code(), Code::ResourceExhausted, "{end:?}");
    assert!(end.message().contains("its limit of 3 kB"), "{end:?}");
    // The owner's session is undisturbed.
    owner_types_and_sees(&mut owner, "s", "still-here").await;
    d.stop().await;
}

#[tokio::test]
async fn team_members_join_with_their_team_identity() {
    let team_dir = tempfile::tempdir().unwrap();
    let team = team_dir.path().join("team");
    wrapd_muxd::share::team::init(&team).unwrap();
    let member = wrapd_muxd::share::team::issue(&team, "tess@team.example", "Tess").unwrap();
    let outsider = wrapd_muxd::share::team::issue(&team, "oz@elsewhere.example", "Oz").unwrap();
    let mut config = Config::default();
    config.share.team_ca = team.join("ca.pem");
    config.share.team_email_domain = "team.example".into();
    let d = TestDaemon::start_with(config).await;
    let mut owner = d.owner().await;
    let mut admin = d.admin().await;
    owner.create_session(create("s", &["cat"])).await.unwrap();
    owner.create_session(create("t", &["cat"])).await.unwrap();
    admin
        .start_share(share_req("t", pb::Role::Viewer))
        .await
        .unwrap();
    let mut req = share_req("s", pb::Role::Unspecified);
    req.team_role = pb::Role::Viewer as i32;
    let info = admin.start_share(req).await.unwrap().into_inner();
    let tess = team_collaborator(&d, &info, &member);
    assert!(
        link(&info, "team").secret.is_none(),
        "a team link has no secret"
    );
    // Session `t` is not shared with the team.
    let e = try_attach(&mut tess.mux().await, start("t"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
    let who = tess
        .share()
        .await
        .whoami(pb::WhoamiRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (who.email.as_str(), who.role()),
        ("tess@team.example", pb::Role::Viewer)
    );
    let (tx, mut ev) = attach(&mut tess.mux().await, "").await;
    type_in(&tx, "nope\r").await;
    assert_eq!(next_notice(&mut ev).await.code, "PermissionDenied");
    // Outside the team's email domain.
    let oz = team_collaborator(&d, &info, &outsider);
    let e = oz
        .share()
        .await
        .whoami(pb::WhoamiRequest {})
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated, "{e:?}");
    assert!(e.message().contains("domain"), "{e:?}");
    // Removed: their team certificate is refused here from now on.
    update_access(&mut admin, "s", Change::Remove("tess@team.example".into())).await;
    stream_end(&mut ev).await;
    let e = tess
        .share()
        .await
        .whoami(pb::WhoamiRequest {})
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
    d.stop().await;
}

#[tokio::test]
async fn the_ca_and_revocations_survive_a_restart() {
    let state = tempfile::tempdir().unwrap();
    let state_dir = state.path().join("share");
    let d = TestDaemon::start_in(Config::default(), Some(state_dir.clone())).await;
    let (_owner, mut admin, l) = cat_shared_with_a_viewer_link(&d).await;
    let removed = enroll(&d, &l, "Removed").await;
    let kept = enroll(&d, &l, "Kept").await;
    update_access(
        &mut admin,
        "s",
        Change::Remove(removed.whoami.participant_id.clone()),
    )
    .await;
    let ca_before = d.ca_pem();
    d.stop().await;

    // The same state directory, a new daemon: same CA, same revocations.
    let d = TestDaemon::start_in(Config::default(), Some(state_dir)).await;
    assert_eq!(d.ca_pem(), ca_before);
    let (_owner, _admin, l) = cat_shared_with_a_viewer_link(&d).await;
    let at = |c: &Collaborator| Collaborator {
        addr: l.addr.clone(),
        ..c.clone()
    };
    let e = at(&removed)
        .share()
        .await
        .whoami(pb::WhoamiRequest {})
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
    assert!(e.message().contains("revoked"), "{e:?}");
    let e = at(&kept)
        .share()
        .await
        .whoami(pb::WhoamiRequest {})
        .await
        .unwrap_err();
    // Its share ended with the daemon, so it is refused too.
    assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
    d.stop().await;
}

#[tokio::test]
async fn a_new_session_shared_in_one_step_and_a_share_without_scrollback() {
    let d = TestDaemon::start().await;
    let mut owner = d.owner().await;
    let mut admin = d.admin().await;
    let info = admin
        .start_share(pb::StartShareRequest {
            new_session: true,
            create_request: Some(create("fresh", &["cat"])),
            link_role: pb::Role::Viewer as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(info.session_name, "fresh");
    assert_eq!(info.participants[0].name, "Owen Owner");
    let list = owner
        .list_sessions(pb::ListSessionsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(list.sessions.iter().any(|s| s.name == "fresh"));

    // History before the share: the collaborator starts at the screen.
    owner.create_session(create("old", &["cat"])).await.unwrap();
    for i in 0..30 {
        owner
            .send_input(pb::SendInputRequest {
                target: "old".into(),
                data: format!("history-{i}\r").into_bytes(),
            })
            .await
            .unwrap();
    }
    // Both the echo and cat's copy of the last line: the output has settled.
    wait_for_count(&mut owner, "old", "history-29", 2).await;
    let mut req = share_req("old", pb::Role::Viewer);
    req.start = Some(pb::ShareStart {
        from: Some(pb::share_start::From::NoScrollback(true)),
    });
    let info = admin.start_share(req).await.unwrap().into_inner();
    assert!(info.start_row > 0, "{info:?}");
    assert_eq!(
        info.start.and_then(|s| s.from),
        Some(pb::share_start::From::NoScrollback(true)),
        "the share says how its starting point was chosen"
    );
    let c = enroll(&d, &link(&info, "link"), "C").await;
    let rows = c
        .mux()
        .await
        .read_rows(pb::ReadRowsRequest {
            target: "old".into(),
            start: 0,
            end: 1000,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rows.history_start, info.start_row);
    assert!(
        rows.rows.iter().all(|r| r.index >= info.start_row),
        "{rows:?}"
    );
    let text: String = rows
        .rows
        .iter()
        .flat_map(|r| r.spans.iter().map(|s| s.text.clone()))
        .collect();
    assert!(
        text.contains("history-29") && !text.contains("history-1\n"),
        "{text}"
    );
    assert!(!text.contains("history-10"), "{text}");

    // A certificate request that is not one is refused, and nothing breaks.
    let l = link(&info, "link");
    let channel = tls_channel(&l.addr, &d.ca_pem(), None).await;
    let e = wrapd_proto::pb::share_client::ShareClient::new(channel)
        .enroll(pb::EnrollRequest {
            share_id: l.share_id.clone(),
            secret: l.secret.clone().unwrap(),
            csr_der: b"not a CSR".to_vec(),
            name: "Bad".into(),
            email: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
    assert!(e.message().contains("certificate request"), "{e:?}");
    let shares = admin
        .list_shares(pb::ListSharesRequest {})
        .await
        .unwrap()
        .into_inner();
    let old = shares
        .shares
        .iter()
        .find(|s| s.session_name == "old")
        .unwrap();
    assert_eq!(
        old.participants.len(),
        2,
        "the owner and C, no one else: {old:?}"
    );
    d.stop().await;
}
