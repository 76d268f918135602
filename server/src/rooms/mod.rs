//! Live rooms: the record of rooms ([`room`]) and of the goods cards they show
//! ([`cards`]), binding goods to a room and changing what it shows
//! ([`bindings`]), and the owner check every change starts with
//! ([`ownership`]). Viewers read rooms through the cache, not from here.

mod bindings;
mod cards;
mod ownership;
mod room;

pub use bindings::{bind, explain, reorder, unbind};
pub use cards::goods_cards;
pub use ownership::{check_owner, lock_owned_room};
pub use room::{
    active_ids, all_ids, create, end, find_with_version, live_rooms, owned_by, sales, upcoming_rooms, Sales,
};
