//! Goods, streamer side: create a product with SKUs, set a SKU's stock.

use app::ports::Console as _;
use app::{
    ids::{SkuId, SpuId},
    model::{NewGoods, SkuDetail, SpuDetail},
};
use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::{Deserialize, Serialize};

use super::{
    error::{ApiError, ErrorBody},
    extract::{path_id, ApiJson, Caller},
};
use crate::{cache::matches_if_none_match, startup::state::AppState};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct StockBody {
    pub stock: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct StockReply {
    pub spu_id: SpuId,
    pub sku_id: SkuId,
    pub spec: String,
    pub price_cents: i64,
    pub stock: i64,
}

#[utoipa::path(post, path = "/goods", tag = "streamer", request_body = NewGoods,
    responses((status = 201, body = SpuDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "rate_limited: past the per-account quota of products")))]
#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    Caller(user): Caller,
    ApiJson(body): ApiJson<NewGoods>,
) -> Result<(StatusCode, Json<SpuDetail>), ApiError> {
    let spu = state.console.create_goods(&user, body).await?;
    Ok((StatusCode::CREATED, Json(spu)))
}

#[utoipa::path(put, path = "/goods/{spu_id}/skus/{sku_id}/stock", tag = "streamer",
    params(("spu_id" = i64, Path, minimum = 1), ("sku_id" = i64, Path, minimum = 1)), request_body = StockBody,
    responses((status = 200, body = StockReply), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn set_stock(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path((spu_id, sku_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<StockBody>,
) -> Result<Json<StockReply>, ApiError> {
    let (spu_id, sku_id) = (path_id(&spu_id)?, path_id(&sku_id)?);
    let SkuDetail { sku_id, spec, price_cents, stock } =
        state.console.set_stock(&user, spu_id, sku_id, body.stock).await?;
    Ok(Json(StockReply { spu_id, sku_id, spec, price_cents, stock }))
}

/// Shared proxies keep the product 5 s and may serve it stale for 30 s while
/// revalidating; browsers revalidate every time (a 304 is cheap).
pub const GOODS_CACHE_CONTROL: &str = "public, max-age=0, s-maxage=5, stale-while-revalidate=30";

#[utoipa::path(get, path = "/goods/{spu_id}", tag = "viewer", params(("spu_id" = i64, Path, minimum = 1)),
    responses((status = 200, body = SpuDetail, description = "With ETag and Cache-Control"),
        (status = 304, description = "If-None-Match matched"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn detail(
    State(state): State<AppState>,
    Path(spu_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let spu_id: SpuId = path_id(&spu_id)?;
    let goods = state.goods_cache.get(spu_id).await?.ok_or_else(|| ApiError::not_found("no such goods"))?;
    let revalidated = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| matches_if_none_match(v, &goods.etag));
    let caching = [(header::ETAG, goods.etag.clone()), (header::CACHE_CONTROL, GOODS_CACHE_CONTROL.to_owned())];
    if revalidated {
        return Ok((StatusCode::NOT_MODIFIED, caching).into_response());
    }
    Ok((StatusCode::OK, caching, [(header::CONTENT_TYPE, "application/json".to_owned())], goods.json).into_response())
}
