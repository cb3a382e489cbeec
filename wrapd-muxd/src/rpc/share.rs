//! `Share`, on the share port: enrollment (a link's secret and a certificate
//! request become a client certificate), who am I, and asking for control.

use std::sync::Arc;
use std::time::UNIX_EPOCH;

use tonic::{Request, Response, Status};
use wrapd_proto::pb;
use wrapd_proto::pb::share_server::Share;

use crate::daemon::Daemon;
use crate::share::Role;
use crate::share::authz::{self, Access, Caller, Collab, Rpc};
use crate::share::ca::{CaError, Csr};
use crate::share::identity::CertIdentity;
use crate::share::state::Via;

/// Longest display name or email taken from a joiner.
const MAX_NAME: usize = 100;

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
        let st = self.daemon.shares.lock();
        let share = st
            .share(&c.share_id)
            .ok_or_else(|| Status::permission_denied("the owner stopped sharing this session"))?;
        let p = share
            .participant(&c.participant_id)
            .ok_or_else(|| Status::permission_denied("you are not a participant of this share"))?;
        Ok(pb::WhoamiResponse {
            share_id: share.id.clone(),
            session_id: share.session.0.clone(),
            session_name: share.session_name.clone(),
            participant_id: p.id.clone(),
            name: p.name.clone(),
            email: p.email.clone(),
            role: p.role.to_pb() as i32,
            owner_name: self.daemon.owner().name,
        })
    }
}

/// Printable, trimmed, bounded.
fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME)
        .collect::<String>()
        .trim()
        .to_owned()
}

fn refused_link() -> Status {
    Status::permission_denied(
        "this share link is not valid (any more): the owner stopped sharing, turned the link \
         off or gave you a different one — ask them for a new link",
    )
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
        let limits = self.daemon.shares.limits();
        // Check the request before anything changes.
        let csr = Csr::parse(&req.csr_der).map_err(|e| {
            Status::invalid_argument(format!("the certificate request was refused: {e}"))
        })?;
        let name = clean(&req.name);
        let email = clean(&req.email);
        let mut st = self.daemon.shares.lock();
        if st.revocations.revoked.shares.contains(&req.share_id) {
            return Err(refused_link());
        }
        let share = st.share_mut(&req.share_id).ok_or_else(refused_link)?;
        // An invitation's secret first (good once), then the link's.
        let invited = share.participants.iter().position(|p| match &p.via {
            Via::Invite { secret, .. } => secret.matches(&req.secret),
            _ => false,
        });
        // Who the certificate will name; nothing changes until it is issued.
        let who = match invited {
            Some(i) => {
                let p = &share.participants[i];
                if p.removed {
                    return Err(Status::permission_denied(
                        "the owner withdrew this invitation",
                    ));
                }
                if matches!(p.via, Via::Invite { used: true, .. }) {
                    let id = p.id.clone();
                    share.audit_repeat(
                        &id,
                        "refused",
                        "a used invitation was presented again".to_owned(),
                    );
                    return Err(Status::permission_denied(
                        "this invitation has already been used: an invitation link works once — \
                         ask the owner for a new one",
                    ));
                }
                let mut display = if name.is_empty() {
                    p.name.clone()
                } else {
                    name
                };
                if display.is_empty() {
                    display = p.email.split('@').next().unwrap_or("guest").to_owned();
                }
                CertIdentity {
                    share_id: share.id.clone(),
                    participant_id: p.id.clone(),
                    role: p.role,
                    name: display,
                    email: p.email.clone(),
                }
            }
            None => {
                let (Some(role), Some(hash)) = (share.link_role, &share.link_secret) else {
                    return Err(refused_link());
                };
                if !hash.matches(&req.secret) {
                    return Err(refused_link());
                }
                if share.active_participants() >= limits.max_participants {
                    share.audit_repeat("", "limit", format!("{name} refused: the share is full"));
                    return Err(Status::resource_exhausted(format!(
                        "this share already has {}, its limit",
                        crate::human::count(limits.max_participants as u64, "participant")
                    )));
                }
                CertIdentity {
                    share_id: share.id.clone(),
                    participant_id: share.next_participant_id(&Via::Link),
                    role,
                    name: if name.is_empty() {
                        "guest".to_owned()
                    } else {
                        name
                    },
                    email,
                }
            }
        };
        let issued = ca.issue_client(csr, &who, validity).map_err(|e| match e {
            CaError::BadEmail(_) => Status::invalid_argument(e.to_string()),
            e => Status::internal(format!("cannot issue a certificate: {e}")),
        })?;
        // Issued: now the participant exists (or their invitation is used).
        let p = match invited {
            Some(i) => &mut share.participants[i],
            None => share.add_participant(&who.name, &who.email, who.role, Via::Link),
        };
        debug_assert_eq!(p.id, who.participant_id);
        p.name = who.name.clone();
        if let Via::Invite { used, .. } = &mut p.via {
            *used = true;
        }
        p.serials.push(issued.serial.clone());
        let kind = match p.via {
            Via::Invite { .. } => "invitation",
            Via::Link => "link",
            Via::Team => "team",
        };
        let detail = format!("enrolled with the {kind} as {} ({})", p.role.name(), p.name);
        let pid = p.id.clone();
        share.audit(&pid, "join", detail);
        tracing::info!(share = %who.share_id, participant = %who.participant_id, role = who.role.name(), "enrolled a collaborator");
        let whoami = pb::WhoamiResponse {
            share_id: share.id.clone(),
            session_id: share.session.0.clone(),
            session_name: share.session_name.clone(),
            participant_id: who.participant_id.clone(),
            name: who.name.clone(),
            email: who.email.clone(),
            role: who.role.to_pb() as i32,
            owner_name: String::new(),
        };
        drop(st);
        self.daemon.shares.bump();
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
        {
            let mut st = self.daemon.shares.lock();
            let share = st.share_mut(&c.share_id).ok_or_else(|| {
                Status::permission_denied("the owner stopped sharing this session")
            })?;
            let p = share.participant_mut(&c.participant_id).ok_or_else(|| {
                Status::permission_denied("you are not a participant of this share")
            })?;
            if p.role == Role::Editor {
                return Err(Status::failed_precondition("you already have control"));
            }
            // Asking again changes nothing anyone sees: counted, not re-sent.
            let again = std::mem::replace(&mut p.control_requested, true);
            share.audit_repeat(&c.participant_id, "control-requested", String::new());
            if again {
                return Ok(Response::new(pb::RequestControlResponse {}));
            }
        }
        self.daemon.shares.bump();
        Ok(Response::new(pb::RequestControlResponse {}))
    }
}
