//! Events: every change leaves Postgres through the transactional outbox
//! ([`outbox`]), the relay publishes it to a Redis Stream ([`stream`]: the two
//! streams and the one encoding of their entries), and consumer groups act on
//! it: at least once, so every handler is idempotent. The payloads are the
//! closed enums of `app::events`; an entry of a kind this build does not know
//! is parked in Postgres, never dropped ([`parked`]). [`publish`] is the order
//! path's immediate channel; [`fanout`] tells viewers' rooms over server-sent
//! events, through one shared stream reader per process; [`backlog`] samples
//! how far behind the consumers and the retries are.

mod backlog;
mod consumer;
mod fanout;
mod outbox;
mod parked;
mod publish;
mod relay;
mod stream;

pub use backlog::BacklogSampler;
pub use consumer::{Delivery, GroupConsumer, Handler};
pub use fanout::{EntryId, Fanout, Resume};
pub use outbox::{enqueue, enqueue_many};
pub use parked::{list as dead_letters, replay as replay_dead_letters};
pub use publish::Publisher;
pub use relay::Relay;
pub use stream::Stream;
