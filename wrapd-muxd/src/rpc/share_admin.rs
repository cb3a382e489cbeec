//! `ShareAdmin`: the owner starts, changes and stops shares (Unix socket only;
//! never served on the share port).

use std::sync::Arc;

use tonic::{Request, Response, Status};
use wrapd_proto::link::ShareLink;
use wrapd_proto::pb;
use wrapd_proto::pb::share_admin_server::ShareAdmin;

use super::status;
use crate::convert::new_session;
use crate::daemon::Daemon;
use crate::session::SessionHandle;
use crate::share::filter::Window;
use crate::share::presence::{secretless_links, share_info};
use crate::share::secret::{SecretHash, new_id, new_secret};
use crate::share::state::{Share, State, Via};
use crate::share::{Role, Shares};
use crate::term::{BlockId, RowIndex};

pub struct ShareAdminService {
    daemon: Arc<Daemon>,
}

impl ShareAdminService {
    pub fn server(daemon: Arc<Daemon>) -> pb::share_admin_server::ShareAdminServer<Self> {
        pb::share_admin_server::ShareAdminServer::new(ShareAdminService { daemon })
    }

    fn shares(&self) -> &Shares {
        &self.daemon.shares
    }

    /// The share `target` names: a share id, or a session (empty: the most
    /// recent one, or the only share).
    fn share_id(&self, target: &str) -> Result<String, Status> {
        let st = self.shares().lock();
        if let Some(s) = st.share(target) {
            return Ok(s.id.clone());
        }
        let session = match self.daemon.registry.resolve(target) {
            Ok(h) => h,
            Err(_) if target.is_empty() && st.shares.len() == 1 => {
                return Ok(st.shares[0].id.clone());
            }
            Err(e) => return Err(status(e)),
        };
        st.share_of_session(&session.id)
            .map(|s| s.id.clone())
            .ok_or_else(|| {
                Status::not_found(format!(
                    "session `{}` is not shared (start with `wrapd-attach share -t {}`)",
                    if target.is_empty() {
                        "(most recent)"
                    } else {
                        target
                    },
                    if target.is_empty() { "NAME" } else { target },
                ))
            })
    }

    /// Email the invitations a change just made (`[mail]`), noting the outcome
    /// on their links; the share's lock is not held meanwhile.
    async fn mail_invitations(&self, info: &mut pb::ShareInfo) {
        let config = self.daemon.config();
        crate::share::invite_mail::mail_new_invitations(&config, &self.daemon.owner(), info).await;
    }

    /// A link to `share` as joiners see it: with a secret, or a team link,
    /// or (listings) neither.
    fn url(
        &self,
        share_id: &str,
        host: &str,
        via: &str,
        secret: Option<&str>,
        team: bool,
    ) -> String {
        let ca = self
            .daemon
            .ca
            .get()
            .map(|c| c.fingerprint())
            .unwrap_or_default();
        let config = self.daemon.config();
        let addr = if !host.is_empty() {
            host.to_owned()
        } else if !config.share.link_host.is_empty() {
            config.share.link_host.clone()
        } else {
            self.daemon
                .share_addr()
                .unwrap_or(config.share.listen)
                .to_string()
        };
        ShareLink {
            addr,
            share_id: share_id.to_owned(),
            ca_sha256: ca,
            via: Some(via.to_owned()).filter(|v| !v.is_empty()),
            secret: secret.map(str::to_owned),
            team,
        }
        .to_string()
    }

    /// The web twin of a link with `secret`, while the web door listens.
    fn web_url(&self, share_id: &str, secret: &str) -> String {
        self.daemon
            .web_base()
            .map_or_else(String::new, |base| format!("{base}/s/{share_id}/#{secret}"))
    }

    fn info(&self, st: &State, share: &Share, links: Vec<pb::ShareLink>) -> pb::ShareInfo {
        share_info(
            st,
            share,
            &self.daemon.owner(),
            links,
            self.shares().limits().max_session_bytes,
            self.daemon.presence_clock(),
        )
    }

    /// Apply a change to a share; returns the links it made (with secrets).
    fn change(
        &self,
        share: &mut Share,
        change: Change,
        host: &str,
        via: &str,
        revoke: &mut Vec<String>,
    ) -> Result<Vec<pb::ShareLink>, Status> {
        let limits = self.shares().limits();
        let mut links = Vec::new();
        match change {
            Change::Invite(inv) => {
                let email = inv.email.trim().to_owned();
                if !email.contains('@') || email.contains(char::is_whitespace) {
                    return Err(Status::invalid_argument(format!(
                        "`{email}` is not an email address"
                    )));
                }
                let role = Role::from_pb(inv.role)?.unwrap_or(Role::Viewer);
                if share.active_participants() >= limits.max_participants {
                    return Err(Status::resource_exhausted(format!(
                        "this share already has {}, its limit (share.max_participants)",
                        wrapd_common::human::count(limits.max_participants as u64, "participant")
                    )));
                }
                let secret = new_secret();
                let p = share.add_participant(
                    "",
                    &email,
                    role,
                    Via::Invite {
                        secret: SecretHash::of(&secret),
                        used: false,
                    },
                );
                let id = p.id.clone();
                share.audit(&id, "invite", format!("{email} as {}", role.name()));
                links.push(pb::ShareLink {
                    kind: email,
                    role: role.to_pb() as i32,
                    url: self.url(&share.id, host, via, Some(&secret), false),
                    web_url: self.web_url(&share.id, &secret),
                    ..Default::default()
                });
            }
            Change::Link(role) => {
                share.link_role = role;
                share.link_secret = None;
                if let Some(role) = role {
                    let secret = new_secret();
                    share.link_secret = Some(SecretHash::of(&secret));
                    links.push(pb::ShareLink {
                        kind: "link".to_owned(),
                        role: role.to_pb() as i32,
                        url: self.url(&share.id, host, via, Some(&secret), false),
                        web_url: self.web_url(&share.id, &secret),
                        ..Default::default()
                    });
                }
                share.audit(
                    "",
                    "link",
                    role.map_or("off".to_owned(), |r| r.name().to_owned()),
                );
                revoke.extend(share.apply_route_role(false, role));
            }
            Change::Team(role) => {
                share.team_role = role;
                if let Some(role) = role {
                    links.push(pb::ShareLink {
                        kind: "team".to_owned(),
                        role: role.to_pb() as i32,
                        url: self.url(&share.id, host, via, None, true),
                        ..Default::default()
                    });
                }
                share.audit(
                    "",
                    "team",
                    role.map_or("off".to_owned(), |r| r.name().to_owned()),
                );
                revoke.extend(share.apply_route_role(true, role));
            }
            Change::Role(who, role) => {
                let p = share.find_mut(&who).map_err(Status::not_found)?;
                p.role = role;
                p.control_requested = false;
                let id = p.id.clone();
                let action = if role == Role::Editor {
                    "grant-edit"
                } else {
                    "revoke-edit"
                };
                share.audit(&id, action, String::new());
            }
            Change::Remove(who) => {
                let p = share.find_mut(&who).map_err(Status::not_found)?;
                p.removed = true;
                p.control_requested = false;
                p.selection = None;
                p.token.cancel();
                let (id, serials) = (p.id.clone(), p.serials.clone());
                let came_by_link = p.via == Via::Link;
                share.audit(
                    &id,
                    "remove",
                    format!("{} certificate(s) revoked", serials.len()),
                );
                revoke.extend(serials);
                // They still know the link: a new secret keeps them out.
                if let (true, Some(role)) = (came_by_link, share.link_role) {
                    let secret = new_secret();
                    share.link_secret = Some(SecretHash::of(&secret));
                    share.audit(
                        "",
                        "link",
                        "new secret: the old link no longer works".into(),
                    );
                    links.push(pb::ShareLink {
                        kind: "link".to_owned(),
                        role: role.to_pb() as i32,
                        url: self.url(&share.id, host, via, Some(&secret), false),
                        web_url: self.web_url(&share.id, &secret),
                        ..Default::default()
                    });
                }
            }
        }
        Ok(links)
    }

    /// Work out where a new share starts, from the session as it is now.
    async fn start_point(
        handle: &SessionHandle,
        start: Option<pb::ShareStart>,
    ) -> Result<Window, Status> {
        use pb::share_start::From;
        let from = start
            .and_then(|s| s.from)
            .unwrap_or(From::NoScrollback(true));
        // The session now (its screen only: the rows are not needed).
        let now = || async {
            handle
                .update(None, 0, RowIndex(u64::MAX))
                .await
                .map_err(status)
        };
        match from {
            From::Scrollback(_) => Ok(Window::default()),
            From::NoScrollback(_) => {
                let now = now().await?;
                // On the alternate screen (a full-screen program runs), the
                // primary screen beneath was not on display: it is history
                // too. Collaborators see it from where its content ends.
                let start_row = now.primary_end.unwrap_or(now.screen_start).0;
                let page = handle.list_blocks(None, 1000).await.map_err(status)?;
                let start_block = page
                    .blocks
                    .iter()
                    .find(|b| b.block.prompt.row.0 >= start_row)
                    .map(|b| b.block.id.0)
                    .unwrap_or_else(|| page.blocks.last().map_or(1, |b| b.block.id.0 + 1));
                Ok(Window {
                    start_row,
                    start_block,
                    start_seq: now.seq + 1,
                    start_bells: now.bell_count,
                })
            }
            From::BlockId(id) => {
                let found = handle
                    .block_output(Some(BlockId(id)), false)
                    .await
                    .map_err(status)?;
                let (info, _) = found.ok_or_else(|| {
                    Status::not_found(format!(
                        "the session has no block {id} (see `wrapd-attach blocks`)"
                    ))
                })?;
                let now = now().await?;
                Ok(Window {
                    start_row: info.block.prompt.row.0,
                    start_block: id,
                    start_seq: info.block.started_seq,
                    start_bells: now.bell_count,
                })
            }
        }
    }
}

enum Change {
    Invite(pb::Invite),
    Link(Option<Role>),
    Team(Option<Role>),
    Role(String, Role),
    Remove(String),
}

#[tonic::async_trait]
impl ShareAdmin for ShareAdminService {
    async fn start_share(
        &self,
        req: Request<pb::StartShareRequest>,
    ) -> Result<Response<pb::ShareInfo>, Status> {
        let req = req.into_inner();
        crate::share::port::ensure_open(&self.daemon).map_err(Status::failed_precondition)?;
        let link_role = Role::from_pb(req.link_role)?;
        let team_role = Role::from_pb(req.team_role)?;
        let handle = if req.new_session {
            let mut create = req.create_request.clone().unwrap_or_default();
            if create.name.is_empty() {
                create.name = req.target.clone();
            }
            self.daemon
                .create_session(new_session(create)?)
                .map_err(status)?
        } else {
            self.daemon.registry.resolve(&req.target).map_err(status)?
        };
        let info = handle.info().await.map_err(status)?;
        let existing = self
            .shares()
            .lock()
            .share_of_session(&handle.id)
            .map(|s| s.id.clone());
        let share_id = match existing {
            Some(id) => id,
            None => {
                let start = req
                    .start
                    .filter(|s| s.from.is_some())
                    .unwrap_or(pb::ShareStart {
                        from: Some(pb::share_start::From::NoScrollback(true)),
                    });
                let window = Self::start_point(&handle, req.start).await?;
                let (start_row, start_block) = (window.start_row, window.start_block);
                let mut share = Share::new(
                    new_id(),
                    handle.id.clone(),
                    info.name.clone(),
                    start_row,
                    start_block,
                );
                share.start = start;
                share.start_seq = window.start_seq;
                share.start_bells = window.start_bells;
                let id = share.id.clone();
                tracing::info!(share = %id, session = %handle.id, start_row, start_block, start_seq = window.start_seq, "share started");
                self.shares().insert(share);
                id
            }
        };
        let mut out = {
            let mut st = self.shares().lock();
            let share = st
                .share_mut(&share_id)
                .ok_or_else(|| Status::aborted("the share stopped meanwhile"))?;
            share.session_name = info.name;
            let mut links = Vec::new();
            let mut changes: Vec<Change> = req.invites.into_iter().map(Change::Invite).collect();
            if link_role.is_some() {
                changes.push(Change::Link(link_role));
            }
            if team_role.is_some() {
                changes.push(Change::Team(team_role));
            }
            for c in changes {
                links.extend(self.change(
                    share,
                    c,
                    &req.link_host,
                    &req.link_via,
                    &mut Vec::new(),
                )?);
            }
            let share = st.share(&share_id).expect("found above");
            self.info(&st, share, links)
        }; // The lock is released before mailing.
        self.shares().bump();
        self.mail_invitations(&mut out).await;
        Ok(Response::new(out))
    }

    async fn stop_share(
        &self,
        req: Request<pb::StopShareRequest>,
    ) -> Result<Response<pb::StopShareResponse>, Status> {
        let req = req.into_inner();
        let ids: Vec<String> = if req.all {
            self.shares()
                .lock()
                .shares
                .iter()
                .map(|s| s.id.clone())
                .collect()
        } else {
            vec![self.share_id(&req.target)?]
        };
        let share_ids = ids.iter().filter_map(|id| self.shares().stop(id)).collect();
        Ok(Response::new(pb::StopShareResponse { share_ids }))
    }

    async fn list_shares(
        &self,
        _: Request<pb::ListSharesRequest>,
    ) -> Result<Response<pb::ListSharesResponse>, Status> {
        let st = self.shares().lock();
        let shares = st
            .shares
            .iter()
            .map(|s| {
                let links = secretless_links(s, |team| self.url(&s.id, "", "", None, team));
                self.info(&st, s, links)
            })
            .collect();
        Ok(Response::new(pb::ListSharesResponse { shares }))
    }

    async fn update_access(
        &self,
        req: Request<pb::UpdateAccessRequest>,
    ) -> Result<Response<pb::ShareInfo>, Status> {
        use pb::update_access_request::Change as C;
        let req = req.into_inner();
        let id = self.share_id(&req.target)?;
        let change = match req.change {
            Some(C::Invite(inv)) => Change::Invite(inv),
            Some(C::GrantEdit(who)) => Change::Role(who, Role::Editor),
            Some(C::RevokeEdit(who)) => Change::Role(who, Role::Viewer),
            Some(C::Remove(who)) => Change::Remove(who),
            Some(C::LinkRole(r)) => Change::Link(Role::from_pb(r)?),
            Some(C::TeamRole(r)) => Change::Team(Role::from_pb(r)?),
            None => return Err(Status::invalid_argument("UpdateAccess needs a change")),
        };
        let mut out = {
            let mut st = self.shares().lock();
            let share = st
                .share_mut(&id)
                .ok_or_else(|| Status::not_found("the share stopped"))?;
            let mut revoke = Vec::new();
            let links = self.change(share, change, "", "", &mut revoke)?;
            for serial in revoke {
                st.revocations.revoke_serial(&serial);
            }
            let share = st.share(&id).expect("found above");
            self.info(&st, share, links)
        }; // The lock is released before mailing.
        self.shares().bump();
        self.mail_invitations(&mut out).await;
        Ok(Response::new(out))
    }

    async fn answer_control_request(
        &self,
        req: Request<pb::AnswerControlRequestRequest>,
    ) -> Result<Response<pb::ShareInfo>, Status> {
        let req = req.into_inner();
        let id = self.share_id(&req.target)?;
        let mut st = self.shares().lock();
        let share = st
            .share_mut(&id)
            .ok_or_else(|| Status::not_found("the share stopped"))?;
        let p = share
            .find_mut(&req.participant)
            .map_err(Status::not_found)?;
        if !p.control_requested {
            return Err(Status::failed_precondition(format!(
                "{} has not asked for control",
                if p.name.is_empty() { &p.email } else { &p.name }
            )));
        }
        p.control_requested = false;
        if req.grant {
            p.role = Role::Editor;
        }
        let pid = p.id.clone();
        let action = if req.grant {
            "grant-edit"
        } else {
            "control-denied"
        };
        share.audit(&pid, action, "answer to a request for control".to_owned());
        let share = st.share(&id).expect("found above");
        let out = self.info(&st, share, Vec::new());
        drop(st);
        self.shares().bump();
        Ok(Response::new(out))
    }

    async fn get_audit_log(
        &self,
        req: Request<pb::GetAuditLogRequest>,
    ) -> Result<Response<pb::GetAuditLogResponse>, Status> {
        let target = req.into_inner().target;
        let not_live = match self.share_id(&target) {
            Ok(id) => {
                let st = self.shares().lock();
                let entries = st.share(&id).map(|s| s.audit.entries()).unwrap_or_default();
                return Ok(Response::new(pb::GetAuditLogResponse { entries }));
            }
            Err(not_live) => not_live,
        };
        // A share that stopped (or ran before a restart): its file. With no
        // target, the most recent session's, if there is one.
        let target = if target.is_empty() {
            let recent = self.daemon.registry.resolve("");
            recent.map(|h| h.id.0.clone()).unwrap_or_default()
        } else {
            target
        };
        match self.shares().stored_audit(&target) {
            Some(Ok(entries)) => Ok(Response::new(pb::GetAuditLogResponse { entries })),
            Some(Err(e)) => Err(Status::data_loss(e)),
            None => Err(not_live),
        }
    }
}
