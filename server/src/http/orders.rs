//! `POST /api/orders`, `GET /api/orders` and `/api/orders/{order_sn}`, paying
//! and cancelling an unpaid order, and the flash-sale rule of a SKU in a room.

use std::time::Instant;

use app::{
    error::AppError,
    ids::{LiveId, SkuId},
    model::{OrderReceipt, OrderRequest, PaymentStarted},
    ports::{Console as _, Ordering as _},
};
use axum::{
    body::Body,
    extract::{Path, Request, State},
    http::{header, HeaderMap, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    Json,
};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use tracing::Instrument;

use super::{
    error::{ApiError, ErrorBody},
    extract::{path_id, ApiJson, Caller},
    session::bearer_token,
    MAX_BODY,
};
use crate::{orders::SaleRule, startup::state::AppState};

/// The crowd that hears "sold out", answered before the router: an order
/// with a bearer token, a JSON body and an `Idempotency-Key`, for a SKU the
/// gate flagged sold out a moment ago, from a signed-in buyer whose key was
/// never used, gets its `409 sold_out` here, at the cost of the session
/// cache and one Redis `EXISTS`, and none of the other layers' work (no
/// span; the request is counted in the metrics as the router would).
/// Everything else goes on to [`place`] unchanged, which answers the same
/// way for the same request: a cookie session (the CSRF guard's business),
/// a body or key the full path refuses, an unknown token.
pub async fn refuse_sold_out(state: &AppState, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let headers = request.headers();
    let small_json = headers.get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"))
        && headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
            .is_some_and(|len| len <= MAX_BODY);
    let Some(token) = bearer_token(headers).filter(|_| small_json).map(str::to_owned) else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return ApiError::bad_request("the body could not be read").into_response();
    };
    if let Ok(order) = serde_json::from_slice::<OrderRequest>(&bytes) {
        // Asked only for a flagged SKU: another order's session is looked up once, by the full path.
        let user = async { state.accounts.user(&token).await.ok().flatten().map(|user| user.user_id) };
        let key = parts.headers.get("idempotency-key").and_then(|v| v.to_str().ok());
        if state.orders.refused_at_once(user, key, order).await {
            let response = ApiError::from(AppError::SoldOut).into_response();
            super::metrics::record(&state.metrics, "POST", "/api/orders", response.status(), started);
            return response;
        }
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

#[utoipa::path(post, path = "/orders", tag = "orders", request_body = OrderRequest,
    params(("Idempotency-Key" = String, Header, description = "client-chosen, at most 64 characters")),
    responses((status = 201, body = OrderReceipt), (status = 200, body = OrderReceipt, description = "the same key and body again"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "sold_out, purchase_limit, sale_not_started or conflict"),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn place(
    State(state): State<AppState>,
    Caller(user): Caller,
    headers: HeaderMap,
    ApiJson(body): ApiJson<OrderRequest>,
) -> Result<(StatusCode, Json<OrderReceipt>), ApiError> {
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    // In a task of its own: a buyer who hangs up mid-order (a flash-sale
    // client's timeout) does not leave a hold in the gate for the sweeper;
    // the attempt commits or gives its stock back at once.
    let orders = state.orders.clone();
    let placing = async move { orders.place(&user, &key, body).await }.instrument(tracing::Span::current());
    let placed = tokio::spawn(placing).await.map_err(|_| app::error::AppError::Unavailable)??;
    let status = if placed.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(placed.receipt)))
}

#[utoipa::path(get, path = "/orders/{order_sn}", tag = "orders", params(("order_sn" = String, Path)),
    responses((status = 200, body = OrderReceipt), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn get(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(order_sn): Path<String>,
) -> Result<Json<OrderReceipt>, ApiError> {
    let receipt = state.orders.order(&user, &order_sn).await?;
    receipt.map(Json).ok_or_else(|| ApiError::not_found("no such order"))
}

#[utoipa::path(get, path = "/orders", tag = "orders",
    responses((status = 200, body = [OrderReceipt], description = "the caller's orders, newest first"),
        (status = 401, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn mine(State(state): State<AppState>, Caller(user): Caller) -> Result<Json<Vec<OrderReceipt>>, ApiError> {
    Ok(Json(state.orders.my_orders(&user).await?))
}

#[utoipa::path(post, path = "/orders/{order_sn}/pay", tag = "orders", params(("order_sn" = String, Path)),
    responses((status = 202, body = PaymentStarted, description = "handed to the provider, which confirms asynchronously"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "the order is no longer unpaid")))]
#[tracing::instrument(skip_all, fields(%order_sn))]
pub async fn pay(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(order_sn): Path<String>,
) -> Result<(StatusCode, Json<PaymentStarted>), ApiError> {
    Ok((StatusCode::ACCEPTED, Json(state.orders.pay(&user, &order_sn).await?)))
}

#[utoipa::path(post, path = "/orders/{order_sn}/cancel", tag = "orders", params(("order_sn" = String, Path)),
    responses((status = 200, body = OrderReceipt), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "the order is no longer unpaid")))]
#[tracing::instrument(skip_all, fields(%order_sn))]
pub async fn cancel(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(order_sn): Path<String>,
) -> Result<Json<OrderReceipt>, ApiError> {
    Ok(Json(state.orders.cancel(&user, &order_sn).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SaleBody {
    #[serde(default)]
    pub starts_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub per_user_limit: Option<i64>,
}

#[utoipa::path(put, path = "/live/{live_id}/skus/{sku_id}/sale", tag = "streamer",
    params(("live_id" = i64, Path, minimum = 1), ("sku_id" = i64, Path, minimum = 1)), request_body = SaleBody,
    responses((status = 200, body = SaleRule), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn set_sale(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path((live_id, sku_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<SaleBody>,
) -> Result<Json<SaleRule>, ApiError> {
    let (live_id, sku_id): (LiveId, SkuId) = (path_id(&live_id)?, path_id(&sku_id)?);
    let starts_at_ms = body.starts_at.map(|t| t.timestamp_millis());
    let set = state.console.set_sale(&user, live_id, sku_id, starts_at_ms, body.per_user_limit).await?;
    Ok(Json(SaleRule {
        live_id,
        sku_id,
        starts_at: set.starts_at_ms.and_then(DateTime::from_timestamp_millis),
        per_user_limit: set.per_user_limit.map(|l| l as i32),
    }))
}
