//! Server functions for rooms: thin adapters from the UI to the `Catalog` port.

use leptos::prelude::*;

use crate::{
    error::AppError,
    ids::LiveId,
    model::{RoomSummary, RoomView},
};

/// Rooms that are live now, newest first.
#[server(endpoint = "rooms/live")]
pub async fn get_live_rooms() -> Result<Vec<RoomSummary>, AppError> {
    crate::ports::services()?.catalog.live_rooms().await
}

/// A room with its bound goods in display order; `None` for an unknown room.
#[server(endpoint = "rooms/view")]
pub async fn get_room_view(live_id: LiveId) -> Result<Option<RoomView>, AppError> {
    crate::ports::services()?.catalog.room_view(live_id).await
}
