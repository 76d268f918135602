//! The Redis gate: an atomic reserve of every item's quantity (all or none),
//! recorded under the attempt's XID, so that sold-out answers never touch
//! Postgres. Postgres stays the record and has the last word; a reservation is
//! confirmed after the commit or released on any failure, exactly once, by XID.
//!
//! Keys of one room share its hash tag: `live:{id}:stock:{sku}` (what the gate
//! may still sell), `live:{id}:resv:{xid}` (one attempt's items) and
//! `live:{id}:resv` (a sorted set of open attempts by time, for the sweeper).
//! The key names are `startup::redis::Keyspace`'s.

use app::ids::{LiveId, SkuId};
use redis::AsyncCommands;

use crate::{
    error::Result,
    orders::{Quantity, Xid},
    startup::redis::Redis,
};

/// Returns `{1}` when reserved, `{0, i, left}` when item `i` lacks stock, `{-1, i}`
/// when item `i`'s counter is missing (Redis lost it: rebuild from Postgres).
const RESERVE: &str = r#"
local n = #KEYS - 2
for i = 1, n do
  local s = redis.call('GET', KEYS[i])
  if not s then return {-1, i} end
  if tonumber(s) < tonumber(ARGV[i]) then return {0, i, tonumber(s)} end
end
for i = 1, n do
  redis.call('DECRBY', KEYS[i], ARGV[i])
  redis.call('HSET', KEYS[n + 1], KEYS[i], ARGV[i])
end
redis.call('ZADD', KEYS[n + 2], ARGV[n + 1], ARGV[n + 2])
return {1}
"#;

/// Gives an attempt's reservation back, once (the record is deleted with it).
const RELEASE: &str = r#"
local items = redis.call('HGETALL', KEYS[1])
for i = 1, #items, 2 do
  if redis.call('EXISTS', items[i]) == 1 then
    redis.call('INCRBY', items[i], items[i + 1])
  end
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return #items / 2
"#;

/// Sets a SKU's counter to Postgres's stock less what the room's open
/// attempts hold, computed at the moment it writes, so no reserve, release or
/// confirm in between is lost or counted twice. ARGV: Postgres's stock, the
/// reservation key prefix, then the attempts known to have committed (their
/// stock is already out of Postgres's figure, so they hold nothing).
/// Returns `{had_counter, previous, now}`.
const CORRECT: &str = r#"
local committed = {}
for i = 3, #ARGV do committed[ARGV[i]] = true end
local held = 0
for _, xid in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  if not committed[xid] then
    local q = redis.call('HGET', ARGV[2] .. xid, KEYS[1])
    if q then held = held + tonumber(q) end
  end
end
local now = tonumber(ARGV[1]) - held
if now < 0 then now = 0 end
local previous = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], now)
if previous then return {1, tonumber(previous), now} end
return {0, 0, now}
"#;

/// Sets a counter only where it is missing.
const INIT: &str = r#"
for i = 1, #KEYS do redis.call('SET', KEYS[i], ARGV[i], 'NX') end
return 1
"#;

#[derive(Debug, PartialEq, Eq)]
pub enum Reserve {
    Reserved,
    /// This SKU had only what is given left.
    SoldOut(SkuId, i64),
    /// Redis has no counter for this SKU: initialise it from Postgres and retry.
    Missing(SkuId),
}

/// What a correction found and wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Correction {
    pub previous: Option<i64>,
    pub now: i64,
}

#[derive(Clone)]
pub struct Gate {
    redis: Redis,
    reserve: redis::Script,
    release: redis::Script,
    init: redis::Script,
    correct: redis::Script,
}

impl Gate {
    pub fn new(redis: Redis) -> Self {
        Self {
            redis,
            reserve: redis::Script::new(RESERVE),
            release: redis::Script::new(RELEASE),
            init: redis::Script::new(INIT),
            correct: redis::Script::new(CORRECT),
        }
    }

    fn resv_key(&self, live_id: LiveId, xid: &Xid) -> String {
        self.redis.keys.reservation(live_id, xid)
    }

    fn open_key(&self, live_id: LiveId) -> String {
        self.redis.keys.open_reservations(live_id)
    }

    fn stock_key(&self, live_id: LiveId, sku_id: SkuId) -> String {
        self.redis.keys.stock(live_id, sku_id)
    }

    pub async fn reserve(
        &self,
        live_id: LiveId,
        xid: &Xid,
        items: &[(SkuId, Quantity)],
        now_ms: i64,
    ) -> redis::RedisResult<Reserve> {
        let mut call = self.reserve.prepare_invoke();
        for (sku, qty) in items {
            call.key(self.stock_key(live_id, *sku)).arg(qty.get());
        }
        call.key(self.resv_key(live_id, xid)).key(self.open_key(live_id)).arg(now_ms).arg(xid.as_str());
        let mut conn = self.redis.conn.clone();
        let reply: Vec<i64> = call.invoke_async(&mut conn).await?;
        let item = |i: i64| items[(i - 1).max(0) as usize].0;
        Ok(match reply.as_slice() {
            [1] => Reserve::Reserved,
            [0, i, left] => Reserve::SoldOut(item(*i), *left),
            [-1, i] => Reserve::Missing(item(*i)),
            _ => return Err((redis::ErrorKind::Client, "unexpected reserve reply").into()),
        })
    }

    /// Whether the attempt `xid` holds a reservation (resolves a lost reply).
    pub async fn holds(&self, live_id: LiveId, xid: &Xid) -> redis::RedisResult<bool> {
        let mut conn = self.redis.conn.clone();
        conn.exists(self.resv_key(live_id, xid)).await
    }

    /// Gives the reservation back; a second call does nothing.
    pub async fn release(&self, live_id: LiveId, xid: &Xid) -> redis::RedisResult<i64> {
        let mut conn = self.redis.conn.clone();
        self.release
            .key(self.resv_key(live_id, xid))
            .key(self.open_key(live_id))
            .arg(xid.as_str())
            .invoke_async(&mut conn)
            .await
    }

    /// After the commit: the stock stays taken, the reservation records go
    /// (a group's in one round trip; the keys share the room's hash tag).
    pub async fn confirm(&self, live_id: LiveId, xids: &[&Xid]) -> redis::RedisResult<()> {
        if xids.is_empty() {
            return Ok(());
        }
        let records: Vec<String> = xids.iter().map(|xid| self.resv_key(live_id, xid)).collect();
        let members: Vec<&str> = xids.iter().map(|xid| xid.as_str()).collect();
        let mut conn = self.redis.conn.clone();
        redis::pipe()
            .atomic()
            .del(records)
            .ignore()
            .zrem(self.open_key(live_id), members)
            .ignore()
            .query_async(&mut conn)
            .await
    }

    /// Sets missing counters to the stock Postgres has.
    pub async fn init(&self, live_id: LiveId, stock: &[(SkuId, i64)]) -> redis::RedisResult<()> {
        let mut call = self.init.prepare_invoke();
        for (sku, s) in stock {
            call.key(self.stock_key(live_id, *sku)).arg(*s);
        }
        let mut conn = self.redis.conn.clone();
        call.invoke_async::<i64>(&mut conn).await.map(|_| ())
    }

    /// Corrects a counter from Postgres's `stock` (see [`CORRECT`]).
    pub async fn correct(&self, live_id: LiveId, sku_id: SkuId, stock: i64, committed: &[Xid]) -> Result<Correction> {
        let mut call = self.correct.prepare_invoke();
        call.key(self.stock_key(live_id, sku_id))
            .key(self.open_key(live_id))
            .arg(stock)
            .arg(self.redis.keys.reservation_prefix(live_id));
        for xid in committed {
            call.arg(xid.as_str());
        }
        let mut conn = self.redis.conn.clone();
        let reply: Vec<i64> = call.invoke_async(&mut conn).await?;
        match reply.as_slice() {
            [had, previous, now] => Ok(Correction { previous: (*had == 1).then_some(*previous), now: *now }),
            _ => Err(anyhow::anyhow!("unexpected correction reply {reply:?}").into()),
        }
    }

    pub async fn get(&self, live_id: LiveId, sku_id: SkuId) -> redis::RedisResult<Option<i64>> {
        let mut conn = self.redis.conn.clone();
        conn.get(self.stock_key(live_id, sku_id)).await
    }

    /// Attempts opened before `before_ms` (the sweeper's candidates), oldest first.
    pub async fn open_before(&self, live_id: LiveId, before_ms: i64) -> Result<Vec<Xid>> {
        let mut conn = self.redis.conn.clone();
        let xids: Vec<String> = conn.zrangebyscore(self.open_key(live_id), "-inf", before_ms).await?;
        xids.into_iter().map(|x| Xid::try_from(x).map_err(|e| anyhow::Error::from(e).into())).collect()
    }
}
