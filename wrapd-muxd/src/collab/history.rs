//! Reading a session's history — rows by index, a search — for the owner or
//! a collaborator, whichever way they ask: the `ReadRows` and `SearchRows`
//! calls (`rpc`), or a read on the attach stream (`attach::reads`, how a
//! browser reads what it does not hold). A collaborator sees only the
//! share's rows, masked, and what they read counts against the share's byte
//! limits; the caller holds their turn to read (`reads`) while it runs.

use tonic::Status;
use wrapd_proto::pb;

use crate::convert;
use crate::daemon::Daemon;
use crate::error::status;
use crate::session::SessionHandle;
use crate::share::authz::Collab;
use crate::share::filter::Window;
use crate::term::{Match, RowIndex};

/// Rows [`req.start`, `req.end`) of the session's history and screen (for a
/// collaborator: of their window, masked).
pub async fn read_rows(
    daemon: &Daemon,
    handle: &SessionHandle,
    collab: Option<&Collab>,
    req: &pb::ReadRowsRequest,
) -> Result<pb::ReadRowsResponse, Status> {
    if req.end < req.start {
        return Err(Status::invalid_argument(format!(
            "invalid row range {}..{}",
            req.start, req.end
        )));
    }
    let window = collab.map(|c| c.window);
    let (start, end) = window.map_or((req.start, req.end), |w| w.row_range(req.start, req.end));
    let rows = handle
        .read_rows(RowIndex(start), RowIndex(end))
        .await
        .map_err(status)?;
    let mut response = pb::ReadRowsResponse {
        rows: rows
            .rows
            .into_iter()
            .map(|(i, l)| convert::row(i, l))
            .collect(),
        history_start: rows.history_start.0,
        screen_start: rows.screen_start.0,
    };
    if let Some(w) = window {
        w.rows(&mut response);
    }
    charge(daemon, collab, &response)?;
    Ok(response)
}

/// The next match of `req.query` from `req.from` (for a collaborator: in
/// their window, and not inside what is masked for them).
pub async fn search_rows(
    daemon: &Daemon,
    handle: &SessionHandle,
    collab: Option<&Collab>,
    req: pb::SearchRowsRequest,
) -> Result<pb::SearchRowsResponse, Status> {
    if req.query.is_empty() {
        return Err(Status::invalid_argument("the search text is empty"));
    }
    let window = collab.map(|c| c.window);
    let from = match window {
        None => Some(req.from),
        Some(w) => w.search_from(req.from, req.backwards),
    };
    let Some(from) = from else {
        return Ok(pb::SearchRowsResponse { found: None });
    };
    let found = match window {
        None => handle
            .search(req.query, RowIndex(from), req.backwards, req.case_sensitive)
            .await
            .map_err(status)?,
        Some(w) => collaborator_search(handle, w, &req, from).await?,
    };
    let response = pb::SearchRowsResponse {
        found: found.map(|m| pb::SearchMatch {
            row: m.row.0,
            col: u32::from(m.col),
            len: u32::from(m.len),
        }),
    };
    charge(daemon, collab, &response)?;
    Ok(response)
}

/// Count a response to a collaborator against their share's byte limits
/// (encoded size); over a limit, the same clear refusal as an attach update.
pub fn charge<M: prost::Message>(
    daemon: &Daemon,
    collab: Option<&Collab>,
    msg: &M,
) -> Result<(), Status> {
    match collab {
        None => Ok(()),
        Some(c) => daemon
            .shares
            .account(&c.share_id, &c.participant_id, msg.encoded_len() as u64),
    }
}

/// How many matches a collaborator's search passes over (inside secrets they
/// are not shown) before it reports none.
const MASKED_MATCHES: usize = 64;

/// A search for a collaborator: matches before the share's start are not
/// found, nor text that is masked for them (searching must not reveal a
/// secret one guess at a time).
async fn collaborator_search(
    handle: &SessionHandle,
    window: Window,
    req: &pb::SearchRowsRequest,
    mut from: u64,
) -> Result<Option<Match>, Status> {
    for _ in 0..MASKED_MATCHES {
        let found = handle
            .search(
                req.query.clone(),
                RowIndex(from),
                req.backwards,
                req.case_sensitive,
            )
            .await
            .map_err(status)?;
        let Some(m) = found.filter(|m| window.row_visible(m.row.0)) else {
            return Ok(None);
        };
        // The row with a little context, for secrets that wrap.
        let rows = handle
            .read_rows(RowIndex(m.row.0.saturating_sub(2)), RowIndex(m.row.0 + 3))
            .await
            .map_err(status)?;
        let mut rows: Vec<pb::Row> = rows
            .rows
            .into_iter()
            .map(|(i, l)| convert::row(i, l))
            .collect();
        crate::share::redact::redact_rows(&mut rows);
        let text: String = rows
            .iter()
            .filter(|r| r.index == m.row.0)
            .flat_map(|r| r.spans.iter().map(|s| s.text.as_str()))
            .collect();
        let visible = if req.case_sensitive {
            text.contains(&req.query)
        } else {
            text.to_lowercase().contains(&req.query.to_lowercase())
        };
        if visible {
            return Ok(Some(m));
        }
        from = if req.backwards { m.row.0 } else { m.row.0 + 1 };
    }
    Ok(None)
}
