//! What the web door answers. Pages and assets are the same for everyone;
//! everything under `/s/SHARE/api/` is a collaborator's, and asks the core:
//! enrollment is `share::enroll` (as a native join), every other call is
//! checked by `share::authz` with the credential standing in for a
//! certificate. Every response carries the headers of [`security_headers`].
//!
//! - `GET /s/SHARE/`: the page (the secret stays in the URL fragment).
//! - `POST /s/SHARE/api/link` `{secret}`: what joining with that secret asks
//!   of the joiner (a name? an email?), so that the page asks nothing the
//!   link fixes; nothing else, and to a wrong secret only enrollment's
//!   refusal (rate-limited alike).
//! - `POST /s/SHARE/api/enroll` `{secret, name, email}`: a credential, as an
//!   `HttpOnly`, `SameSite=Strict` cookie for `/s/SHARE/`; who it names.
//! - `GET /s/SHARE/api/whoami`: who the credential names now.
//! - `POST /s/SHARE/api/request-control`: ask the owner for control.
//! - `GET /s/SHARE/ws`: the attach stream, as a WebSocket (`stream`).
//! - `GET /assets/…`: the page's script and style.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Extension, Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::OwnedSemaphorePermit;
use tonic::Status;
use wrapd_proto::pb;

use super::assets;
use super::limits::{Counted, Held};
use super::rate::{REFILL, RateLimit};
use super::refusal::Refused;
use crate::daemon::Daemon;
use crate::share::authz::{self, Access, Caller, Collab, Rpc};
use crate::share::control;
use crate::share::credentials::{Credentials, NewCredential};
use crate::share::enroll::{self, Door, Issued, Joiner};
use crate::share::identity::PeerCert;
use crate::share::tls::PeerIdentity;

/// No inline script or style, nothing from another origin, no framing.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";
/// The cookie that carries a web credential.
pub const COOKIE: &str = "wrapd";
/// Largest request body (an enrollment is a few hundred bytes).
const MAX_BODY: usize = 16 * 1024;

/// The peer's address, put into each request by the connection.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

/// The connection's place among the door's connections (and its
/// address's), put into each request: a WebSocket keeps it for as long as it
/// lasts (the connection's own task ends at the upgrade).
#[derive(Clone)]
pub struct ConnectionSlot {
    _held: Arc<(OwnedSemaphorePermit, Option<Held<IpAddr>>)>,
}

impl ConnectionSlot {
    pub fn new(permit: OwnedSemaphorePermit, address: Option<Held<IpAddr>>) -> ConnectionSlot {
        ConnectionSlot {
            _held: Arc::new((permit, address)),
        }
    }
}

/// A participant: (share id, participant id).
pub type Participant = (String, String);

/// What the handlers share.
#[derive(Clone)]
pub struct Web {
    pub daemon: Arc<Daemon>,
    pub credentials: Arc<Credentials>,
    /// Enrollment attempts per address.
    pub enrollments: Arc<RateLimit>,
    /// Each participant's open WebSockets.
    pub sockets: Arc<Counted<Participant>>,
    /// Served over HTTPS: cookies are `Secure`.
    pub secure: bool,
}

pub fn router(web: Web) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/s/{share}", get(to_page))
        .route("/s/{share}/", get(share_page))
        .route("/s/{share}/api/link", post(link_asks))
        .route("/s/{share}/api/enroll", post(enroll_browser))
        .route("/s/{share}/api/whoami", get(whoami))
        .route("/s/{share}/api/request-control", post(request_control))
        .route("/s/{share}/ws", get(super::stream::stream))
        .route("/assets/{name}", get(asset))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(web)
}

/// Headers on every response: the CSP; nothing cached (pages and answers
/// are personal); no sniffing, no referrer, no framing.
async fn security_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    res
}

fn file(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

async fn page() -> Response {
    file("text/html; charset=utf-8", assets::PAGE)
}

async fn asset(Path(name): Path<String>) -> Result<Response, Refused> {
    let (kind, body) = assets::asset(&name).ok_or_else(nothing_here)?;
    Ok(file(kind, body))
}

async fn not_found() -> Refused {
    nothing_here()
}

fn nothing_here() -> Refused {
    Refused(Status::not_found(
        "nothing here: open the share link you were given (…/s/ID/#SECRET)",
    ))
}

/// A share id from a path: what the daemon makes (lower-case hex), nothing
/// else — it goes into a cookie's `Path`.
pub(super) fn share_id(raw: &str) -> Result<&str, Refused> {
    let ok = !raw.is_empty()
        && raw.len() <= 64
        && raw
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if ok {
        Ok(raw)
    } else {
        Err(Refused(Status::not_found(
            "no such share: a share's page is /s/ID/ with the ID of its link",
        )))
    }
}

async fn to_page(Path(share): Path<String>) -> Result<Redirect, Refused> {
    let share = share_id(&share)?;
    // Browsers keep the fragment (the secret) across the redirect.
    Ok(Redirect::permanent(&format!("/s/{share}/")))
}

async fn share_page(Path(share): Path<String>) -> Result<Response, Refused> {
    share_id(&share)?;
    Ok(page().await)
}

/// A request from a page of this server, or from no browser at all (no
/// `Origin`; only if not `required`). Cookies are `SameSite=Strict`, but a
/// WebSocket is not covered by CORS, and same-site is not same-origin. The
/// page's origin is `public` (`[share] web_url`, a proxy's address) if set,
/// else the request's `Host`.
pub fn same_origin(headers: &HeaderMap, required: bool, public: &str) -> Result<(), Refused> {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let Some(origin) = headers.get(header::ORIGIN) else {
        if required {
            return Err(Refused(Status::permission_denied(
                "this request has no Origin: only the share's page may make it",
            )));
        }
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or("");
    let same = if public.is_empty() {
        let origin_host = origin.split_once("://").map(|(_, h)| h);
        host.is_some() && origin_host == host
    } else {
        origin == public
    };
    if same {
        return Ok(());
    }
    Err(Refused(Status::permission_denied(format!(
        "a page of another site ({origin}) may not make this request: open the share's own page"
    ))))
}

/// The tokens in the request's `wrapd` cookies.
fn cookie_tokens(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().strip_prefix(COOKIE)?.strip_prefix('='))
}

impl Web {
    /// Who the request's credential for `share` says they are — a caller as
    /// a certificate would make one, for `share::authz` to check.
    pub(super) fn caller(&self, headers: &HeaderMap, share: &str) -> Result<Caller, Status> {
        let holder = self.credential(headers, share)?;
        Ok(Caller::Peer(Arc::new(PeerIdentity::Browser(holder))))
    }

    /// The credential the request carries for `share` (what it stands for),
    /// or why there is none.
    pub(super) fn credential(&self, headers: &HeaderMap, share: &str) -> Result<PeerCert, Status> {
        let held: Vec<_> = cookie_tokens(headers)
            .filter_map(|t| self.credentials.holder(t))
            .collect();
        if held.is_empty() {
            return Err(Status::unauthenticated(
                "this browser holds no credential for this share: open the share link you \
                 were given (it lets you join)",
            ));
        }
        let Some(holder) = held
            .into_iter()
            .find(|h| h.share.as_ref().is_some_and(|(s, _, _)| s == share))
        else {
            return Err(Status::permission_denied(
                "this browser's credential is for another share: open this share's link",
            ));
        };
        Ok(holder)
    }

    /// Is the request from the share's own page? (See [`same_origin`].)
    pub(super) fn same_origin(&self, headers: &HeaderMap, required: bool) -> Result<(), Refused> {
        same_origin(headers, required, &self.daemon.config().share.web_url)
    }

    /// Cookies are `Secure` when browsers reach us over HTTPS: served so, or
    /// through a proxy whose address (`web_url`) is `https`.
    fn secure_cookies(&self) -> bool {
        self.secure || self.daemon.config().share.web_url.starts_with("https://")
    }

    /// The collaborator whose credential the request carries for `share`, if
    /// `share::authz` lets them make call `rpc` — the certificate's checks.
    fn collab(&self, headers: &HeaderMap, share: &str, rpc: Rpc) -> Result<Collab, Refused> {
        let caller = self.caller(headers, share)?;
        match authz::authorize(&self.daemon.shares, &self.daemon.registry, &caller, rpc, "")? {
            Access::Collaborator(c) => Ok(c),
            Access::Owner => Err(Refused(Status::internal("a web caller is never the owner"))),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnrollBody {
    secret: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkBody {
    secret: String,
}

/// An attempt with a secret from `peer`, if its address may make one now.
fn attempt(web: &Web, peer: SocketAddr) -> Result<(), Refused> {
    if web.enrollments.allow(peer.ip()) {
        return Ok(());
    }
    Err(Refused(Status::resource_exhausted(format!(
        "too many attempts to join from your address: wait {} seconds and try again",
        REFILL.as_secs()
    ))))
}

/// What joining with a secret asks of the joiner (`share::enroll::asks`):
/// `{"invitation": bool, "role": "viewer"|"editor", "asks": ["name", …]}`.
/// A right secret's attempt is given back (it guessed nothing).
async fn link_asks(
    State(web): State<Web>,
    Path(share): Path<String>,
    Extension(Peer(peer)): Extension<Peer>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, Refused> {
    let share = share_id(&share)?;
    web.same_origin(&headers, false)?;
    attempt(&web, peer)?;
    // Sharing off (its revocation list unreadable): no link lets anyone in.
    web.daemon.ca.get().map_err(Status::unavailable)?;
    let body: LinkBody = serde_json::from_slice(&body).map_err(|e| {
        Status::invalid_argument(format!("a link's question is JSON {{\"secret\": …}}: {e}"))
    })?;
    let asks = enroll::asks(&web.daemon.shares, share, &body.secret)?;
    web.enrollments.refund(peer.ip());
    let fields = [("name", asks.name), ("email", asks.email)];
    let asked: Vec<&str> = fields.iter().filter(|f| f.1).map(|f| f.0).collect();
    Ok(Json(json!({
        "invitation": asks.invitation,
        "role": asks.role.name(),
        "asks": asked,
    })))
}

async fn enroll_browser(
    State(web): State<Web>,
    Path(share): Path<String>,
    Extension(Peer(peer)): Extension<Peer>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refused> {
    let share = share_id(&share)?;
    web.same_origin(&headers, false)?;
    attempt(&web, peer)?;
    let body: EnrollBody = serde_json::from_slice(&body).map_err(|e| {
        Status::invalid_argument(format!(
            "an enrollment is JSON {{\"secret\": …, \"name\": …, \"email\": …}}: {e}"
        ))
    })?;
    // Sharing off (its revocation list unreadable): no door enrolls anyone.
    web.daemon.ca.get().map_err(Status::unavailable)?;
    let validity = web.daemon.config().share.cert_validity.0;
    let joiner = Joiner {
        share_id: share.to_owned(),
        secret: body.secret,
        name: body.name,
        email: body.email,
    };
    let (credential, who) = enroll::enroll(&web.daemon.shares, &joiner, Door::Browser, |who| {
        let credential = NewCredential::mint(who, validity);
        Ok(Issued {
            serial: credential.holder.serial.clone(),
            credential,
        })
    })?;
    web.credentials.keep(&credential);
    let cookie = format!(
        "{COOKIE}={}; Path=/s/{share}/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        credential.token,
        validity.as_secs(),
        if web.secure_cookies() { "; Secure" } else { "" }
    );
    let cookie = HeaderValue::from_str(&cookie)
        .map_err(|_| Status::internal("cannot write the credential's cookie"))?;
    let owner = web.daemon.owner().name;
    let mut res = Json(who_json(&who, &owner, credential.holder.not_after)).into_response();
    res.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(res)
}

async fn whoami(
    State(web): State<Web>,
    Path(share): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, Refused> {
    let share = share_id(&share)?;
    let c = web.collab(&headers, share, Rpc::Whoami)?;
    let who = enroll::whoami(&web.daemon.shares, &c)?;
    Ok(Json(who_json(&who, &web.daemon.owner().name, c.expires)))
}

/// Ask the owner for control (`share::control`, as on the share port).
async fn request_control(
    State(web): State<Web>,
    Path(share): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, Refused> {
    let share = share_id(&share)?;
    web.same_origin(&headers, false)?;
    let c = web.collab(&headers, share, Rpc::RequestControl)?;
    control::request_control(&web.daemon.shares, &c)?;
    Ok(Json(json!({ "asked": true })))
}

/// Who a credential names, for the page.
fn who_json(w: &pb::WhoamiResponse, owner: &str, expires: SystemTime) -> Value {
    let role = match pb::Role::try_from(w.role) {
        Ok(pb::Role::Editor) => "editor",
        _ => "viewer",
    };
    let expires_at_ms = expires
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    json!({
        "share_id": w.share_id,
        "session_name": w.session_name,
        "participant_id": w.participant_id,
        "name": w.name,
        "email": w.email,
        "role": role,
        "owner_name": owner,
        "expires_at_ms": expires_at_ms,
    })
}
