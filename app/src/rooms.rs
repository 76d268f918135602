//! Server functions for rooms: thin adapters from the UI to the `Catalog` port.

use leptos::prelude::*;

use crate::{
    error::AppError,
    ids::LiveId,
    model::{Replay, RoomSummary, RoomView},
};

/// Rooms that are live now, newest first.
#[server(endpoint = "rooms/live")]
pub async fn get_live_rooms() -> Result<Vec<RoomSummary>, AppError> {
    crate::ports::services()?.catalog.live_rooms().await
}

/// Rooms scheduled to go live that have not started, soonest first.
#[server(endpoint = "rooms/upcoming")]
pub async fn get_upcoming_rooms() -> Result<Vec<RoomSummary>, AppError> {
    crate::ports::services()?.catalog.upcoming_rooms().await
}

/// A room's product timeline and recorded segments; `None` for an unknown room.
#[server(endpoint = "rooms/replay")]
pub async fn get_replay(live_id: LiveId) -> Result<Option<Replay>, AppError> {
    crate::ports::services()?.catalog.replay(live_id).await
}

/// A room with its bound goods in display order; `None` for an unknown room.
#[server(endpoint = "rooms/view")]
pub async fn get_room_view(live_id: LiveId) -> Result<Option<RoomView>, AppError> {
    crate::ports::services()?.catalog.room_view(live_id).await
}
