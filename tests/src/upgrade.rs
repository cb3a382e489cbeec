//! Upgrading the daemon in a test: `wrapd-muxd upgrade --binary`, and the
//! binaries to upgrade to.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::{TestEnv, bin};

/// `wrapd-muxd upgrade --binary BINARY` in `env`, run to completion.
pub fn upgrade(env: &TestEnv, binary: &Path) -> Output {
    env.command("wrapd-muxd")
        .arg("upgrade")
        .arg("--binary")
        .arg(binary)
        .output()
        .unwrap()
}

/// [`upgrade`], which must succeed; what it said.
pub fn upgrade_ok(env: &TestEnv, binary: &Path) -> String {
    let out = upgrade(env, binary);
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "upgrade failed: {said}{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        env.log_tail()
    );
    said
}

/// A copy of our wrapd-muxd at another path (so that the exec shows).
pub fn new_binary(env: &TestEnv) -> PathBuf {
    let path = env.dir.path().join("wrapd-muxd-new");
    fs::copy(bin("wrapd-muxd"), &path).unwrap();
    path
}

/// An executable file `name` in `env`'s directory holding `body`.
pub fn script(env: &TestEnv, name: &str, body: &[u8]) -> PathBuf {
    let path = env.dir.path().join(name);
    fs::write(&path, body).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// The binary process `pid` runs.
pub fn exe_of(pid: i32) -> PathBuf {
    fs::read_link(format!("/proc/{pid}/exe")).unwrap()
}

/// What `share ls --json` says that an upgrade must not change: each share
/// and its participants (not who is connected now, nor bytes and times).
pub fn shares(env: &TestEnv) -> Vec<String> {
    let list: serde_json::Value =
        serde_json::from_str(&env.ok(&["share", "ls", "--json"])).unwrap();
    let mut shown = Vec::new();
    for s in list.as_array().unwrap() {
        shown.push(format!(
            "share {} of {} link {} start {}",
            s["share_id"], s["session_name"], s["link_role"], s["start_row"]
        ));
        for p in s["participants"].as_array().unwrap() {
            shown.push(format!(
                "  {} {} {} {} removed={} asks={} colour {}",
                p["id"],
                p["name"],
                p["email"],
                p["role"],
                p["removed"],
                p["control_requested"],
                p["color"]
            ));
        }
    }
    shown
}
