//! The daemon's Unix socket: one daemon per socket, same-uid peers only.
//!
//! A lock file next to the socket (`flock`, held for the daemon's life) decides
//! who serves: a second daemon fails with a clear message, and a socket left by
//! a dead daemon is replaced. Connections from other uids are dropped at accept
//! (SO_PEERCRED): the one user served here owns every session.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::net::{UnixListener, UnixStream};
use tokio_stream::wrappers::UnixListenerStream;
use tokio_util::sync::CancellationToken;
use wrapd_common::config::Config;
use wrapd_common::paths;
use wrapd_common::quiet_socket::QuietUnixStream;

use crate::daemon::Daemon;
use crate::handover::UnixFds;
use crate::local_authority::LocalAuthority;
use crate::rpc::MuxService;
use crate::rpc::share_admin::ShareAdminService;
use crate::rpc::upgrade::UpgradeService;

/// A bound socket and the lock that makes it ours.
pub struct Listener {
    listener: UnixListener,
    path: PathBuf,
    /// Held (flock) while the daemon runs; released when dropped.
    _lock: File,
    /// We bound the socket file, so we remove it at the end; a socket that
    /// systemd passed us stays (systemd owns it and listens on it again).
    remove_on_exit: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error("another wrapd-muxd{pid} is already serving {path}")]
    AlreadyRunning { path: PathBuf, pid: String },
    #[error("cannot use {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl Listener {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Take the lock and bind the socket at `path` (must run inside a Tokio runtime).
    pub fn bind(path: &Path) -> Result<Listener, BindError> {
        let lock = take_lock(path)?;
        // We hold the lock, so a socket file here is left over from a dead daemon.
        match std::fs::remove_file(path) {
            Ok(()) => tracing::info!("replaced the stale socket {}", path.display()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(path)(e)),
        }
        let listener = UnixListener::bind(path).map_err(io_err(path))?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(io_err(path))?;
        Ok(Listener {
            listener,
            path: path.to_owned(),
            _lock: lock,
            remove_on_exit: true,
        })
    }

    /// Serve a socket systemd bound and passed to us (socket activation); the
    /// lock next to it still makes sure that we are the only daemon.
    pub fn inherited(listener: std::os::unix::net::UnixListener) -> Result<Listener, BindError> {
        let path = listener
            .local_addr()
            .ok()
            .and_then(|a| a.as_pathname().map(Path::to_owned))
            .ok_or_else(|| BindError::Io {
                path: PathBuf::from("(inherited socket)"),
                source: io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "the inherited socket has no path (ListenStream= must name a file)",
                ),
            })?;
        let lock = take_lock(&path)?;
        let listener = UnixListener::from_std(listener).map_err(io_err(&path))?;
        Ok(Listener {
            listener,
            path,
            _lock: lock,
            remove_on_exit: false,
        })
    }
}

impl Listener {
    /// Serve the socket and keep the lock that a previous image of this
    /// daemon handed over (see `handover`).
    pub fn adopt(fds: UnixFds) -> Result<Listener, BindError> {
        let UnixFds {
            socket,
            lock,
            path,
            remove_on_exit,
        } = fds;
        let cloexec = |fd: &std::os::fd::OwnedFd| {
            nix::fcntl::fcntl(
                fd,
                nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC),
            )
            .map_err(io::Error::from)
        };
        let listener = cloexec(&socket)
            .and_then(|_| cloexec(&lock))
            .map(|_| std::os::unix::net::UnixListener::from(socket))
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .and_then(UnixListener::from_std)
            .map_err(io_err(&path))?;
        Ok(Listener {
            listener,
            path,
            _lock: File::from(lock),
            remove_on_exit,
        })
    }

    /// Copies of the socket and lock, for a hand-over to pass on.
    fn handover_fds(&self) -> io::Result<UnixFds> {
        use std::os::fd::AsFd;
        Ok(UnixFds {
            socket: self.listener.as_fd().try_clone_to_owned()?,
            lock: self._lock.as_fd().try_clone_to_owned()?,
            path: self.path.clone(),
            remove_on_exit: self.remove_on_exit,
        })
    }
}

fn io_err(p: &Path) -> impl FnOnce(io::Error) -> BindError + use<> {
    let p = p.to_owned();
    move |source| BindError::Io { path: p, source }
}

/// Take the single-instance lock of the socket at `path`, creating its
/// private directory; the lock file holds our pid.
fn take_lock(path: &Path) -> Result<File, BindError> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    paths::ensure_private_dir(dir).map_err(io_err(dir))?;
    let lock_path = paths::lock_path(path);
    let mut lock = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&lock_path)
        .map_err(io_err(&lock_path))?;
    // SAFETY: flock on a file descriptor we own.
    if unsafe { nix::libc::flock(lock.as_raw_fd(), nix::libc::LOCK_EX | nix::libc::LOCK_NB) } != 0 {
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::WouldBlock {
            return Err(io_err(&lock_path)(err));
        }
        let mut pid = String::new();
        let _ = lock.read_to_string(&mut pid);
        let pid = pid.trim();
        let pid = if pid.is_empty() {
            String::new()
        } else {
            format!(" (pid {pid})")
        };
        return Err(BindError::AlreadyRunning {
            path: path.to_owned(),
            pid,
        });
    }
    lock.set_len(0)
        .and_then(|()| lock.rewind())
        .map_err(io_err(&lock_path))?;
    writeln!(lock, "{}", std::process::id()).map_err(io_err(&lock_path))?;
    Ok(lock)
}

/// Serve until `shutdown` is cancelled; then end every session (their programs
/// get SIGHUP, as when a terminal closes) and remove the socket.
pub async fn run(
    config: Config,
    listener: Listener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let daemon = Daemon::new(config, listener.path().to_owned(), shutdown.clone());
    serve(daemon, listener, shutdown).await
}

/// [`run`] with a daemon made by the caller (who keeps it, to reload its config).
pub async fn serve(
    daemon: Arc<Daemon>,
    listener: Listener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    match listener.handover_fds() {
        Ok(fds) => daemon.handover.keep_unix(fds),
        Err(e) => tracing::warn!("`wrapd-muxd upgrade` will not work: {e}"),
    }
    let Listener {
        listener,
        path,
        _lock,
        remove_on_exit,
    } = listener;
    let uid = nix::unistd::getuid().as_raw();
    let incoming = UnixListenerStream::new(listener).filter_map(move |conn| async move {
        match conn {
            Ok(stream) => {
                same_user(stream, uid).map(|s| QuietUnixStream::new(s).map(LocalAuthority::new))
            }
            // Accept errors (EMFILE...) are logged by the caller of the stream.
            Err(e) => Some(Err(e)),
        }
    });
    tracing::info!(socket = %path.display(), pid = std::process::id(), "wrapd-muxd listening");
    let web = crate::web::start(&daemon);
    let result = tonic::transport::Server::builder()
        .add_service(MuxService::server(daemon.clone()))
        .add_service(ShareAdminService::server(daemon.clone()))
        .add_service(UpgradeService::server(daemon.clone()))
        .serve_with_incoming_shutdown(incoming, shutdown.clone().cancelled_owned())
        .await;
    for task in [daemon.share_port.take_task(), web].into_iter().flatten() {
        let _ = tokio::time::timeout(Duration::from_secs(2), task).await;
    }
    wait_for_sessions(&daemon, Duration::from_secs(2)).await;
    if remove_on_exit
        && let Err(e) = std::fs::remove_file(&path)
        && e.kind() != io::ErrorKind::NotFound
    {
        tracing::warn!("cannot remove {}: {e}", path.display());
    }
    tracing::info!("wrapd-muxd stopped");
    result.map_err(Into::into)
}

fn same_user(stream: UnixStream, uid: u32) -> Option<UnixStream> {
    match stream.peer_cred() {
        Ok(cred) if cred.uid() == uid => Some(stream),
        Ok(cred) => {
            tracing::warn!(peer_uid = cred.uid(), peer_pid = ?cred.pid(), "refused a connection from another user");
            None
        }
        Err(e) => {
            tracing::warn!("refused a connection without peer credentials: {e}");
            None
        }
    }
}

async fn wait_for_sessions(daemon: &Arc<Daemon>, limit: Duration) {
    let deadline = tokio::time::Instant::now() + limit;
    while !daemon.registry.is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
