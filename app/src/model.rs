//! The data both sides share: what the server renders, serializes for hydration,
//! and answers on the JSON API. Money is integer cents; ids are positive integers.

use serde::{Deserialize, Serialize};

use crate::{
    deep_link::LinkConfig,
    ids::{LiveId, SkuId, SpuId, UserId},
};

/// A room in the list of live rooms on `/`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RoomSummary {
    pub live_id: LiveId,
    pub title: String,
    pub streamer: String,
    pub cover_url: Option<String>,
    pub goods_count: i64,
    /// Where the room's stream is.
    #[serde(default)]
    pub stream_status: StreamStatus,
    /// RFC 3339 UTC: when an upcoming room is due to go live.
    #[serde(default)]
    pub scheduled_at: Option<String>,
}

/// A live room as a viewer sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Room {
    pub live_id: LiveId,
    /// The streamer who owns the room.
    pub owner_id: i64,
    pub title: String,
    pub streamer: String,
    pub stream_url: Option<String>,
    pub status: RoomStatus,
    /// RFC 3339 UTC.
    pub created_at: String,
    /// Where the room's stream is (`room_status` events move it).
    #[serde(default)]
    pub stream_status: StreamStatus,
    /// RFC 3339 UTC: when the room is due to go live, if scheduled.
    #[serde(default)]
    pub scheduled_at: Option<String>,
    /// The HLS playlist while the stream is live or reconnecting.
    #[serde(default)]
    pub playback_url: Option<String>,
    /// The recorded stream as a VOD playlist, once there is one.
    #[serde(default)]
    pub replay_url: Option<String>,
    /// Zero of the stream clock (the first publish), Unix ms: `explaining`
    /// events and the replay's timeline count stream time from it.
    #[serde(default)]
    pub stream_epoch_ms: Option<i64>,
}

impl Room {
    /// What the stage plays: the live stream, else the replay, else the
    /// room's own video URL.
    pub fn video_url(&self) -> Option<&str> {
        self.playback_url.as_deref().or(self.replay_url.as_deref()).or(self.stream_url.as_deref())
    }
}

/// One floating goods card: a product bound to a room, in display order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GoodsCard {
    pub spu_id: SpuId,
    pub title: String,
    pub cover_url: Option<String>,
    /// The lowest price among the product's SKUs, in cents.
    pub price_cents: i64,
    /// Stock left across the product's SKUs right now.
    pub stock: i64,
    /// The product's stock version `stock` was read at: a `stock` event
    /// applies only if its version is newer.
    #[serde(default)]
    pub stock_version: i64,
    /// Stock when the product was bound to the room.
    pub stock_snapshot: i64,
    /// The product the streamer is explaining now.
    pub explaining: bool,
    /// Minted by the server per binding (the source's `live_tracking_code`).
    pub tracking_code: String,
    pub position: i32,
    /// The earliest flash-sale start among the product's SKUs in this room (Unix ms).
    #[serde(default)]
    pub sale_starts_at_ms: Option<i64>,
    /// The strictest per-user limit among the product's SKUs in this room.
    #[serde(default)]
    pub per_user_limit: Option<i64>,
}

/// `GET /api/live/goods-list?live_id=` answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GoodsList {
    pub live_id: LiveId,
    pub goods: Vec<GoodsCard>,
}

/// Everything the viewer room renders in its first HTML.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoomView {
    pub room: Room,
    pub goods: Vec<GoodsCard>,
    /// The room's event stream position the page was rendered at; the page's
    /// event stream resumes from it so nothing between render and connect is missed.
    pub last_event_id: String,
    /// The app's link identity, for the cards' `DeepLinkRouter`.
    pub links: LinkConfig,
}

/// What the web goods page renders.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GoodsPage {
    pub goods: SpuDetail,
    pub links: LinkConfig,
    /// The flash-sale rules of the product's SKUs in the room it was opened from.
    pub sales: Vec<SaleInfo>,
}

/// A SKU's flash-sale rule in one room, as shoppers see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleInfo {
    pub sku_id: SkuId,
    pub starts_at_ms: Option<i64>,
    pub per_user_limit: Option<i64>,
}

/// Names a closed enum by its contract spelling both ways: `as_str`, and
/// `TryFrom<String>` / `FromStr` that refuse anything else (rows and inputs
/// are parsed once, where they enter).
macro_rules! named_enum {
    ($(#[$doc:meta])* $ty:ident, $what:literal { $($variant:ident => $name:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $ty {
            $($variant),+
        }

        impl $ty {
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name),+
                }
            }
        }

        impl std::str::FromStr for $ty {
            type Err = UnknownName;
            fn from_str(s: &str) -> Result<Self, UnknownName> {
                match s {
                    $($name => Ok(Self::$variant),)+
                    _ => Err(UnknownName { what: $what, name: s.chars().take(32).collect() }),
                }
            }
        }

        impl TryFrom<String> for $ty {
            type Error = UnknownName;
            fn try_from(s: String) -> Result<Self, UnknownName> {
                s.parse()
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// A name outside a closed list (a role, a status, an event kind).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} \"{}\"", .name.escape_debug())]
pub struct UnknownName {
    pub what: &'static str,
    pub name: String,
}

named_enum!(
    /// What an account may do.
    Role, "role" { Viewer => "viewer", Streamer => "streamer" }
);

named_enum!(
    /// A room is `live` from creation until its owner ends it.
    RoomStatus, "room status" { Live => "live", Ended => "ended" }
);

named_enum!(
    /// Where a room's stream is, as viewers are told (`room_status`).
    StreamStatus, "stream status" { Offline => "offline", Live => "live", Reconnecting => "reconnecting", Ended => "ended" }
);

// `named_enum!` declares the enum, so its default variant is chosen here.
#[allow(clippy::derivable_impls)]
impl Default for StreamStatus {
    fn default() -> Self {
        Self::Offline
    }
}

named_enum!(
    /// An order starts `created` (unpaid); it becomes `paid` when the payment
    /// provider confirms, `cancelled` when its buyer cancels it unpaid, or
    /// `expired` when it is not paid in time. Only `created` ever changes.
    OrderStatus, "order status" { Created => "created", Paid => "paid", Expired => "expired", Cancelled => "cancelled" }
);

/// The signed-in user of a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SessionUser {
    pub user_id: UserId,
    pub username: String,
    pub role: Role,
}

/// `POST /api/auth/register` and `/login` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuthReply {
    pub user_id: UserId,
    pub username: String,
    pub role: Role,
    /// Bearer token for apps; browsers also get it as an HttpOnly cookie.
    pub token: String,
}

/// A SKU in a create-goods request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewSku {
    pub spec: String,
    pub price_cents: i64,
    pub stock: i64,
}

/// `POST /api/goods` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewGoods {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub cover_url: Option<String>,
    pub skus: Vec<NewSku>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SkuDetail {
    pub sku_id: SkuId,
    pub spec: String,
    pub price_cents: i64,
    pub stock: i64,
}

/// A product with its SKUs (`POST /api/goods`, `GET /api/goods/{spu_id}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SpuDetail {
    pub spu_id: SpuId,
    pub title: String,
    pub description: String,
    pub cover_url: Option<String>,
    pub skus: Vec<SkuDetail>,
}

/// A new stream key for a room (`POST /api/live/{live_id}/stream-key`):
/// shown once, the encoder's server and key fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StreamKey {
    pub stream_key: String,
    pub rtmp_url: String,
}

/// One "now explaining" change at its stream time (`spu_id` none: cleared).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TimelineEntry {
    pub spu_id: Option<SpuId>,
    pub stream_time_ms: i64,
}

/// A product bound to the room while it streamed, at its stream time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BoundEntry {
    pub spu_id: SpuId,
    pub stream_time_ms: i64,
}

/// A room's product timeline (`GET /api/live/{live_id}/timeline`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Timeline {
    pub live_id: LiveId,
    pub entries: Vec<TimelineEntry>,
    /// The room's goods that were bound during the stream, each with the
    /// stream time it was (goods bound before the stream are not listed).
    #[serde(default)]
    pub bound: Vec<BoundEntry>,
}

impl Timeline {
    /// The product being explained at `stream_time_ms`, by the last change before it.
    pub fn explaining_at(&self, stream_time_ms: i64) -> Option<SpuId> {
        self.entries.iter().take_while(|e| e.stream_time_ms <= stream_time_ms).last().and_then(|e| e.spu_id)
    }

    /// Whether the replay's tray had `spu_id` at `stream_time_ms`: goods bound
    /// during the stream appear from that moment on.
    pub fn on_tray_at(&self, spu_id: SpuId, stream_time_ms: i64) -> bool {
        self.bound.iter().find(|b| b.spu_id == spu_id).is_none_or(|b| b.stream_time_ms <= stream_time_ms)
    }

    /// Each product explained, once, with the first stream time it was.
    pub fn first_mentions(&self) -> Vec<(SpuId, i64)> {
        let mut seen: Vec<(SpuId, i64)> = Vec::new();
        for entry in &self.entries {
            if let Some(spu) = entry.spu_id.filter(|spu| !seen.iter().any(|(s, _)| s == spu)) {
                seen.push((spu, entry.stream_time_ms));
            }
        }
        seen
    }
}

/// One recorded segment of a replay, on the stream clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplaySegment {
    pub start_ms: i64,
    pub duration_ms: i64,
}

/// What a replay needs beside its playlist: the product timeline, and the
/// recorded segments in playlist order, to turn a position in the replay
/// into stream time and back (the replay skips the gaps of a dropped stream).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replay {
    pub timeline: Option<Timeline>,
    pub segments: Vec<ReplaySegment>,
}

impl Replay {
    /// The stream time (ms) at `position` seconds into the replay.
    pub fn stream_ms_at(&self, position: f64) -> Option<i64> {
        let mut offset = 0.0;
        for segment in &self.segments {
            let length = segment.duration_ms as f64 / 1000.0;
            if position < offset + length {
                return Some(segment.start_ms + ((position - offset).max(0.0) * 1000.0) as i64);
            }
            offset += length;
        }
        self.segments.last().map(|s| s.start_ms + s.duration_ms)
    }

    /// The position (seconds into the replay) showing stream time `stream_ms`,
    /// or the start of the first segment after it when it fell in a gap.
    pub fn position_of(&self, stream_ms: i64) -> Option<f64> {
        let mut offset = 0.0;
        for segment in &self.segments {
            if stream_ms < segment.start_ms + segment.duration_ms {
                return Some(offset + (stream_ms - segment.start_ms).max(0) as f64 / 1000.0);
            }
            offset += segment.duration_ms as f64 / 1000.0;
        }
        None
    }
}

/// `POST /api/live` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewRoom {
    pub title: String,
    #[serde(default)]
    pub stream_url: Option<String>,
    /// RFC 3339: when the room is due to go live (listed as upcoming until its stream starts).
    #[serde(default)]
    pub scheduled_at: Option<String>,
}

/// A product bound to a room (`POST /api/live/{live_id}/goods` answer).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Binding {
    pub live_id: LiveId,
    pub spu_id: SpuId,
    pub stock_snapshot: i64,
    pub tracking_code: String,
    pub position: i32,
}

/// Everything the console page of one room shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConsoleRoom {
    pub room: Room,
    pub bound: Vec<GoodsCard>,
    /// The streamer's goods, to bind from.
    pub catalog: Vec<SpuDetail>,
}

/// One line of an order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrderItem {
    pub sku_id: SkuId,
    pub quantity: i64,
}

/// `POST /api/orders` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrderRequest {
    pub live_id: LiveId,
    pub goods_items: Vec<OrderItem>,
    #[serde(default)]
    pub tracking_code: Option<String>,
    #[serde(default)]
    pub trace_id: Option<String>,
    /// `live` (the default) or `replay`: which the tap that led here was on.
    #[serde(default)]
    pub source_type: crate::deep_link::SourceType,
}

/// A placed order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrderReceipt {
    pub order_sn: String,
    pub xid: String,
    pub status: OrderStatus,
    pub live_id: LiveId,
    pub user_id: UserId,
    pub goods_items: Vec<OrderItem>,
    pub total_cents: i64,
    /// RFC 3339 UTC.
    pub created_at: String,
    /// RFC 3339 UTC: while `created`, when the unpaid order expires.
    #[serde(default)]
    pub pay_by: Option<String>,
    /// RFC 3339 UTC, once paid.
    #[serde(default)]
    pub paid_at: Option<String>,
}

/// `POST /api/orders/{order_sn}/pay` answer: the payment was handed to the
/// provider, which confirms asynchronously (the order becomes `paid` then).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PaymentStarted {
    pub order_sn: String,
    /// The order's status now (`created` until the provider confirms).
    pub status: OrderStatus,
    pub payment_id: String,
    /// The provider's name (`sandbox`: a local simulation, no real money).
    pub provider: String,
}

/// `place` answers the order and whether this call created it (`false`: the
/// same idempotency key and body again, answered with the order it made).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlacedOrder {
    pub receipt: OrderReceipt,
    pub created: bool,
}

/// A stream entry no consumer could handle, kept in Postgres (`parked_events`):
/// a kind this build does not know, a payload off its shape, or a handler that
/// kept failing. Replayed onto its stream by "retry all".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeadLetter {
    pub id: i64,
    pub live_id: Option<LiveId>,
    pub event_type: Option<String>,
    /// `unknown_kind`, `malformed_payload`, `malformed_entry` or `handler_failed`.
    pub reason: String,
    pub detail: String,
    /// RFC 3339 UTC.
    pub parked_at: String,
    /// RFC 3339 UTC, once replayed.
    pub replayed_at: Option<String>,
}

/// A row of `live_order_sync_fail_log`, as the console lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SyncFailure {
    pub id: i64,
    pub order_sn: String,
    pub live_id: LiveId,
    /// RFC 3339 UTC.
    pub fail_time: String,
    pub retry_count: i32,
    pub last_error_code: String,
    /// RFC 3339 UTC.
    pub next_retry_at: String,
    /// `pending`, `delivered` or `dead`.
    pub state: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spu(id: i64) -> Option<SpuId> {
        Some(SpuId::new(id).unwrap())
    }

    fn timeline(entries: &[(Option<SpuId>, i64)]) -> Timeline {
        Timeline {
            live_id: LiveId::new(1).unwrap(),
            entries: entries.iter().map(|&(spu_id, stream_time_ms)| TimelineEntry { spu_id, stream_time_ms }).collect(),
            bound: Vec::new(),
        }
    }

    #[test]
    fn goods_bound_during_the_stream_join_the_replays_tray_at_that_moment() {
        let mut t = timeline(&[]);
        t.bound = vec![BoundEntry { spu_id: spu(3).unwrap(), stream_time_ms: 6_000 }];
        assert!(t.on_tray_at(spu(1).unwrap(), 0), "bound before the stream: there all along");
        assert!(!t.on_tray_at(spu(3).unwrap(), 5_999));
        assert!(t.on_tray_at(spu(3).unwrap(), 6_000));
    }

    #[test]
    fn the_timeline_says_what_was_explained_at_each_moment_and_where_each_product_first_was() {
        let t = timeline(&[(spu(1), 2_000), (None, 5_000), (spu(2), 7_000), (spu(1), 9_000)]);
        assert_eq!(t.explaining_at(1_999), None);
        assert_eq!(t.explaining_at(2_000), spu(1));
        assert_eq!(t.explaining_at(6_000), None, "the mark was cleared");
        assert_eq!(t.explaining_at(8_000), spu(2));
        assert_eq!(t.explaining_at(60_000), spu(1));
        assert_eq!(t.first_mentions(), vec![(spu(1).unwrap(), 2_000), (spu(2).unwrap(), 7_000)]);
    }

    #[test]
    fn a_replay_skips_the_gap_of_a_dropped_stream_both_ways() {
        // 0–4 s streamed, dropped, 10–14 s streamed again: the replay is 8 s long.
        let replay = Replay {
            timeline: None,
            segments: vec![
                ReplaySegment { start_ms: 0, duration_ms: 2_000 },
                ReplaySegment { start_ms: 2_000, duration_ms: 2_000 },
                ReplaySegment { start_ms: 10_000, duration_ms: 2_000 },
                ReplaySegment { start_ms: 12_000, duration_ms: 2_000 },
            ],
        };
        assert_eq!(replay.stream_ms_at(1.5), Some(1_500));
        assert_eq!(replay.stream_ms_at(4.5), Some(10_500));
        assert_eq!(replay.position_of(10_500), Some(4.5));
        assert_eq!(replay.position_of(6_000), Some(4.0), "a time in the gap lands where the stream came back");
        assert_eq!(replay.position_of(14_000), None, "after the end");
        assert_eq!(replay.stream_ms_at(99.0), Some(14_000));
    }
}
