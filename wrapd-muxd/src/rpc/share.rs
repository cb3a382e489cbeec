//! `Share`, on the share port: enrollment (a link's secret and a certificate
//! request become a client certificate; the checks are `share::enroll`'s), who
//! am I, and asking for control.

use std::sync::Arc;
use std::time::UNIX_EPOCH;

use tonic::{Request, Response, Status};
use wrapd_proto::pb;
use wrapd_proto::pb::share_server::Share;

use crate::daemon::Daemon;
use crate::share::authz::{self, Access, Caller, Collab, Rpc};
use crate::share::ca::{CaError, Csr};
use crate::share::enroll::{self, Door, Issued, Joiner};

pub struct ShareService {
    daemon: Arc<Daemon>,
}

impl ShareService {
    pub fn server(daemon: Arc<Daemon>) -> pb::share_server::ShareServer<Self> {
        pb::share_server::ShareServer::new(ShareService { daemon })
    }

    fn collab<T>(&self, req: &Request<T>, rpc: Rpc) -> Result<Collab, Status> {
        let caller = Caller::of(req, true);
        match authz::authorize(&self.daemon.shares, &self.daemon.registry, &caller, rpc, "")? {
            Access::Collaborator(c) => Ok(c),
            Access::Owner => Err(Status::failed_precondition("the owner is no collaborator")),
        }
    }

    fn whoami(&self, c: &Collab) -> Result<pb::WhoamiResponse, Status> {
        Ok(pb::WhoamiResponse {
            owner_name: self.daemon.owner().name,
            ..enroll::whoami(&self.daemon.shares, c)?
        })
    }
}

#[tonic::async_trait]
impl Share for ShareService {
    async fn enroll(
        &self,
        req: Request<pb::EnrollRequest>,
    ) -> Result<Response<pb::EnrollResponse>, Status> {
        let req = req.into_inner();
        let ca = self.daemon.ca.get().map_err(Status::unavailable)?;
        let validity = self.daemon.config().share.cert_validity.0;
        // Check the request before anything changes.
        let csr = Csr::parse(&req.csr_der).map_err(|e| {
            Status::invalid_argument(format!("the certificate request was refused: {e}"))
        })?;
        let joiner = Joiner {
            share_id: req.share_id,
            secret: req.secret,
            name: req.name,
            email: req.email,
        };
        let (issued, whoami) = enroll::enroll(&self.daemon.shares, &joiner, Door::Native, |who| {
            let issued = ca.issue_client(csr, who, validity).map_err(|e| match e {
                CaError::BadEmail(_) => Status::invalid_argument(e.to_string()),
                e => Status::internal(format!("cannot issue a certificate: {e}")),
            })?;
            Ok(Issued {
                serial: issued.serial.clone(),
                credential: issued,
            })
        })?;
        let expires_at_ms = issued
            .expires_at
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        Ok(Response::new(pb::EnrollResponse {
            certificate_pem: issued.cert_pem,
            ca_pem: ca.cert_pem().to_owned(),
            whoami: Some(pb::WhoamiResponse {
                owner_name: self.daemon.owner().name,
                ..whoami
            }),
            expires_at_ms,
        }))
    }

    async fn whoami(
        &self,
        req: Request<pb::WhoamiRequest>,
    ) -> Result<Response<pb::WhoamiResponse>, Status> {
        let c = self.collab(&req, Rpc::Whoami)?;
        self.whoami(&c).map(Response::new)
    }

    async fn request_control(
        &self,
        req: Request<pb::RequestControlRequest>,
    ) -> Result<Response<pb::RequestControlResponse>, Status> {
        let c = self.collab(&req, Rpc::RequestControl)?;
        crate::share::control::request_control(&self.daemon.shares, &c)?;
        Ok(Response::new(pb::RequestControlResponse {}))
    }
}
