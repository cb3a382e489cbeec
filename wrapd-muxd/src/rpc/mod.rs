//! The gRPC service: converts between the wire and internal types, and calls
//! the daemon. Every error becomes a `Status` in one place ([`status`]).
//!
//! - `blocks`: listing, reading and watching a session's blocks.
//! - `share_admin`: the owner's `ShareAdmin` service (Unix socket only).
//! - `owner_only`: `ShareAdmin` on the share port, refusing every call.
//! - `share`: the collaborators' `Share` service (enrollment; share port).
//! - `upgrade`: the owner's `Upgrade` service (Unix socket only): `handover`.
//!
//! `Mux` is served twice: on the Unix socket to the owner, and on the share
//! port to collaborators — there every RPC first asks `share::authz`. The
//! attach stream is `collab::attach` (the web door runs the same), fed
//! tonic's stream of requests; wire types come from `crate::convert`.
//! `ReadRows` and `SearchRows` are `collab::history`'s reads (the attach
//! stream's reads of the history are the same). Imports point from here to
//! the core, never back.

mod blocks;
pub mod owner_only;
pub mod share;
pub mod share_admin;
pub mod upgrade;

use std::sync::Arc;

use tonic::{Request, Response, Status, Streaming};
use wrapd_proto::pb;
use wrapd_proto::pb::mux_server::Mux;
use wrapd_proto::version;

use crate::collab::history::{self, charge};
use crate::collab::{self, ReadTurn};
use crate::convert::{self, new_session};
use crate::daemon::Daemon;
pub use crate::error::status;
use crate::session::SessionHandle;
use crate::share::authz::{self, Access, Caller, Collab, Rpc};
use crate::share::filter::Window;

/// Largest message sent (a snapshot with a lot of history).
pub const MAX_RESPONSE_BYTES: usize = 64 << 20;

pub struct MuxService {
    daemon: Arc<Daemon>,
    /// Served on the share port: callers are who their certificates say.
    remote: bool,
}

impl MuxService {
    pub fn new(daemon: Arc<Daemon>) -> MuxService {
        MuxService {
            daemon,
            remote: false,
        }
    }

    /// The tonic server for the owner's Unix socket, with message limits set.
    pub fn server(daemon: Arc<Daemon>) -> pb::mux_server::MuxServer<MuxService> {
        Self::make(daemon, false)
    }

    /// The tonic server for the share port (collaborators).
    pub fn remote_server(daemon: Arc<Daemon>) -> pb::mux_server::MuxServer<MuxService> {
        Self::make(daemon, true)
    }

    fn make(daemon: Arc<Daemon>, remote: bool) -> pb::mux_server::MuxServer<MuxService> {
        pb::mux_server::MuxServer::new(MuxService {
            daemon: daemon.clone(),
            remote,
        })
        .max_decoding_message_size(daemon.config().limits.max_message_bytes)
        .max_encoding_message_size(MAX_RESPONSE_BYTES)
    }

    /// May this request's caller call `rpc` on `target`?
    fn access<T>(&self, req: &Request<T>, rpc: Rpc, target: &str) -> Result<Access, Status> {
        authz::authorize(
            &self.daemon.shares,
            &self.daemon.registry,
            &Caller::of(req, self.remote),
            rpc,
            target,
        )
    }

    /// Only the owner may call `rpc`.
    fn owner_only<T>(&self, req: &Request<T>, rpc: &'static str) -> Result<(), Status> {
        self.access(req, Rpc::OwnerOnly(rpc), "").map(|_| ())
    }

    /// The session a request may touch, and the collaborator's window on it.
    /// [`Self::session`] for a read of the history: also waits for the
    /// caller's turn to read (`collab::reads`), held until the reply is built.
    async fn history_session<T>(
        &self,
        req: &Request<T>,
        rpc: Rpc,
        target: &str,
    ) -> Result<(SessionHandle, Option<Collab>, ReadTurn), Status> {
        let (handle, collab) = self.session(req, rpc, target)?;
        let who = collab
            .as_ref()
            .map(|c| (c.share_id.as_str(), c.participant_id.as_str()));
        let turn = self.daemon.history_reads.turn(who).await;
        Ok((handle, collab, turn))
    }

    fn session<T>(
        &self,
        req: &Request<T>,
        rpc: Rpc,
        target: &str,
    ) -> Result<(SessionHandle, Option<Collab>), Status> {
        match self.access(req, rpc, target)? {
            Access::Owner => Ok((self.daemon.registry.resolve(target).map_err(status)?, None)),
            Access::Collaborator(c) => {
                let handle = self.daemon.registry.resolve(&c.session.0).map_err(status)?;
                Ok((handle, Some(c)))
            }
        }
    }
}

fn window(c: &Option<Collab>) -> Option<Window> {
    c.as_ref().map(|c| c.window)
}

#[tonic::async_trait]
impl Mux for MuxService {
    async fn get_server_info(
        &self,
        req: Request<pb::GetServerInfoRequest>,
    ) -> Result<Response<pb::ServerInfo>, Status> {
        self.owner_only(&req, "GetServerInfo")?;
        let client = req.get_ref();
        tracing::debug!(
            client_version = client.client_version,
            client_protocol = client.client_protocol,
            "a client asked who serves"
        );
        Ok(Response::new(pb::ServerInfo {
            version: version::VERSION.to_owned(),
            pid: std::process::id(),
            socket_path: self.daemon.socket_path.to_string_lossy().into_owned(),
            started_at_ms: self.daemon.started_at_ms,
            protocol: version::PROTOCOL,
            min_protocol: version::MIN_PROTOCOL,
            executable: Some(wrapd_common::executable::running()),
        }))
    }

    async fn create_session(
        &self,
        req: Request<pb::CreateSessionRequest>,
    ) -> Result<Response<pb::SessionInfo>, Status> {
        self.owner_only(&req, "CreateSession")?;
        let new = new_session(req.into_inner())?;
        let handle = self.daemon.create_session(new).map_err(status)?;
        let info = handle.info().await.map_err(status)?;
        Ok(Response::new(convert::session_info(info)))
    }

    async fn list_sessions(
        &self,
        req: Request<pb::ListSessionsRequest>,
    ) -> Result<Response<pb::ListSessionsResponse>, Status> {
        self.owner_only(&req, "ListSessions")?;
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
        self.owner_only(&req, "KillSession")?;
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
        self.owner_only(&req, "RenameSession")?;
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
        self.owner_only(&req, "Capture")?;
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
        self.owner_only(&req, "SendInput")?;
        let req = req.into_inner();
        let handle = self.daemon.registry.resolve(&req.target).map_err(status)?;
        handle.input(req.data).await.map_err(status)?;
        Ok(Response::new(pb::SendInputResponse {}))
    }

    async fn read_rows(
        &self,
        req: Request<pb::ReadRowsRequest>,
    ) -> Result<Response<pb::ReadRowsResponse>, Status> {
        let (handle, collab, _turn) = self
            .history_session(&req, Rpc::ReadRows, &req.get_ref().target)
            .await?;
        let response =
            history::read_rows(&self.daemon, &handle, collab.as_ref(), req.get_ref()).await?;
        Ok(Response::new(response))
    }

    async fn search_rows(
        &self,
        req: Request<pb::SearchRowsRequest>,
    ) -> Result<Response<pb::SearchRowsResponse>, Status> {
        let (handle, collab, _turn) = self
            .history_session(&req, Rpc::SearchRows, &req.get_ref().target)
            .await?;
        let response =
            history::search_rows(&self.daemon, &handle, collab.as_ref(), req.into_inner()).await?;
        Ok(Response::new(response))
    }

    async fn list_blocks(
        &self,
        req: Request<pb::ListBlocksRequest>,
    ) -> Result<Response<pb::ListBlocksResponse>, Status> {
        let (handle, collab, _turn) = self
            .history_session(&req, Rpc::ListBlocks, &req.get_ref().target)
            .await?;
        let response = blocks::list(handle, window(&collab), req.into_inner()).await?;
        charge(&self.daemon, collab.as_ref(), &response)?;
        Ok(Response::new(response))
    }

    async fn get_block_output(
        &self,
        req: Request<pb::GetBlockOutputRequest>,
    ) -> Result<Response<pb::GetBlockOutputResponse>, Status> {
        let (handle, collab, _turn) = self
            .history_session(&req, Rpc::GetBlockOutput, &req.get_ref().target)
            .await?;
        let response = blocks::output(handle, window(&collab), req.into_inner()).await?;
        charge(&self.daemon, collab.as_ref(), &response)?;
        Ok(Response::new(response))
    }

    type WatchBlocksStream = blocks::BlockEventStream;

    async fn watch_blocks(
        &self,
        req: Request<pb::WatchBlocksRequest>,
    ) -> Result<Response<Self::WatchBlocksStream>, Status> {
        let (handle, collab) = self.session(&req, Rpc::WatchBlocks, &req.get_ref().target)?;
        blocks::watch(handle, collab, self.daemon.clone())
            .await
            .map(Response::new)
    }

    type AttachStream = collab::EventStream;

    async fn attach(
        &self,
        req: Request<Streaming<pb::AttachRequest>>,
    ) -> Result<Response<Self::AttachStream>, Status> {
        let caller = Caller::of(&req, self.remote);
        collab::attach(self.daemon.clone(), caller, req.into_inner())
            .await
            .map(Response::new)
    }
}
