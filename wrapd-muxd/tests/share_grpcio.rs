//! An independent gRPC client — Python's `grpcio`, with stubs compiled from our
//! .proto files at test time — holds a real viewer certificate and tries every
//! RPC a viewer must not use (`python/viewer_matrix.py`). Nothing of wrapd's own
//! client code is involved: what is refused is refused by the daemon.

mod share_common;

use std::path::Path;
use std::process::Command;

use share_common::*;
use wrapd_proto::pb;

/// python3 with grpcio and grpcio-tools, or a loud skip (a failure in CI).
fn python_with_grpc() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import grpc, grpc_tools.protoc"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        let msg = "python3 with grpcio and grpcio-tools is required by the independent-client \
                   test: `python3 -m pip install grpcio grpcio-tools` (`.ci/run` does)";
        if std::env::var_os("CI").is_some() {
            panic!("{msg} (CI is set)");
        }
        eprintln!("\n*** SKIPPING: {msg} ***\n");
    }
    ok
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_certificate_gets_nothing_more_from_an_independent_client() {
    if !python_with_grpc() {
        return;
    }
    let d = TestDaemon::start().await;
    let home = tempfile::tempdir().unwrap();
    d.owner()
        .await
        .create_session(bash("s", home.path()))
        .await
        .unwrap();
    let info = d
        .admin()
        .await
        .start_share(share_req("s", pb::Role::Viewer))
        .await
        .unwrap()
        .into_inner();
    let viewer = enroll(&d, &link(&info, "link"), "Vera Viewer").await;

    let files = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = files.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let (ca, cert, key) = (
        write("ca.pem", &viewer.ca_pem),
        write("cert.pem", &viewer.cert_pem),
        write("key.pem", &viewer.key_pem),
    );
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = here.join("tests/python/viewer_matrix.py");
    let protos = here.join("../proto");
    let session = viewer.whoami.session_id.clone();
    let addr = viewer.addr.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .arg(script)
            .args(["--addr", &addr, "--session", &session])
            .arg("--ca")
            .arg(ca)
            .arg("--cert")
            .arg(cert)
            .arg("--key")
            .arg(key)
            .arg("--proto-dir")
            .arg(protos)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stdout}");
    assert!(
        out.status.success(),
        "the independent client got through:\n{stdout}\n{stderr}"
    );
    // Every forbidden unary call was tried and refused (not just absent).
    assert_eq!(
        stdout.matches(": refused ").count(),
        13,
        "every forbidden RPC answers with a refusal:\n{stdout}"
    );
    assert_eq!(
        stdout.matches(": refused PERMISSION_DENIED: ").count(),
        13,
        "each refusal is PermissionDenied with a message:\n{stdout}"
    );
    // The session was not touched: no viewer input, still its own size.
    let screen = capture(&mut d.owner().await, "s").await;
    assert!(!screen.contains("viewer-typed"), "{screen}");
    let listed = d
        .owner()
        .await
        .list_sessions(pb::ListSessionsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.sessions.len(), 1, "no session was created");
    assert_ne!(listed.sessions[0].cols, 33);
    d.stop().await;
}
