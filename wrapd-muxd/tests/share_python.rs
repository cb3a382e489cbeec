//! An independent gRPC client — Python's grpcio, the .proto files compiled at
//! test time — holding a real viewer certificate tries every RPC a viewer must
//! not use: each is refused by the daemon. On the Unix socket, the same client
//! (grpc-core names the socket's path as the authority) is served.
//!
//! Needs `python3` with `grpc` and `grpc_tools` (`pip install grpcio
//! grpcio-tools`; `.ci/run` installs them): skipped loudly without them, a
//! failure when `CI=true`.

mod share_common;

use std::path::Path;
use std::process::Command;

use share_common::*;
use wrapd_proto::pb;

/// A Python that has grpcio and grpcio-tools, if any.
fn python() -> Option<&'static str> {
    ["python3", "/usr/bin/python3"].into_iter().find(|p| {
        Command::new(p)
            .args(["-c", "import grpc, grpc_tools"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[tokio::test]
async fn a_python_grpc_client_with_a_viewer_certificate_is_refused_everything_else() {
    let Some(python) = python() else {
        let msg =
            "python3 with grpcio and grpcio-tools is missing (pip install grpcio grpcio-tools)";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg}");
        }
        eprintln!("SKIPPED: {msg}");
        return;
    };
    let d = TestDaemon::start().await;
    let mut owner = d.owner().await;
    let mut admin = d.admin().await;
    owner.create_session(create("s", &["cat"])).await.unwrap();
    owner
        .create_session(create("private", &["cat"]))
        .await
        .unwrap();
    let info = admin
        .start_share(share_req("s", pb::Role::Viewer))
        .await
        .unwrap()
        .into_inner();
    let viewer = enroll(&d, &link(&info, "link"), "Py").await;
    let files = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = files.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let ca = write("ca.pem", &viewer.ca_pem);
    let cert = write("cert.pem", &viewer.cert_pem);
    let key = write("key.pem", &viewer.key_pem);
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = manifest.join("tests/python/viewer_client.py");
    let protos = manifest.join("../proto");
    let out = tokio::task::spawn_blocking({
        let python = python.to_owned();
        let addr = viewer.addr.clone();
        move || {
            Command::new(python)
                .arg(script)
                .arg(protos)
                .arg(addr)
                .args([ca, cert, key])
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the Python client failed:\n{stdout}\n{stderr}"
    );
    let results: std::collections::BTreeMap<String, (String, String)> = stdout
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let s = |k: &str| v[k].as_str().unwrap().to_owned();
            (s("rpc"), (s("code"), s("message")))
        })
        .collect();
    let expect = [
        ("Whoami", "OK"),
        ("ListBlocks", "OK"),
        ("GetServerInfo", "PERMISSION_DENIED"),
        ("CreateSession", "PERMISSION_DENIED"),
        ("ListSessions", "PERMISSION_DENIED"),
        ("KillSession", "PERMISSION_DENIED"),
        ("RenameSession", "PERMISSION_DENIED"),
        ("Capture", "PERMISSION_DENIED"),
        ("SendInput", "PERMISSION_DENIED"),
        ("ReadRows(private)", "PERMISSION_DENIED"),
        ("ShareAdmin.ListShares", "PERMISSION_DENIED"),
        ("ShareAdmin.StopShare", "PERMISSION_DENIED"),
        ("ShareAdmin.UpdateAccess", "PERMISSION_DENIED"),
        ("ShareAdmin.StartShare", "PERMISSION_DENIED"),
        ("ShareAdmin.AnswerControlRequest", "PERMISSION_DENIED"),
        ("ShareAdmin.GetAuditLog", "PERMISSION_DENIED"),
        ("Attach.input", "PermissionDenied"),
        ("Attach.resize", "PermissionDenied"),
    ];
    let mut wrong = Vec::new();
    for (rpc, code) in expect {
        match results.get(rpc) {
            Some((got, _)) if got == code => {}
            other => wrong.push(format!("{rpc}: want {code}, got {other:?}")),
        }
    }
    assert!(
        wrong.is_empty(),
        "{}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        wrong.join("\n")
    );
    assert!(results["Attach.input"].1.contains("you are a viewer"));
    // Nothing reached the sessions or the shares.
    let text = capture(&mut owner, "s").await;
    assert!(!text.contains("python"), "{text}");
    let list = owner
        .list_sessions(pb::ListSessionsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.sessions.len(), 2);
    assert_eq!(
        admin
            .list_shares(pb::ListSharesRequest {})
            .await
            .unwrap()
            .into_inner()
            .shares
            .len(),
        1
    );
    d.stop().await;
}

/// grpc-core clients name the socket's path as the HTTP/2 authority: Python's
/// grpcio on the Unix socket, with no authority override, creates a session,
/// types into it, reads it back, attaches and lists shares.
#[tokio::test]
async fn a_python_grpc_client_on_the_unix_socket_is_served() {
    let Some(python) = python() else {
        let msg =
            "python3 with grpcio and grpcio-tools is missing (pip install grpcio grpcio-tools)";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg}");
        }
        eprintln!("SKIPPED: {msg}");
        return;
    };
    let d = TestDaemon::start().await;
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = manifest.join("tests/python/unix_client.py");
    let protos = manifest.join("../proto");
    let out = tokio::task::spawn_blocking({
        let python = python.to_owned();
        let socket = d.socket.clone();
        move || {
            Command::new(python)
                .arg(script)
                .arg(protos)
                .arg(socket)
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the Python client failed:\n{stdout}\n{stderr}"
    );
    let results: std::collections::BTreeMap<String, (String, String)> = stdout
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let s = |k: &str| v[k].as_str().unwrap().to_owned();
            (s("rpc"), (s("code"), s("detail")))
        })
        .collect();
    let expect = [
        ("GetServerInfo", "OK", ""),
        ("CreateSession", "OK", "py"),
        ("SendInput", "OK", ""),
        ("ListSessions", "OK", "py"),
        ("Attach", "OK", "attached"),
        ("ShareAdmin.ListShares", "OK", "0"),
    ];
    let mut wrong = Vec::new();
    for (rpc, code, detail) in expect {
        match results.get(rpc) {
            Some((c, d)) if c == code && d == detail => {}
            other => wrong.push(format!("{rpc}: want {code} {detail:?}, got {other:?}")),
        }
    }
    assert!(
        wrong.is_empty(),
        "{}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        wrong.join("\n")
    );
    assert!(
        results["Capture.text"].1.contains("typed-from-python"),
        "{stdout}"
    );
    // The session is real: the owner's own client sees what Python typed.
    let mut owner = d.owner().await;
    assert!(
        capture(&mut owner, "py")
            .await
            .contains("typed-from-python")
    );
    d.stop().await;
}
