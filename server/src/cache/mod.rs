//! What viewers read, cached in Redis and rebuilt from Postgres: the room's
//! goods list ([`room`], written only by the [`rebuilder`] consumer group and
//! by rebuilds, versioned so an older read never wins), the goods detail
//! ([`goods`], level 1 of two; level 2 is HTTP caching), and the per-key
//! locks that make concurrent misses load once ([`single_flight`]).

mod goods;
mod rebuilder;
mod room;
mod single_flight;

pub use goods::{matches_if_none_match, GoodsCache};
pub use rebuilder::{RoomCacheBuilder, GROUP as ROOM_CACHE_GROUP};
pub use room::{CachedRoom, RoomCache};
