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
    extract::{ConnectInfo, FromRequest, Path, Request, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;
use subtle::ConstantTimeEq;

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

/// A call from the ingest, its form read: the hook secret matched (`?secret=`),
/// or, with none set, the call came from this machine. 403 otherwise.
pub struct IngestCall(Fields);

impl IngestCall {
    fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    /// The stream name as a room (`None`: not a room id).
    fn stream(&self) -> Option<StreamKeyName> {
        self.get("name").and_then(StreamKeyName::parse)
    }
}

impl FromRequest<AppState> for IngestCall {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let query = fields(request.uri().query().unwrap_or_default().as_bytes());
        let local = request.extensions().get::<ConnectInfo<SocketAddr>>().is_some_and(|c| c.0.ip().is_loopback());
        let allowed = match &state.video.hook_secret {
            Some(secret) => {
                query.get("secret").is_some_and(|given| bool::from(given.as_bytes().ct_eq(secret.as_bytes())))
            }
            None => local,
        };
        if !allowed {
            return Err(ApiError::new(ErrorCode::Forbidden, "not the ingest server"));
        }
        let body = Bytes::from_request(request, state).await.unwrap_or_default();
        Ok(Self(fields(&body)))
    }
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

#[utoipa::path(post, path = "/rtmp/on-publish", tag = "video",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "nginx-rtmp's call: name, key, ..."),
    responses((status = 200, body = HookReply), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn on_publish(State(state): State<AppState>, call: IngestCall) -> Result<Json<HookReply>, ApiError> {
    let refused = || ApiError::new(ErrorCode::Forbidden, "stream key refused");
    let name = call.stream().ok_or_else(refused)?;
    let secret = call.get("key").unwrap_or_default();
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
pub async fn on_publish_done(State(state): State<AppState>, call: IngestCall) -> Result<Json<HookReply>, ApiError> {
    let Some(name) = call.stream() else { return Ok(Json(HookReply { result: "noted" })) };
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
pub async fn on_update(State(state): State<AppState>, call: IngestCall) -> Result<Json<HookReply>, ApiError> {
    if call.get("call") == Some("update_publish") {
        if let Some(name) = call.stream() {
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
