//! The gRPC service: converts between the wire and internal types, and calls
//! the daemon. Every error becomes a `Status` in one place ([`status`]).
//!
//! - `convert`: internal types to `pb`.
//! - `attach`: the attach stream (a sync task and an input task per client).
//! - `blocks`: listing, reading and watching a session's blocks.

mod attach;
mod blocks;
pub mod convert;

use std::path::PathBuf;
use std::sync::Arc;

use tonic::{Request, Response, Status, Streaming};
use wrapd_proto::pb;
use wrapd_proto::pb::mux_server::Mux;

use crate::daemon::{Daemon, NewSession};
use crate::error::Error;
use crate::session::Size;
use crate::term::RowIndex;

/// Largest message sent (a snapshot with a lot of history).
pub const MAX_RESPONSE_BYTES: usize = 64 << 20;

pub struct MuxService {
    daemon: Arc<Daemon>,
}

impl MuxService {
    pub fn new(daemon: Arc<Daemon>) -> MuxService {
        MuxService { daemon }
    }

    /// The tonic server for this service, with message limits set.
    pub fn server(daemon: Arc<Daemon>) -> pb::mux_server::MuxServer<MuxService> {
        pb::mux_server::MuxServer::new(MuxService::new(daemon.clone()))
            .max_decoding_message_size(daemon.config().limits.max_message_bytes)
            .max_encoding_message_size(MAX_RESPONSE_BYTES)
    }
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
    }
}

/// A size from the wire: zero means "the default" where a default makes sense.
fn size_or_default(cols: u32, rows: u32) -> Result<Option<Size>, Status> {
    if cols == 0 && rows == 0 {
        return Ok(None);
    }
    Size::checked(cols, rows).map(Some).ok_or_else(|| {
        Status::invalid_argument(format!(
            "invalid size {cols}x{rows}: both sides must be at least 1"
        ))
    })
}

pub(crate) fn new_session(req: pb::CreateSessionRequest) -> Result<NewSession, Status> {
    Ok(NewSession {
        name: req.name,
        command: req.command,
        cwd: Some(req.cwd).filter(|c| !c.is_empty()).map(PathBuf::from),
        env: req.env.into_iter().collect(),
        size: size_or_default(req.cols, req.rows)?,
        remain_on_exit: req.remain_on_exit,
        shell_integration: !req.no_shell_integration,
    })
}

#[tonic::async_trait]
impl Mux for MuxService {
    async fn get_server_info(
        &self,
        _: Request<pb::GetServerInfoRequest>,
    ) -> Result<Response<pb::ServerInfo>, Status> {
        Ok(Response::new(pb::ServerInfo {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            pid: std::process::id(),
            socket_path: self.daemon.socket_path.to_string_lossy().into_owned(),
            started_at_ms: self.daemon.started_at_ms,
        }))
    }

    async fn create_session(
        &self,
        req: Request<pb::CreateSessionRequest>,
    ) -> Result<Response<pb::SessionInfo>, Status> {
        let new = new_session(req.into_inner())?;
        let handle = self.daemon.create_session(new).map_err(status)?;
        let info = handle.info().await.map_err(status)?;
        Ok(Response::new(convert::session_info(info)))
    }

    async fn list_sessions(
        &self,
        _: Request<pb::ListSessionsRequest>,
    ) -> Result<Response<pb::ListSessionsResponse>, Status> {
        let handles = self.daemon.registry.list();
        let infos = futures_util::future::join_all(handles.iter().map(|h| h.info())).await;
        // A session that ended while we asked is simply not listed.
        let sessions = infos
            .into_iter()
            .filter_map(Result::ok)
            .map(convert::session_info)
            .collect();
        Ok(Response::new(pb::ListSessionsResponse { sessions }))
    }

    async fn kill_session(
        &self,
        req: Request<pb::KillSessionRequest>,
    ) -> Result<Response<pb::KillSessionResponse>, Status> {
        let handle = self
            .daemon
            .registry
            .resolve(&req.into_inner().target)
            .map_err(status)?;
        handle.kill().await.map_err(status)?;
        self.daemon.registry.remove(&handle.id);
        Ok(Response::new(pb::KillSessionResponse {}))
    }

    async fn rename_session(
        &self,
        req: Request<pb::RenameSessionRequest>,
    ) -> Result<Response<pb::SessionInfo>, Status> {
        let req = req.into_inner();
        let handle = self
            .daemon
            .registry
            .rename(&req.target, &req.new_name)
            .map_err(status)?;
        handle.rename(req.new_name).await.map_err(status)?;
        let info = handle.info().await.map_err(status)?;
        Ok(Response::new(convert::session_info(info)))
    }

    async fn capture(
        &self,
        req: Request<pb::CaptureRequest>,
    ) -> Result<Response<pb::CaptureResponse>, Status> {
        let req = req.into_inner();
        let handle = self.daemon.registry.resolve(&req.target).map_err(status)?;
        let text = handle
            .capture(req.scrollback, req.ansi)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::CaptureResponse { text }))
    }

    async fn send_input(
        &self,
        req: Request<pb::SendInputRequest>,
    ) -> Result<Response<pb::SendInputResponse>, Status> {
        let req = req.into_inner();
        let handle = self.daemon.registry.resolve(&req.target).map_err(status)?;
        handle.input(req.data).await.map_err(status)?;
        Ok(Response::new(pb::SendInputResponse {}))
    }

    async fn read_rows(
        &self,
        req: Request<pb::ReadRowsRequest>,
    ) -> Result<Response<pb::ReadRowsResponse>, Status> {
        let req = req.into_inner();
        if req.end < req.start {
            return Err(Status::invalid_argument(format!(
                "invalid row range {}..{}",
                req.start, req.end
            )));
        }
        let handle = self.daemon.registry.resolve(&req.target).map_err(status)?;
        let rows = handle
            .read_rows(RowIndex(req.start), RowIndex(req.end))
            .await
            .map_err(status)?;
        Ok(Response::new(pb::ReadRowsResponse {
            rows: rows
                .rows
                .into_iter()
                .map(|(i, l)| convert::row(i, l))
                .collect(),
            history_start: rows.history_start.0,
            screen_start: rows.screen_start.0,
        }))
    }

    async fn search_rows(
        &self,
        req: Request<pb::SearchRowsRequest>,
    ) -> Result<Response<pb::SearchRowsResponse>, Status> {
        let req = req.into_inner();
        if req.query.is_empty() {
            return Err(Status::invalid_argument("the search text is empty"));
        }
        let handle = self.daemon.registry.resolve(&req.target).map_err(status)?;
        let found = handle
            .search(
                req.query,
                RowIndex(req.from),
                req.backwards,
                req.case_sensitive,
            )
            .await
            .map_err(status)?;
        Ok(Response::new(pb::SearchRowsResponse {
            found: found.map(|m| pb::SearchMatch {
                row: m.row.0,
                col: u32::from(m.col),
                len: u32::from(m.len),
            }),
        }))
    }

    async fn list_blocks(
        &self,
        req: Request<pb::ListBlocksRequest>,
    ) -> Result<Response<pb::ListBlocksResponse>, Status> {
        blocks::list(&self.daemon, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn get_block_output(
        &self,
        req: Request<pb::GetBlockOutputRequest>,
    ) -> Result<Response<pb::GetBlockOutputResponse>, Status> {
        blocks::output(&self.daemon, req.into_inner())
            .await
            .map(Response::new)
    }

    type WatchBlocksStream = blocks::BlockEventStream;

    async fn watch_blocks(
        &self,
        req: Request<pb::WatchBlocksRequest>,
    ) -> Result<Response<Self::WatchBlocksStream>, Status> {
        blocks::watch(&self.daemon, req.into_inner())
            .await
            .map(Response::new)
    }

    type AttachStream = attach::EventStream;

    async fn attach(
        &self,
        req: Request<Streaming<pb::AttachRequest>>,
    ) -> Result<Response<Self::AttachStream>, Status> {
        attach::attach(self.daemon.clone(), req.into_inner())
            .await
            .map(Response::new)
    }
}
