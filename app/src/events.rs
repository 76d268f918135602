//! The events that travel by name: what a room's viewers receive over
//! server-sent events, and what the order stream carries. Each is a closed
//! enum with one payload type per kind, shared by the producers and consumers
//! on the server and by the browser, so a name or a field is spelled once.
//!
//! The wire shape is the contract's: the kind is the SSE `event:` name (and the
//! stream entry's `type`), the payload is the JSON `data:`.

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::{
    ids::{LiveId, SkuId, SpuId, UserId},
    model::{OrderItem, StreamStatus, UnknownName},
};

/// Declares a closed event enum over payload structs: its kind enum with the
/// names, and the encode/decode pair every producer and consumer shares.
macro_rules! event_enum {
    ($(#[$doc:meta])* $event:ident, $kind:ident { $($variant:ident($payload:ty) => $name:literal),+ $(,)? }) => {
        /// The names of [`
        #[doc = stringify!($event)]
        /// `]'s kinds.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $kind {
            $($variant),+
        }

        impl $kind {
            pub const ALL: &'static [$kind] = &[$($kind::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($kind::$variant => $name),+
                }
            }
        }

        impl std::str::FromStr for $kind {
            type Err = UnknownName;
            fn from_str(s: &str) -> Result<Self, UnknownName> {
                match s {
                    $($name => Ok($kind::$variant),)+
                    _ => Err(UnknownName { what: "event kind", name: s.chars().take(64).collect() }),
                }
            }
        }

        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq)]
        pub enum $event {
            $($variant($payload)),+
        }

        impl $event {
            pub fn kind(&self) -> $kind {
                match self {
                    $($event::$variant(_) => $kind::$variant),+
                }
            }

            /// The payload as JSON (the SSE `data:`, the stream entry's `payload`).
            pub fn payload_json(&self) -> String {
                let encoded = match self {
                    $($event::$variant(payload) => serde_json::to_string(payload)),+
                };
                // Plain structs of numbers and strings always serialize.
                encoded.unwrap_or_else(|_| "{}".to_owned())
            }

            /// Reads a payload of a known kind; an unknown kind or a payload
            /// off its shape is an error the caller must deal with.
            pub fn decode(kind: &str, payload: &str) -> Result<Self, DecodeError> {
                let kind: $kind = kind.parse().map_err(DecodeError::UnknownKind)?;
                Ok(match kind {
                    $($kind::$variant => $event::$variant(parse::<$payload>(payload)?)),+
                })
            }
        }
    };
}

/// Why an event could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A kind this build does not know (a newer process wrote it).
    #[error(transparent)]
    UnknownKind(UnknownName),
    #[error("payload off its shape: {0}")]
    Payload(String),
}

/// Reads one kind's payload alone, for a consumer that knows the kind and
/// needs only a few of them: the browser's room, which would otherwise carry
/// a decoder for every payload of [`RoomEvent`] in its WASM.
pub fn parse<T: DeserializeOwned>(payload: &str) -> Result<T, DecodeError> {
    crate::codec::read(payload).map_err(|e| DecodeError::Payload(e.to_string()))
}

/// A product was bound to the room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoodsBound {
    pub live_id: LiveId,
    pub spu_id: SpuId,
    pub position: i32,
    pub stock_snapshot: i64,
    pub tracking_code: String,
}

/// A product was unbound from the room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoodsUnbound {
    pub live_id: LiveId,
    pub spu_id: SpuId,
}

/// The room's goods in their new order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoodsReordered {
    pub live_id: LiveId,
    pub spu_ids: Vec<SpuId>,
}

/// The product being explained (`None`: none).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explaining {
    pub live_id: LiveId,
    pub spu_id: Option<SpuId>,
    /// The stream clock when the streamer pressed it (`None`: no stream):
    /// a viewer's room highlights the card when its player reaches it.
    #[serde(default)]
    pub stream_time_ms: Option<i64>,
}

/// A SKU's stock changed; `spu_stock` is the product's total, what a card shows.
/// `version` is the product's stock version (`spus.stock_version`), bumped in
/// the transaction that changed the stock: events may arrive out of order, and
/// a card never takes a count older than the one it shows. `0` is an event
/// written before versions existed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockChanged {
    pub spu_id: SpuId,
    pub sku_id: SkuId,
    pub stock: i64,
    pub spu_stock: i64,
    #[serde(default)]
    pub version: i64,
}

/// A SKU's flash-sale rule in the room changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleChanged {
    pub live_id: LiveId,
    pub sku_id: SkuId,
    pub starts_at_ms: Option<i64>,
    pub per_user_limit: Option<i64>,
}

/// The room's stream changed state (ended by its owner, for now).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomStatusChanged {
    pub live_id: LiveId,
    pub stream_status: StreamStatus,
    /// Where to play the room from now: the live playlist while streaming.
    #[serde(default)]
    pub playback_url: Option<String>,
    /// The recording, once the room has ended with one.
    #[serde(default)]
    pub replay_url: Option<String>,
    /// Zero of the stream clock (Unix ms), once the room has streamed.
    #[serde(default)]
    pub stream_epoch_ms: Option<i64>,
}

/// One item of an order placed in the room (the owner's stream only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderNotice {
    pub order_sn: String,
    pub sku_id: SkuId,
    pub quantity: i64,
    pub user_id: UserId,
    pub time_ms: i64,
}

/// An order of the room changed status after it was placed: paid, expired
/// unpaid, or cancelled by its buyer (the order stream and the owner's stream).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderStatusChanged {
    pub order_sn: String,
    pub live_id: LiveId,
    pub user_id: UserId,
    pub total_cents: i64,
    pub time_ms: i64,
    /// The trace id the order was placed with (the funnel's chain), if any.
    #[serde(default)]
    pub trace_id: Option<String>,
}

/// The viewer's `Last-Event-ID` is not in the room's stream any more (trimmed)
/// or never was: what it missed cannot be replayed, so it re-reads the room's
/// goods; the stream goes on from now. Told by the server, never published.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resync {}

event_enum!(
    /// What a room's viewers are told.
    RoomEvent, RoomEventKind {
        GoodsBound(GoodsBound) => "goods_bound",
        GoodsUnbound(GoodsUnbound) => "goods_unbound",
        GoodsReordered(GoodsReordered) => "goods_reordered",
        Explaining(Explaining) => "explaining",
        Stock(StockChanged) => "stock",
        Sale(SaleChanged) => "sale",
        RoomStatus(RoomStatusChanged) => "room_status",
        Order(OrderNotice) => "order",
        OrderPaid(OrderStatusChanged) => "order_paid",
        OrderExpired(OrderStatusChanged) => "order_expired",
        OrderCancelled(OrderStatusChanged) => "order_cancelled",
        Resync(Resync) => "resync",
    }
);

/// Who may receive a room event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    Everyone,
    /// The room's owner only.
    Owner,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Everyone => "all",
            Audience::Owner => "owner",
        }
    }

    /// Anything but `all` is the owner's: an unknown audience is never shown to everyone.
    pub fn parse(name: &str) -> Self {
        if name == "all" {
            Audience::Everyone
        } else {
            Audience::Owner
        }
    }
}

impl RoomEventKind {
    pub fn audience(self) -> Audience {
        match self {
            RoomEventKind::Order
            | RoomEventKind::OrderPaid
            | RoomEventKind::OrderExpired
            | RoomEventKind::OrderCancelled => Audience::Owner,
            _ => Audience::Everyone,
        }
    }
}

/// An order was committed (`OrderCreatedEvent` of the source design).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCreated {
    pub order_sn: String,
    pub live_id: LiveId,
    pub user_id: UserId,
    pub goods_items: Vec<OrderItem>,
    pub xid: String,
    pub total_cents: i64,
    pub time_ms: i64,
    pub trace_id: Option<String>,
}

event_enum!(
    /// What the order stream carries.
    OrderEvent, OrderEventKind {
        Created(OrderCreated) => "order_created",
        Paid(OrderStatusChanged) => "order_paid",
        Expired(OrderStatusChanged) => "order_expired",
        Cancelled(OrderStatusChanged) => "order_cancelled",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_its_own_name() {
        for kind in RoomEventKind::ALL {
            assert_eq!(kind.as_str().parse::<RoomEventKind>(), Ok(*kind));
        }
        for kind in OrderEventKind::ALL {
            assert_eq!(kind.as_str().parse::<OrderEventKind>(), Ok(*kind));
        }
    }

    #[test]
    fn an_event_survives_its_wire_form() {
        let event = RoomEvent::Stock(StockChanged {
            spu_id: SpuId::new(2).unwrap(),
            sku_id: SkuId::new(9).unwrap(),
            stock: 1,
            spu_stock: 3,
            version: 4,
        });
        let json = event.payload_json();
        assert_eq!(json, r#"{"spu_id":2,"sku_id":9,"stock":1,"spu_stock":3,"version":4}"#);
        assert_eq!(RoomEvent::decode(event.kind().as_str(), &json), Ok(event));
    }

    #[test]
    fn a_stock_event_written_before_versions_existed_reads_as_version_zero() {
        let old = r#"{"spu_id":2,"sku_id":9,"stock":1,"spu_stock":3}"#;
        assert!(matches!(RoomEvent::decode("stock", old), Ok(RoomEvent::Stock(StockChanged { version: 0, .. }))));
    }

    #[test]
    fn an_unknown_kind_or_a_payload_off_its_shape_is_an_error_not_a_default() {
        assert!(matches!(RoomEvent::decode("confetti", "{}"), Err(DecodeError::UnknownKind(_))));
        assert!(matches!(RoomEvent::decode("stock", r#"{"spu_id":"x"}"#), Err(DecodeError::Payload(_))));
    }

    #[test]
    fn only_order_notices_are_for_the_owner_alone() {
        for kind in RoomEventKind::ALL {
            let expected = if kind.as_str().starts_with("order") { Audience::Owner } else { Audience::Everyone };
            assert_eq!(kind.audience(), expected);
        }
        assert_eq!(Audience::parse("something-new"), Audience::Owner);
    }
}
