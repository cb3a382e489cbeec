//! The daemon's errors, and the one place each becomes a status (a code and
//! a message: [`status`]) — what every door reports, the gRPC one as is, the
//! web one as an HTTP status or a WebSocket close code (`web::refusal`).

use tonic::Status;

use crate::pty::InputRefused;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no session matches `{0}` (see `wrapd-attach ls`)")]
    UnknownSession(String),
    #[error("there are no sessions (start one with `wrapd-attach new`)")]
    NoSessions,
    #[error("a session named `{0}` already exists")]
    DuplicateName(String),
    #[error("invalid session name `{name}`: {why}")]
    BadName { name: String, why: &'static str },
    #[error("session `{0}` has ended")]
    SessionGone(String),
    #[error("cannot start `{command}`: {source}")]
    Spawn {
        command: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    InvalidArgument(String),
    /// A limit of `[limits]` in the config is reached.
    #[error("{0}")]
    Limit(String),
    #[error("this client is attached read-only: input is refused")]
    ReadOnly,
    #[error(transparent)]
    Input(#[from] InputRefused),
    /// Not now: the daemon is handing over to a new binary, or a session is
    /// not at a point where it can be handed over.
    #[error("{0}")]
    Busy(String),
}

/// The one place daemon errors become statuses.
pub fn status(e: Error) -> Status {
    let msg = e.to_string();
    match e {
        Error::UnknownSession(_) | Error::NoSessions | Error::SessionGone(_) => {
            Status::not_found(msg)
        }
        Error::DuplicateName(_) => Status::already_exists(msg),
        Error::BadName { .. } | Error::InvalidArgument(_) => Status::invalid_argument(msg),
        Error::Spawn { .. } => Status::failed_precondition(msg),
        Error::ReadOnly => Status::permission_denied(msg),
        Error::Input(_) | Error::Limit(_) => Status::resource_exhausted(msg),
        Error::Busy(_) => Status::unavailable(msg),
    }
}
