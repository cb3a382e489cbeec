//! `ShareAdmin` on the share port: every call refused with a message that says
//! where it is served. (Not serving it at all would answer a bare
//! `Unimplemented`, which tells a collaborator's client nothing.)

use tonic::{Request, Response, Status};
use wrapd_proto::pb;
use wrapd_proto::pb::share_admin_server::{ShareAdmin, ShareAdminServer};

pub struct OwnerOnly;

impl OwnerOnly {
    pub fn server() -> ShareAdminServer<OwnerOnly> {
        ShareAdminServer::new(OwnerOnly)
    }
}

fn refuse<T>(rpc: &str) -> Result<Response<T>, Status> {
    Err(Status::permission_denied(format!(
        "`{rpc}` is for the session's owner, on the daemon's Unix socket: \
         collaborators cannot start, stop or change shares"
    )))
}

#[tonic::async_trait]
impl ShareAdmin for OwnerOnly {
    async fn start_share(
        &self,
        _: Request<pb::StartShareRequest>,
    ) -> Result<Response<pb::ShareInfo>, Status> {
        refuse("StartShare")
    }

    async fn stop_share(
        &self,
        _: Request<pb::StopShareRequest>,
    ) -> Result<Response<pb::StopShareResponse>, Status> {
        refuse("StopShare")
    }

    async fn list_shares(
        &self,
        _: Request<pb::ListSharesRequest>,
    ) -> Result<Response<pb::ListSharesResponse>, Status> {
        refuse("ListShares")
    }

    async fn update_access(
        &self,
        _: Request<pb::UpdateAccessRequest>,
    ) -> Result<Response<pb::ShareInfo>, Status> {
        refuse("UpdateAccess")
    }

    async fn answer_control_request(
        &self,
        _: Request<pb::AnswerControlRequestRequest>,
    ) -> Result<Response<pb::ShareInfo>, Status> {
        refuse("AnswerControlRequest")
    }

    async fn get_audit_log(
        &self,
        _: Request<pb::GetAuditLogRequest>,
    ) -> Result<Response<pb::GetAuditLogResponse>, Status> {
        refuse("GetAuditLog")
    }
}
