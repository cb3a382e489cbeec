//! What the share menu's choices do, through the daemon's `ShareAdmin`.
//!
//! The daemon keeps link secrets only as hashes: a link with its secret is
//! shown once, when made, and `ListShares` lists it without. So the links
//! made while attached are remembered here, and the menu can copy them whole;
//! for others it offers a new link (the old one then stops working).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{Result, anyhow};
use wrapd_proto::pb;
use wrapd_proto::pb::update_access_request::Change;

use super::Reply;
use super::menu::ShareOp;
use crate::connect::status_message;
use crate::share::admin;

/// Links made while attached: the link without its secret -> with it.
#[derive(Clone, Default)]
pub struct Links(Arc<Mutex<HashMap<String, String>>>);

impl Links {
    fn remember(&self, info: &pb::ShareInfo) {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        for l in info.links.iter().filter(|l| l.url.contains('#')) {
            map.insert(without_secret(&l.url).to_owned(), l.url.clone());
        }
    }

    /// Put back the secrets we know into listed links.
    fn complete(&self, info: &mut pb::ShareInfo) {
        let map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        for l in &mut info.links {
            if let Some(full) = map.get(without_secret(&l.url)) {
                l.url = full.clone();
            }
        }
    }
}

fn without_secret(url: &str) -> &str {
    url.split_once('#').map_or(url, |(u, _)| u)
}

/// The first link that can be given out (with its secret, or a team link).
fn first_link(info: &pb::ShareInfo) -> Option<String> {
    info.links
        .iter()
        .find(|l| l.url.contains('#') || l.kind == "team")
        .map(|l| l.url.clone())
}

pub async fn perform(socket: &Path, session: String, op: ShareOp, links: &Links) -> Result<Reply> {
    let mut a = admin::admin_client(socket).await?;
    let refused = |s: tonic::Status| anyhow!("{}", status_message(&s));
    Ok(match op {
        ShareOp::Load => {
            let shares = a
                .list_shares(pb::ListSharesRequest {})
                .await
                .map_err(refused)?;
            let mut info = shares
                .into_inner()
                .shares
                .into_iter()
                .find(|i| i.session_id == session);
            if let Some(info) = &mut info {
                links.complete(info);
            }
            Reply::ShareInfo(info)
        }
        ShareOp::Start(start) => {
            let req = pb::StartShareRequest {
                target: session,
                start: Some(start),
                link_role: pb::Role::Viewer as i32,
                ..Default::default()
            };
            let info = a.start_share(req).await.map_err(refused)?.into_inner();
            links.remember(&info);
            match first_link(&info) {
                Some(url) => Reply::Copy(url),
                None => Reply::Notice(
                    "shared (no link: invite people with `wrapd-attach access`)".to_owned(),
                ),
            }
        }
        ShareOp::Access(change) => {
            let new_link = matches!(change, Change::LinkRole(_));
            let req = pb::UpdateAccessRequest {
                target: session,
                change: Some(change),
            };
            let info = a.update_access(req).await.map_err(refused)?.into_inner();
            links.remember(&info);
            match first_link(&info) {
                Some(url) if new_link => Reply::Copy(url),
                _ => Reply::Notice("done".to_owned()),
            }
        }
        ShareOp::Answer { participant, grant } => {
            let req = pb::AnswerControlRequestRequest {
                target: session,
                participant,
                grant,
            };
            a.answer_control_request(req).await.map_err(refused)?;
            let done = if grant {
                "control granted"
            } else {
                "control denied"
            };
            Reply::Notice(done.to_owned())
        }
        ShareOp::Stop => {
            let req = pb::StopShareRequest {
                target: session,
                all: false,
            };
            a.stop_share(req).await.map_err(refused)?;
            Reply::Notice("stopped sharing".to_owned())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_made_here_get_their_secret_back_in_listings() {
        let links = Links::default();
        let link = |url: &str| pb::ShareLink {
            kind: "link".into(),
            role: pb::Role::Viewer as i32,
            url: url.into(),
            ..Default::default()
        };
        links.remember(&pb::ShareInfo {
            links: vec![link("wrapd://h:1/s/a?ca=sha256:x#secret")],
            ..Default::default()
        });
        let mut listed = pb::ShareInfo {
            links: vec![
                link("wrapd://h:1/s/a?ca=sha256:x"),
                link("wrapd://h:1/s/b?ca=sha256:x"),
            ],
            ..Default::default()
        };
        links.complete(&mut listed);
        assert_eq!(listed.links[0].url, "wrapd://h:1/s/a?ca=sha256:x#secret");
        assert_eq!(listed.links[1].url, "wrapd://h:1/s/b?ca=sha256:x");
        assert_eq!(
            first_link(&listed).as_deref(),
            Some("wrapd://h:1/s/a?ca=sha256:x#secret")
        );
    }
}
