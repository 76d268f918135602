//! `GET /api/live/{live_id}/events`: the room's server-sent events, resumable
//! with `Last-Event-ID` (or `?last_event_id=`, since a page's first
//! `EventSource` cannot send headers). The room's owner also gets `order`.

use std::{collections::HashMap, convert::Infallible, time::Duration};

use app::ids::LiveId;
use axum::{
    extract::{Path, Query, State},
    http::HeaderMap,
    response::sse::{Event, KeepAlive, Sse},
};
use futures::Stream;
use tokio_stream::{wrappers::ReceiverStream, StreamExt};

use super::{
    error::{ApiError, ErrorBody},
    extract::{path_id, MaybeCaller},
};
use crate::startup::state::AppState;

fn valid_stream_id(id: &str) -> bool {
    let mut parts = id.splitn(2, '-');
    let ms = parts.next().unwrap_or_default();
    let seq = parts.next().unwrap_or("0");
    !ms.is_empty() && ms.len() <= 20 && seq.len() <= 20 && ms.bytes().chain(seq.bytes()).all(|b| b.is_ascii_digit())
}

#[utoipa::path(get, path = "/live/{live_id}/events", tag = "viewer", params(("live_id" = i64, Path, minimum = 1)),
    responses((status = 200, content_type = "text/event-stream", description = "goods_bound, goods_unbound, goods_reordered, explaining, stock; order for the owner"),
        (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn room_events(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path(live_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let live_id: LiveId = path_id(&live_id)?;
    let room = super::cached_room(&state, live_id).await?.room;
    let owner = caller.is_some_and(|u| u.user_id.get() == room.owner_id);
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .or(query.get("last_event_id").map(String::as_str))
        .filter(|id| valid_stream_id(id))
        .map(str::to_owned);
    let start = match resume {
        Some(id) => id,
        None => state.fanout.last_id(live_id).await?,
    };

    let told = state.fanout.follow(live_id, start, owner);
    let stream = ReceiverStream::new(told).map(|e| Ok(Event::default().id(e.id).event(e.kind).data(e.data)));
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_stream_ids_are_accepted_as_resume_points() {
        assert!(super::valid_stream_id("1700000000000-3"));
        assert!(super::valid_stream_id("0-0"));
        for bad in ["", "-", "abc", "1-2-3", "1700000000000-x", "$", ">"] {
            assert!(!super::valid_stream_id(bad), "{bad}");
        }
    }
}
