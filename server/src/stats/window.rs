//! The room's sliding window of recent orders (S6): a Redis sorted set,
//! `ZADD live:{id}:orders <ms> <order_sn>`, trimmed to the last hour, read as
//! "orders in the last 60 s" and "orders per second over the last minute".
//!
//! Redis keeps nothing on disk here, so the window is rebuilt from Postgres
//! (`live_order_stream`) whenever its "built" mark is missing; adding an order
//! that is already there changes nothing, so rebuilding is always safe.

use app::{ids::LiveId, live_center::WINDOW_SECONDS};
use chrono::{DateTime, Utc};
use redis::AsyncCommands;
use sqlx::PgPool;

use crate::{error::Result, startup::redis::Redis};

/// How long the set keeps an order: the dashboard reads the last 60 s; the
/// rest serves late readers and bounds the set.
const KEPT_MS: i64 = 3_600_000;
const WINDOW_MS: i64 = WINDOW_SECONDS as i64 * 1_000;

/// What the window shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowFigures {
    pub last_60s: i64,
    /// One count per second, oldest first.
    pub per_second: Vec<i64>,
}

/// Adds an order to the room's window and trims what fell out of it.
pub async fn add(redis: &Redis, live_id: LiveId, order_sn: &str, time_ms: i64) -> Result<()> {
    add_many(redis, &[(live_id, order_sn, time_ms)]).await
}

/// [`add`] for a burst of orders (of any rooms), in one round trip.
pub async fn add_many(redis: &Redis, orders: &[(LiveId, &str, i64)]) -> Result<()> {
    let now = Utc::now().timestamp_millis();
    let mut pipe = redis::pipe();
    for (live_id, order_sn, time_ms) in orders {
        pipe.zadd(redis.keys.room_orders(*live_id), *order_sn, *time_ms).ignore();
    }
    let mut rooms: Vec<LiveId> = orders.iter().map(|(live_id, _, _)| *live_id).collect();
    rooms.sort_unstable();
    rooms.dedup();
    for live_id in rooms {
        pipe.zrembyscore(redis.keys.room_orders(live_id), "-inf", now - KEPT_MS).ignore();
    }
    let mut conn = redis.conn.clone();
    pipe.query_async::<()>(&mut conn).await?;
    Ok(())
}

/// The window as of `now_ms`; rebuilt from Postgres first if Redis lost it.
pub async fn read(db: &PgPool, redis: &Redis, live_id: LiveId, now_ms: i64) -> Result<WindowFigures> {
    let mut conn = redis.conn.clone();
    let built: bool = conn.exists(redis.keys.room_orders_built(live_id)).await?;
    if !built {
        rebuild(db, redis, live_id).await?;
    }
    let scored: Vec<(String, i64)> =
        conn.zrangebyscore_withscores(redis.keys.room_orders(live_id), now_ms - WINDOW_MS + 1, now_ms).await?;
    Ok(bucket(scored.into_iter().map(|(_, ms)| ms), now_ms))
}

/// The same figures straight from Postgres (while Redis is unreachable).
pub async fn read_from_record(db: &PgPool, live_id: LiveId, now_ms: i64) -> Result<WindowFigures> {
    let times = recent_orders(db, live_id, WINDOW_MS).await?;
    Ok(bucket(times.into_iter().map(|(_, at)| at.timestamp_millis()), now_ms))
}

/// Puts the last hour of the room's orders back into the set, then marks it built.
async fn rebuild(db: &PgPool, redis: &Redis, live_id: LiveId) -> Result<()> {
    let orders = recent_orders(db, live_id, KEPT_MS).await?;
    let key = redis.keys.room_orders(live_id);
    let mut conn = redis.conn.clone();
    for chunk in orders.chunks(500) {
        let members: Vec<(i64, &str)> = chunk.iter().map(|(sn, at)| (at.timestamp_millis(), sn.as_str())).collect();
        let _: () = conn.zadd_multiple(&key, &members).await?;
    }
    let _: () = conn.set_ex(redis.keys.room_orders_built(live_id), 1, (KEPT_MS / 1_000) as u64).await?;
    tracing::info!(%live_id, orders = orders.len(), "rebuilt the room's order window from Postgres");
    Ok(())
}

/// The room's orders placed within the last `within_ms`, as the statistics saw them.
async fn recent_orders(db: &PgPool, live_id: LiveId, within_ms: i64) -> Result<Vec<(String, DateTime<Utc>)>> {
    let rows = sqlx::query_as(
        "SELECT DISTINCT order_sn, ordered_at FROM live_order_stream
          WHERE live_id = $1 AND ordered_at > now() - make_interval(secs => $2::DOUBLE PRECISION / 1000)",
    )
    .bind(live_id.get())
    .bind(within_ms)
    .fetch_all(db)
    .await?;
    Ok(rows)
}

/// Counts order times into one-second buckets ending at `now_ms`.
fn bucket(times: impl Iterator<Item = i64>, now_ms: i64) -> WindowFigures {
    let mut per_second = vec![0i64; WINDOW_SECONDS];
    let start = now_ms - WINDOW_MS;
    for ms in times {
        if ms > start && ms <= now_ms {
            let index = ((ms - start - 1) / 1_000) as usize;
            per_second[index.min(WINDOW_SECONDS - 1)] += 1;
        }
    }
    WindowFigures { last_60s: per_second.iter().sum(), per_second }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_fall_into_their_second_and_old_ones_fall_out() {
        let now = 1_000_000;
        let figures = bucket([now, now - 999, now - 1_000, now - 1_001, now - 59_999, now - 60_000].into_iter(), now);
        assert_eq!(figures.per_second.len(), 60);
        assert_eq!(figures.per_second[59], 2, "the last second is (now - 1 s, now]");
        assert_eq!(figures.per_second[58], 2, "now - 1000 ms and now - 1001 ms");
        assert_eq!(figures.per_second[0], 1, "59.999 s ago is still inside");
        assert_eq!(figures.last_60s, 5, "exactly 60 s ago is outside");
    }
}
