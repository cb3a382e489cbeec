//! The one place where a refusal of the core (a status: code and message)
//! becomes an HTTP response: the status code a browser understands, and the
//! message as it is, in JSON (`{"code": "PermissionDenied", "message": …}`);
//! or, for a WebSocket, a close code: 4000 + that HTTP status.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tonic::{Code, Status};

/// A refused request.
#[derive(Debug)]
pub struct Refused(pub Status);

impl From<Status> for Refused {
    fn from(st: Status) -> Refused {
        Refused(st)
    }
}

/// The HTTP status for a core refusal.
pub fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::InvalidArgument | Code::OutOfRange => StatusCode::BAD_REQUEST,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::FailedPrecondition | Code::AlreadyExists => StatusCode::CONFLICT,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::DeadlineExceeded => StatusCode::REQUEST_TIMEOUT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The WebSocket close code for a core refusal: 4401, 4403, 4429, 4408 (no
/// `start` in time: the page opens a new stream), ….
pub fn close_code(code: Code) -> u16 {
    4000 + http_status(code).as_u16()
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "code": format!("{:?}", self.0.code()),
            "message": self.0.message(),
        });
        (http_status(self.0.code()), Json(body)).into_response()
    }
}
