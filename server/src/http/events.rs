//! `GET /api/live/{live_id}/events`: the room's server-sent events, resumable
//! with `Last-Event-ID` (or `?last_event_id=`, since a page's first
//! `EventSource` cannot send headers); one the room's stream cannot resume
//! from gets `resync` first. The room's owner also gets `order`. Open streams
//! are capped per process and per client address ([`super::event_slots`]).

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
    error::{ApiError, ErrorBody, ErrorCode},
    event_slots::Full,
    extract::{path_id, ClientAddress, MaybeCaller},
};
use crate::{
    events::{EntryId, Resume},
    startup::state::AppState,
};

/// Where the viewer resumes: the header (the browser's reconnects), else the
/// query (the page's first connection); empty means none.
fn resume_point(headers: &HeaderMap, query: &HashMap<String, String>) -> Resume {
    let given = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .or(query.get("last_event_id").map(String::as_str))
        .map(str::trim)
        .filter(|id| !id.is_empty());
    match given {
        None => Resume::Now,
        Some(id) => EntryId::parse(id).map_or(Resume::Unknown, Resume::After),
    }
}

#[utoipa::path(get, path = "/live/{live_id}/events", tag = "viewer", params(("live_id" = i64, Path, minimum = 1)),
    responses((status = 200, content_type = "text/event-stream", description = "goods_bound, goods_unbound, goods_reordered, explaining, stock, sale; order for the owner; resync when Last-Event-ID cannot be resumed from"),
        (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "too many open event streams in this process or from this address")))]
#[tracing::instrument(skip_all)]
pub async fn room_events(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    MaybeCaller(caller): MaybeCaller,
    Path(live_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let live_id: LiveId = path_id(&live_id)?;
    let slot = state.event_slots.take(address).map_err(|full| {
        let message = match full {
            Full::Process => "too many live event streams on this server; try again shortly",
            Full::Address => "too many live event streams from this address; try again shortly",
        };
        ApiError::new(ErrorCode::RateLimited, message)
    })?;
    let room = super::cached_room(&state, live_id).await?.room;
    let owner = caller.is_some_and(|u| u.user_id.get() == room.owner_id);
    let told = state.fanout.follow(live_id, resume_point(&headers, &query), owner).await?;
    // The slot lives as long as the response body: it is freed when the connection closes.
    let stream = ReceiverStream::new(told).map(move |e| {
        let _held = &slot;
        Ok(Event::default().id(e.id.to_string()).event(&e.kind).data(&e.data))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resume(header: Option<&str>, query: Option<&str>) -> Resume {
        let mut headers = HeaderMap::new();
        if let Some(id) = header {
            headers.insert("last-event-id", id.parse().unwrap());
        }
        let query = query.map(|id| ("last_event_id".to_owned(), id.to_owned())).into_iter().collect();
        resume_point(&headers, &query)
    }

    #[test]
    fn the_header_wins_over_the_query_and_a_malformed_id_is_unknown_not_ignored() {
        let id = |text| Resume::After(EntryId::parse(text).unwrap());
        assert_eq!(resume(None, None), Resume::Now);
        assert_eq!(resume(None, Some("")), Resume::Now);
        assert_eq!(resume(None, Some("5-1")), id("5-1"));
        assert_eq!(resume(Some("7-0"), Some("5-1")), id("7-0"));
        assert_eq!(resume(Some("$"), None), Resume::Unknown);
    }
}
