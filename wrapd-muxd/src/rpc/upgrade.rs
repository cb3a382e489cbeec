//! The `Upgrade` service: `wrapd-muxd upgrade` asks the daemon to hand over
//! to a new binary, then asks the new image how it went. Served on the Unix
//! socket only (the owner's), never on the share port.

use std::path::PathBuf;
use std::sync::Arc;

use tonic::{Request, Response, Status};
use wrapd_proto::pb;
use wrapd_proto::pb::upgrade_server::{Upgrade, UpgradeServer};

use crate::daemon::Daemon;
use crate::handover::{self, begin};

pub struct UpgradeService {
    daemon: Arc<Daemon>,
}

impl UpgradeService {
    pub fn server(daemon: Arc<Daemon>) -> UpgradeServer<UpgradeService> {
        UpgradeServer::new(UpgradeService { daemon })
    }
}

#[tonic::async_trait]
impl Upgrade for UpgradeService {
    async fn begin_upgrade(
        &self,
        req: Request<pb::BeginUpgradeRequest>,
    ) -> Result<Response<pb::BeginUpgradeResponse>, Status> {
        let req = req.into_inner();
        let binary = (!req.binary.is_empty()).then(|| PathBuf::from(req.binary));
        begin::upgrade(&self.daemon, binary, req.handover_id)
            .await
            .map(Response::new)
            .map_err(Status::failed_precondition)
    }

    async fn get_upgrade_status(
        &self,
        _req: Request<pb::GetUpgradeStatusRequest>,
    ) -> Result<Response<pb::UpgradeStatus>, Status> {
        Ok(Response::new(pb::UpgradeStatus {
            pid: std::process::id(),
            version: handover::VERSION.to_owned(),
            binary: begin::installed_binary().to_string_lossy().into_owned(),
            last: self.daemon.handover.last(),
        }))
    }
}
