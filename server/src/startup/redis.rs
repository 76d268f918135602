//! Redis: one connection manager and the names of every key, stream and group.
//! No other module spells a key.
//!
//! Every name starts with `REDIS_KEY_PREFIX`, and keys of one room share the
//! hash tag `{live_id}` so a room's keys land on one Redis Cluster slot; the
//! sign-in lockout's keys of one account share the tag `{account}` likewise.

use std::{net::IpAddr, time::Duration};

use anyhow::Context;
use app::ids::{LiveId, SkuId, SpuId, UserId};
use redis::aio::ConnectionManager;

use crate::{events::Stream, orders::Xid};

/// Builds every Redis name from the configured prefix.
#[derive(Clone, Debug)]
pub struct Keyspace {
    prefix: String,
}

impl Keyspace {
    pub fn new(prefix: impl Into<String>) -> Self {
        Self { prefix: prefix.into() }
    }

    /// The cached goods list of a room (a hash: `v` version, `data` JSON).
    pub fn room_goods(&self, live_id: LiveId) -> String {
        format!("{}live:{{{}}}:goods", self.prefix, live_id)
    }

    /// The common prefix of a room's keys (`live:{id}`).
    fn room_prefix(&self, live_id: LiveId) -> String {
        format!("{}live:{{{}}}", self.prefix, live_id)
    }

    /// What the flash-sale gate may still sell of a SKU in a room.
    pub fn stock(&self, live_id: LiveId, sku_id: SkuId) -> String {
        format!("{}:stock:{sku_id}", self.room_prefix(live_id))
    }

    /// One order attempt's reserved items (a hash: stock key → quantity).
    pub fn reservation(&self, live_id: LiveId, xid: &Xid) -> String {
        format!("{}{xid}", self.reservation_prefix(live_id))
    }

    /// What every reservation key of a room starts with (scripts append the XID).
    pub fn reservation_prefix(&self, live_id: LiveId) -> String {
        format!("{}:resv:", self.room_prefix(live_id))
    }

    /// The claim an order attempt holds on its (user, idempotency key) while in flight.
    pub fn order_claim(&self, user: UserId, key_digest: &str) -> String {
        format!("{}order-claim:{{{user}}}:{key_digest}", self.prefix)
    }

    /// The room's open attempts by start time (a sorted set, for the sweeper).
    pub fn open_reservations(&self, live_id: LiveId) -> String {
        format!("{}:resv", self.room_prefix(live_id))
    }

    /// The room's orders of the last hour by time (the dashboard's sliding window).
    pub fn room_orders(&self, live_id: LiveId) -> String {
        format!("{}:orders", self.room_prefix(live_id))
    }

    /// Set while the room's order window holds everything Postgres has of the
    /// last hour; missing (Redis lost it) means: rebuild the window first.
    pub fn room_orders_built(&self, live_id: LiveId) -> String {
        format!("{}:orders:built", self.room_prefix(live_id))
    }

    /// The room's fan-out stream, read by every viewer's event stream.
    pub fn room_events(&self, live_id: LiveId) -> String {
        format!("{}live:{{{}}}:events", self.prefix, live_id)
    }

    /// The events recently fanned out to the room (a sorted set of
    /// `{type}:{event_id}`, kept to the last few hundred), so a redelivery is
    /// not told twice.
    pub fn room_events_seen(&self, live_id: LiveId) -> String {
        format!("{}:events:seen", self.room_prefix(live_id))
    }

    /// The name this process's fan-out reader gives its Redis connection
    /// (`CLIENT SETNAME`), so operators can count and find the readers. A
    /// client name cannot hold spaces or control characters.
    pub fn fanout_reader_name(&self) -> String {
        format!("{}fanout-reader", self.prefix).chars().map(|c| if c.is_ascii_graphic() { c } else { '_' }).collect()
    }

    /// A product's detail JSON (level 1 of the goods detail cache).
    pub fn goods(&self, spu_id: SpuId) -> String {
        format!("{}goods:{{{}}}", self.prefix, spu_id)
    }

    /// A product's cache generation: every invalidation increments it, and a
    /// load writes only if it is unchanged since before it read Postgres.
    /// Same hash tag as [`goods`](Self::goods), so one script may touch both.
    pub fn goods_generation(&self, spu_id: SpuId) -> String {
        format!("{}:gen", self.goods(spu_id))
    }

    /// The stream the outbox relay publishes to.
    pub fn stream(&self, stream: Stream) -> String {
        format!("{}stream:{}", self.prefix, stream.as_str())
    }

    /// A consumer group's name.
    pub fn group(&self, name: &str) -> String {
        format!("{}{}", self.prefix, name)
    }

    /// A fixed-window rate-limit counter.
    pub fn rate_limit(&self, scope: &str, subject: &str, window: u64) -> String {
        format!("{}rl:{}:{}:{}", self.prefix, scope, subject, window)
    }

    /// The common prefix of one account's sign-in lockout keys; `account` is
    /// the lowercased username signed in to, whether or not it exists.
    fn sign_in_prefix(&self, account: &str) -> String {
        format!("{}signin:{{{}}}", self.prefix, account)
    }

    /// Failed sign-ins to an account from one address since its last lock.
    pub fn sign_in_failures(&self, account: &str, addr: IpAddr) -> String {
        format!("{}:fails:{addr}", self.sign_in_prefix(account))
    }

    /// Present while an address is locked out of an account.
    pub fn sign_in_lock(&self, account: &str, addr: IpAddr) -> String {
        format!("{}:lock:{addr}", self.sign_in_prefix(account))
    }

    /// How often an address was locked out of an account lately (each lock doubles).
    pub fn sign_in_strikes(&self, account: &str, addr: IpAddr) -> String {
        format!("{}:strikes:{addr}", self.sign_in_prefix(account))
    }

    /// Failed sign-ins to an account from addresses it has not signed in from lately.
    pub fn sign_in_strangers(&self, account: &str) -> String {
        format!("{}:strangers", self.sign_in_prefix(account))
    }

    /// Sign-in attempts to an account from one address still being checked
    /// (a sorted set: attempt → start time).
    pub fn sign_in_undecided(&self, account: &str, addr: IpAddr) -> String {
        format!("{}:undecided:{addr}", self.sign_in_prefix(account))
    }

    /// Attempts still being checked from addresses the account has not signed in from lately.
    pub fn sign_in_strangers_undecided(&self, account: &str) -> String {
        format!("{}:strangers:undecided", self.sign_in_prefix(account))
    }
}

/// A shared, self-reconnecting Redis connection and the key names.
#[derive(Clone)]
pub struct Redis {
    pub client: redis::Client,
    pub conn: ConnectionManager,
    pub keys: Keyspace,
}

impl Redis {
    /// Connects, retrying for a while so the server may start before Redis does.
    pub async fn connect(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url).context("REDIS_URL is not a Redis URL")?;
        // Fail fast while Redis is away: every caller has a path without it
        // (Postgres decides orders, limits let calls through, events wait in
        // the outbox), so a command must not spend seconds reconnecting.
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(300))
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(Duration::from_secs(2)));
        let mut last_err = None;
        for _ in 0..20 {
            match client.get_connection_manager_with_config(config.clone()).await {
                Ok(conn) => return Ok(Self { client, conn, keys: Keyspace::new(prefix) }),
                Err(err) => {
                    tracing::warn!(error = %err, "Redis not reachable yet; retrying");
                    last_err = Some(err);
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
        Err(last_err.expect("at least one attempt")).context("connecting to Redis")
    }

    /// A connection of its own for blocking reads (`XREAD BLOCK`): no response
    /// timeout, since the reply comes only when the block ends, and nothing
    /// else queues behind it.
    pub async fn blocking_connection(&self) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
        let config = redis::AsyncConnectionConfig::new().set_response_timeout(None);
        self.client.get_multiplexed_async_connection_with_config(&config).await
    }

    /// `PING` within `timeout`.
    pub async fn ping(&self, timeout: Duration) -> bool {
        let mut conn = self.conn.clone();
        matches!(tokio::time::timeout(timeout, redis::cmd("PING").query_async::<String>(&mut conn)).await, Ok(Ok(_)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_keys_carry_the_prefix_and_a_hash_tag() {
        let keys = Keyspace::new("t1:");
        let room = LiveId::new(456).unwrap();
        assert_eq!(keys.room_goods(room), "t1:live:{456}:goods");
        assert_eq!(keys.stock(room, SkuId::new(7).unwrap()), "t1:live:{456}:stock:7");
        assert_eq!(keys.room_orders(room), "t1:live:{456}:orders");
        assert_eq!(keys.room_events_seen(room), "t1:live:{456}:events:seen");
        let spu = SpuId::new(9).unwrap();
        assert_eq!(keys.goods(spu), "t1:goods:{9}");
        assert_eq!(keys.goods_generation(spu), "t1:goods:{9}:gen");
    }

    #[test]
    fn the_fanout_readers_client_name_has_no_spaces() {
        assert_eq!(Keyspace::new("a b:\n").fanout_reader_name(), "a_b:_fanout-reader");
        assert_eq!(Keyspace::new("lct:1:").fanout_reader_name(), "lct:1:fanout-reader");
    }

    #[test]
    fn an_accounts_sign_in_keys_share_its_hash_tag() {
        let keys = Keyspace::new("t1:");
        let addr: IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(keys.sign_in_lock("alice", addr), "t1:signin:{alice}:lock:2001:db8::1");
        assert_eq!(keys.sign_in_strangers("alice"), "t1:signin:{alice}:strangers");
    }
}
