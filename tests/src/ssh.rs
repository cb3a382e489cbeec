//! A real OpenSSH server on a loopback port, with a temporary host key and
//! authorized key, whose sessions live in a "remote" [`TestEnv`]; and an `ssh`
//! client set up to reach it as the host alias [`HOST`] (as a user's
//! `~/.ssh/config` would).
//!
//! The client side is an `ssh` wrapper script, first on the `PATH` that
//! [`Sshd::client_path`] gives, which runs the real ssh with our config: the
//! program under test just runs `ssh`, as it does for users.

use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::{TestEnv, bin, stop_child, wait_until};

/// The host alias the client's ssh config defines for the server.
pub const HOST: &str = "wraptest";
/// An alias for a loopback port where nothing listens.
pub const DOWN_HOST: &str = "wrapdown";
pub const SSHD: &str = "/usr/sbin/sshd";

/// Which key the server accepts.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// The client's key.
    ClientKey,
    /// Another key only: the client is refused.
    OtherKey,
}

/// Where the remote side finds programs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum RemotePath {
    /// Our built binaries first.
    WithWrapd,
    /// Only the system's directories: no wrapd-muxd.
    SystemOnly,
}

/// A running sshd; killed on drop.
pub struct Sshd {
    dir: tempfile::TempDir,
    child: Option<Child>,
    pub port: u16,
}

impl Sshd {
    /// Start sshd for `remote`'s environment; returns once it listens.
    pub fn start(remote: &TestEnv, auth: Auth, path: RemotePath) -> Sshd {
        let dir = tempfile::Builder::new()
            .prefix("wrapd-sshd")
            .tempdir()
            .unwrap();
        let d = dir.path();
        for key in ["host_key", "client_key", "other_key"] {
            keygen(&d.join(key));
        }
        let authorized = match auth {
            Auth::ClientKey => "client_key.pub",
            Auth::OtherKey => "other_key.pub",
        };
        fs::copy(d.join(authorized), d.join("authorized_keys")).unwrap();
        let port = free_port();
        let down_port = free_port();
        let user = nix::unistd::User::from_uid(nix::unistd::getuid())
            .unwrap()
            .expect("our user")
            .name;

        let wrapd_dir = bin("wrapd-muxd").parent().unwrap().to_owned();
        let remote_path = match path {
            RemotePath::WithWrapd => format!("{}:/usr/bin:/bin", wrapd_dir.display()),
            RemotePath::SystemOnly => "/usr/bin:/bin".to_owned(),
        };
        let mut set_env = format!("PATH={remote_path}");
        for (k, v) in remote.vars() {
            if k != "TERM" && k != "PATH" {
                set_env.push_str(&format!(" {k}={}", v.to_string_lossy()));
            }
        }
        fs::write(
            d.join("sshd_config"),
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\nPidFile none\n\
                 AuthorizedKeysFile {d}/authorized_keys\nStrictModes no\nUsePAM no\n\
                 PasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                 PubkeyAuthentication yes\nPermitRootLogin prohibit-password\n\
                 AllowUsers {user}\nSetEnv {set_env}\nLogLevel VERBOSE\n",
                d = d.display()
            ),
        )
        .unwrap();

        // The client: a known host, an identity, and nothing from the real ~/.ssh.
        let host_pub = fs::read_to_string(d.join("host_key.pub")).unwrap();
        fs::write(
            d.join("known_hosts"),
            format!("[127.0.0.1]:{port} {host_pub}"),
        )
        .unwrap();
        fs::write(
            d.join("ssh_config"),
            format!(
                "Host {HOST}\n  HostName 127.0.0.1\n  Port {port}\n  User {user}\n\
                 \x20 IdentityFile {d}/client_key\n  IdentitiesOnly yes\n  IdentityAgent none\n\
                 Host {DOWN_HOST}\n  HostName 127.0.0.1\n  Port {down_port}\n\
                 Host *\n  UserKnownHostsFile {d}/known_hosts\n  GlobalKnownHostsFile /dev/null\n\
                 \x20 StrictHostKeyChecking yes\n  BatchMode yes\n  LogLevel ERROR\n",
                d = d.display()
            ),
        )
        .unwrap();
        let real_ssh = which("ssh").expect("ssh is installed");
        let wrapper_dir = d.join("bin");
        fs::create_dir(&wrapper_dir).unwrap();
        let wrapper = wrapper_dir.join("ssh");
        fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\nexec '{}' -F '{}/ssh_config' \"$@\"\n",
                real_ssh.display(),
                d.display()
            ),
        )
        .unwrap();
        fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755)).unwrap();

        if nix::unistd::getuid().is_root() {
            // sshd running as root insists on its privilege separation directory.
            let _ = fs::create_dir_all("/run/sshd");
        }
        let log = d.join("sshd.log");
        let child = Command::new(SSHD)
            .args(["-D", "-e", "-f"])
            .arg(d.join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(fs::File::create(&log).unwrap())
            .stderr(fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let sshd = Sshd {
            dir,
            child: Some(child),
            port,
        };
        wait_until(
            "sshd to listen",
            || {
                fs::read_to_string(&log)
                    .unwrap_or_default()
                    .contains(&format!("Server listening on 127.0.0.1 port {port}"))
                    .then_some(())
            },
            || sshd.log(),
        );
        sshd
    }

    /// A `PATH` whose `ssh` reaches this server as [`HOST`].
    pub fn client_path(&self) -> OsString {
        format!("{}:/usr/bin:/bin", self.dir.path().join("bin").display()).into()
    }

    /// The client's `ssh` fails (as if the route were down) until
    /// [`Sshd::release_client`].
    pub fn hold_client(&self) {
        let bin = self.dir.path().join("bin");
        fs::rename(bin.join("ssh"), bin.join("ssh.held")).unwrap();
        let down = "#!/bin/sh\necho 'ssh: connect to host: Network is unreachable' >&2\nexit 255\n";
        fs::write(bin.join("ssh"), down).unwrap();
        fs::set_permissions(bin.join("ssh"), fs::Permissions::from_mode(0o755)).unwrap();
    }

    pub fn release_client(&self) {
        let bin = self.dir.path().join("bin");
        fs::rename(bin.join("ssh.held"), bin.join("ssh")).unwrap();
    }

    /// sshd's log, for diagnosis.
    pub fn log(&self) -> String {
        format!(
            "--- sshd log ---\n{}",
            fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
        )
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            stop_child(&mut c);
        }
    }
}

fn keygen(path: &Path) {
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "wrapd-test", "-f"])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ssh-keygen: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A loopback port nothing listens on (for a moment: the kernel does not hand
/// it out again at once).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn which(tool: &str) -> Option<PathBuf> {
    let out = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .ok()?;
    let path = String::from_utf8(out.stdout).ok()?;
    Some(PathBuf::from(path.trim())).filter(|p| p.is_absolute())
}
