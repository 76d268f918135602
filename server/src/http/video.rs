//! Live video over HTTP: a room's new stream key (owner only), the calls
//! nginx's RTMP module makes about each stream (`on_publish`,
//! `on_publish_done`, `on_update`), the replay's VOD playlist and the
//! product timeline.
//!
//! nginx's calls are form posts (`name` is the stream name, the room id;
//! `key` the secret of the stream key). They are taken only with the hook
//! secret (`?secret=`) when `LIVE_RTMP_HOOK_SECRET` is set, and otherwise
//! only from this machine. nginx treats any non-2xx as a refusal and, for
//! `on_update`, drops the stream, so recording failures are logged, not
//! returned.

use std::{collections::HashMap, net::SocketAddr};

use app::{ids::LiveId, model::StreamKey, model::Timeline, ports::Console as _};
use axum::{
    body::Bytes,
    extract::{ConnectInfo, Path, RawQuery, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;

use super::{
    error::{ApiError, ErrorBody, ErrorCode},
    extract::{path_id, Caller},
};
use crate::{
    startup::state::AppState,
    video::{self, Publish, StreamKeyName},
};

type Fields = HashMap<String, String>;

/// A form (body or query) as nginx-rtmp sends it; anything else reads as empty fields.
fn fields(raw: &[u8]) -> Fields {
    form_urlencoded::parse(raw).into_owned().collect()
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct HookReply {
    /// `accepted`, `refused` or `noted`.
    pub result: &'static str,
}

#[utoipa::path(post, path = "/live/{live_id}/stream-key", tag = "streamer", params(("live_id" = i64, Path, minimum = 1)),
    responses((status = 201, body = StreamKey), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn stream_key(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(live_id): Path<String>,
) -> Result<(StatusCode, Json<StreamKey>), ApiError> {
    let live_id: LiveId = path_id(&live_id)?;
    Ok((StatusCode::CREATED, Json(state.console.stream_key(&user, live_id).await?)))
}

/// nginx may call: the hook secret matches, or (none set) the call is local.
fn from_ingest(state: &AppState, query: &Fields, peer: SocketAddr) -> Result<(), ApiError> {
    let allowed = match &state.video.hook_secret {
        Some(secret) => query.get("secret").is_some_and(|given| constant_time_eq(given.as_bytes(), secret.as_bytes())),
        None => peer.ip().is_loopback(),
    };
    allowed.then_some(()).ok_or_else(|| ApiError::new(ErrorCode::Forbidden, "not the ingest server"))
}

/// Compares without an early exit, so the time taken does not tell how much matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn stream_name(form: &Fields) -> Option<StreamKeyName> {
    form.get("name").and_then(|name| StreamKeyName::parse(name))
}

#[utoipa::path(post, path = "/rtmp/on-publish", tag = "video",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "nginx-rtmp's call: name, key, ..."),
    responses((status = 200, body = HookReply), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn on_publish(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Json<HookReply>, ApiError> {
    from_ingest(&state, &fields(query.unwrap_or_default().as_bytes()), peer)?;
    let form = fields(&body);
    let refused = || ApiError::new(ErrorCode::Forbidden, "stream key refused");
    let name = stream_name(&form).ok_or_else(refused)?;
    let secret = form.get("key").map(String::as_str).unwrap_or_default();
    match video::publish(&state.db, &state.video, name, secret).await? {
        Publish::Accepted => {
            state.relay.notify();
            tracing::info!(live_id = %name.0, "stream started");
            Ok(Json(HookReply { result: "accepted" }))
        }
        Publish::Refused => {
            tracing::warn!(live_id = %name.0, "stream refused: wrong, rotated or missing key, or the room ended");
            Err(refused())
        }
    }
}

#[utoipa::path(post, path = "/rtmp/on-publish-done", tag = "video",
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = HookReply), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn on_publish_done(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Json<HookReply>, ApiError> {
    from_ingest(&state, &fields(query.unwrap_or_default().as_bytes()), peer)?;
    let form = fields(&body);
    let Some(name) = stream_name(&form) else { return Ok(Json(HookReply { result: "noted" })) };
    record(&state, name.0).await;
    if video::publish_done(&state.db, &state.video, name).await? {
        state.relay.notify();
        tracing::info!(live_id = %name.0, "stream stopped; the room is reconnecting");
    }
    Ok(Json(HookReply { result: "noted" }))
}

#[utoipa::path(post, path = "/rtmp/on-update", tag = "video",
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = HookReply), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn on_update(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Json<HookReply>, ApiError> {
    from_ingest(&state, &fields(query.unwrap_or_default().as_bytes()), peer)?;
    let form = fields(&body);
    if form.get("call").map(String::as_str) == Some("update_publish") {
        if let Some(name) = stream_name(&form) {
            record(&state, name.0).await;
        }
    }
    Ok(Json(HookReply { result: "noted" }))
}

/// Records the segments in the room's live playlist; a failure is logged
/// (the next call covers the same minute).
async fn record(state: &AppState, live_id: LiveId) {
    if let Err(err) = video::record_segments(&state.db, &state.http_client, &state.video, live_id).await {
        tracing::warn!(error = %err, %live_id, "recording the stream's segments failed; the next update retries");
    }
}

#[utoipa::path(get, path = "/live/{live_id}/replay.m3u8", tag = "viewer", params(("live_id" = i64, Path, minimum = 1)),
    responses((status = 200, description = "VOD playlist", content_type = "application/vnd.apple.mpegurl"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn replay(State(state): State<AppState>, Path(live_id): Path<String>) -> Result<Response, ApiError> {
    let live_id: LiveId = path_id(&live_id)?;
    let playlist = video::replay_playlist(&state.db, &state.video, live_id)
        .await?
        .ok_or_else(|| ApiError::not_found("no recording of this room"))?;
    Ok((
        [(header::CONTENT_TYPE, "application/vnd.apple.mpegurl"), (header::CACHE_CONTROL, "public, max-age=5")],
        playlist,
    )
        .into_response())
}

#[utoipa::path(get, path = "/live/{live_id}/timeline", tag = "viewer", params(("live_id" = i64, Path, minimum = 1)),
    responses((status = 200, body = Timeline), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn timeline(State(state): State<AppState>, Path(live_id): Path<String>) -> Result<Json<Timeline>, ApiError> {
    let live_id: LiveId = path_id(&live_id)?;
    let timeline = video::explaining_timeline(&state.db, live_id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such live room"))?;
    Ok(Json(timeline))
}
