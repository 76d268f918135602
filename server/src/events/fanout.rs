//! Fan-out to viewers: each room has a Redis stream of the events its viewers
//! see (`live:{id}:events`, trimmed). Every server process runs one reader per
//! room that has viewers connected to it, and wakes those viewers' event
//! streams; each viewer then reads the entries after its own last id, so a
//! binding made through any process reaches viewers connected to any other,
//! and a reconnect with `Last-Event-ID` resumes where it left off.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use app::ids::LiveId;
use redis::{
    streams::{StreamRangeReply, StreamReadOptions, StreamReadReply},
    AsyncCommands,
};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::consumer::StreamEvent;
use crate::keyspace::Redis;

/// How many events a room's stream keeps for viewers who reconnect.
const ROOM_STREAM_LEN: usize = 1_000;

/// Appends the event unless this event id was already fanned out (redelivery).
const PUBLISH_ONCE: &str = r#"
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', 86400) then
  return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'type', ARGV[2], 'data', ARGV[3], 'audience', ARGV[4], 'event_id', ARGV[5])
end
return false
"#;

/// One event as a viewer receives it.
#[derive(Clone, Debug, PartialEq)]
pub struct RoomEvent {
    /// The position in the room's stream; the SSE `id:`.
    pub id: String,
    pub event_type: String,
    pub data: String,
    /// `all`, or `owner` for events only the room's owner may see.
    pub audience: String,
}

#[derive(Clone)]
pub struct Fanout {
    redis: Redis,
    publish: redis::Script,
    readers: Arc<Mutex<HashMap<LiveId, watch::Sender<String>>>>,
    stop: CancellationToken,
}

impl Fanout {
    pub fn new(redis: Redis, stop: CancellationToken) -> Self {
        Self { redis, publish: redis::Script::new(PUBLISH_ONCE), readers: Default::default(), stop }
    }

    /// Appends `event` to its room's stream, once per event id.
    pub async fn publish(&self, event: &StreamEvent) -> anyhow::Result<()> {
        let audience = if event.event_type == "order" { "owner" } else { "all" };
        let mut conn = self.redis.conn.clone();
        let _: Option<String> = self
            .publish
            .key(self.redis.keys.room_events(event.live_id))
            .key(self.redis.keys.room_event_seen(event.live_id, &event.event_type, event.event_id))
            .arg(ROOM_STREAM_LEN)
            .arg(&event.event_type)
            .arg(event.payload.to_string())
            .arg(audience)
            .arg(event.event_id)
            .invoke_async(&mut conn)
            .await?;
        Ok(())
    }

    /// The id of the room's newest event (`0-0` when it has none).
    pub async fn last_id(&self, live_id: LiveId) -> anyhow::Result<String> {
        let mut conn = self.redis.conn.clone();
        let newest: StreamRangeReply = conn.xrevrange_count(self.redis.keys.room_events(live_id), "+", "-", 1).await?;
        Ok(newest.ids.first().map(|e| e.id.clone()).unwrap_or_else(|| "0-0".to_owned()))
    }

    /// Events of the room after `after`, oldest first, at most `count`.
    pub async fn read_after(&self, live_id: LiveId, after: &str, count: usize) -> anyhow::Result<Vec<RoomEvent>> {
        let mut conn = self.redis.conn.clone();
        let range: StreamRangeReply =
            conn.xrange_count(self.redis.keys.room_events(live_id), format!("({after}"), "+", count).await?;
        Ok(range
            .ids
            .into_iter()
            .map(|e| RoomEvent {
                event_type: e.get("type").unwrap_or_default(),
                data: e.get("data").unwrap_or_else(|| "{}".to_owned()),
                audience: e.get("audience").unwrap_or_else(|| "all".to_owned()),
                id: e.id,
            })
            .collect())
    }

    /// A receiver that changes whenever the room's stream grows. Starts the
    /// room's reader in this process if it is not running.
    pub fn subscribe(&self, live_id: LiveId) -> watch::Receiver<String> {
        let mut readers = self.readers.lock().expect("lock poisoned");
        if let Some(tx) = readers.get(&live_id) {
            return tx.subscribe();
        }
        let (tx, rx) = watch::channel(String::new());
        readers.insert(live_id, tx.clone());
        tokio::spawn(self.clone().read_room(live_id, tx));
        rx
    }

    /// Blocks on the room's stream and wakes subscribers, until none is left.
    async fn read_room(self, live_id: LiveId, tx: watch::Sender<String>) {
        let key = self.redis.keys.room_events(live_id);
        let mut conn = None;
        let mut last = String::from("$");
        loop {
            if tx.receiver_count() == 0 || self.stop.is_cancelled() {
                let mut readers = self.readers.lock().expect("lock poisoned");
                if tx.receiver_count() == 0 || self.stop.is_cancelled() {
                    readers.remove(&live_id);
                    return;
                }
            }
            if conn.is_none() {
                match self.redis.blocking_connection().await {
                    Ok(c) => conn = Some(c),
                    Err(err) => {
                        tracing::warn!(error = %err, "fan-out reader cannot reach Redis; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                }
            }
            let c = conn.as_mut().expect("connected");
            let opts = StreamReadOptions::default().block(2_000).count(100);
            let (keys, ids) = ([key.as_str()], [last.as_str()]);
            let read: redis::RedisResult<Option<StreamReadReply>> = tokio::select! {
                r = tokio::time::timeout(Duration::from_secs(7), c.xread_options(&keys, &ids, &opts)) => {
                    r.unwrap_or_else(|_| Err((redis::ErrorKind::Io, "blocking read timed out").into()))
                }
                () = self.stop.cancelled() => continue,
            };
            match read {
                Ok(Some(reply)) => {
                    if let Some(newest) = reply.keys.iter().flat_map(|k| k.ids.last()).last() {
                        last = newest.id.clone();
                        tx.send_replace(last.clone());
                    }
                }
                Ok(None) => {}
                Err(err) => {
                    tracing::warn!(error = %err, "fan-out read failed; reconnecting");
                    conn = None;
                    // Viewers re-read their own position; wake them so nothing waits on a dead read.
                    tx.send_modify(|_| {});
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
    }
}
