//! `POST /api/payments/sandbox/callback`: the sandbox provider's signed
//! confirmation. Answers 200 whether it settled the payment now or an earlier
//! callback had (a provider retries until it hears 2xx); 403 for an unsigned,
//! forged or stale callback, which changes nothing.

use axum::{body::Bytes, extract::State, http::HeaderMap, Json};
use serde::Serialize;

use super::error::{ApiError, ErrorBody};
use crate::{
    payments::{Settled, SIGNATURE_HEADER},
    startup::state::AppState,
};

#[derive(Serialize, utoipa::ToSchema)]
pub struct CallbackReply {
    /// `paid`, `refunded` (the order had closed meanwhile) or `already_settled`.
    pub result: &'static str,
}

#[utoipa::path(post, path = "/payments/sandbox/callback", tag = "payments",
    params(("X-Sandbox-Signature" = String, Header, description = "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"t.body\">")),
    request_body(content = String, content_type = "application/json"),
    responses((status = 200, body = CallbackReply), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn sandbox_callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<CallbackReply>, ApiError> {
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    let result = match state.payments.callback(signature, &body).await? {
        Settled::Paid => "paid",
        Settled::Refunded => "refunded",
        Settled::Already => "already_settled",
    };
    Ok(Json(CallbackReply { result }))
}
