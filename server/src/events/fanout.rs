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

use app::{
    events::{Audience, RoomEvent},
    ids::LiveId,
};
use redis::{
    aio::MultiplexedConnection,
    streams::{StreamRangeReply, StreamReadOptions, StreamReadReply},
    AsyncCommands,
};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::{
    error::Result,
    startup::{
        redis::Redis,
        worker::{Step, Worker, Workers},
    },
};

/// How many events a room's stream keeps for viewers who reconnect.
const ROOM_STREAM_LEN: usize = 1_000;
/// How many entries one viewer reads at a time.
const PAGE: usize = 200;

/// Appends the event unless this event id was already fanned out (redelivery).
const PUBLISH_ONCE: &str = r#"
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', 86400) then
  return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'type', ARGV[2], 'data', ARGV[3], 'audience', ARGV[4], 'event_id', ARGV[5])
end
return false
"#;

/// One event as a viewer receives it: the SSE `id:`, `event:` and `data:`.
#[derive(Clone, Debug, PartialEq)]
pub struct Told {
    /// The position in the room's stream.
    pub id: String,
    pub kind: String,
    pub data: String,
    pub audience: Audience,
}

#[derive(Clone)]
pub struct Fanout {
    redis: Redis,
    publish: redis::Script,
    readers: Arc<Mutex<HashMap<LiveId, watch::Sender<String>>>>,
    workers: Workers,
    stop: CancellationToken,
}

impl Fanout {
    pub fn new(redis: Redis, workers: Workers, stop: CancellationToken) -> Self {
        Self { redis, publish: redis::Script::new(PUBLISH_ONCE), readers: Default::default(), workers, stop }
    }

    /// Appends `event` to its room's stream, once per `event_id`.
    pub async fn publish(&self, live_id: LiveId, event_id: i64, event: &RoomEvent) -> Result<()> {
        let kind = event.kind();
        let mut conn = self.redis.conn.clone();
        let _: Option<String> = self
            .publish
            .key(self.redis.keys.room_events(live_id))
            .key(self.redis.keys.room_event_seen(live_id, kind.as_str(), event_id))
            .arg(ROOM_STREAM_LEN)
            .arg(kind.as_str())
            .arg(event.payload_json())
            .arg(kind.audience().as_str())
            .arg(event_id)
            .invoke_async(&mut conn)
            .await?;
        Ok(())
    }

    /// The id of the room's newest event (`0-0` when it has none).
    pub async fn last_id(&self, live_id: LiveId) -> Result<String> {
        let mut conn = self.redis.conn.clone();
        let newest: StreamRangeReply = conn.xrevrange_count(self.redis.keys.room_events(live_id), "+", "-", 1).await?;
        Ok(newest.ids.first().map(|e| e.id.clone()).unwrap_or_else(|| "0-0".to_owned()))
    }

    /// Events of the room after `after`, oldest first, at most `count`.
    async fn read_after(&self, live_id: LiveId, after: &str, count: usize) -> Result<Vec<Told>> {
        let mut conn = self.redis.conn.clone();
        let range: StreamRangeReply =
            conn.xrange_count(self.redis.keys.room_events(live_id), format!("({after}"), "+", count).await?;
        Ok(range
            .ids
            .into_iter()
            .map(|e| Told {
                kind: e.get("type").unwrap_or_default(),
                data: e.get("data").unwrap_or_else(|| "{}".to_owned()),
                audience: Audience::parse(&e.get::<String>("audience").unwrap_or_default()),
                id: e.id,
            })
            .collect())
    }

    /// One viewer's events after `start`, as they arrive, until the viewer
    /// leaves or the server stops; the owner also gets the owner's events.
    pub fn follow(&self, live_id: LiveId, start: String, owner: bool) -> mpsc::Receiver<Told> {
        let (tx, rx) = mpsc::channel::<Told>(64);
        let fanout = self.clone();
        let mut wake = self.subscribe(live_id);
        tokio::spawn(async move {
            let mut last = start;
            loop {
                match fanout.read_after(live_id, &last, PAGE).await {
                    Ok(events) => {
                        let full = events.len() == PAGE;
                        for event in events {
                            last = event.id.clone();
                            if event.audience == Audience::Owner && !owner {
                                continue;
                            }
                            if tx.send(event).await.is_err() {
                                return;
                            }
                        }
                        if full {
                            continue;
                        }
                    }
                    Err(err) => tracing::warn!(error = %err, "room events unavailable; retrying"),
                }
                tokio::select! {
                    _ = wake.changed() => {}
                    () = tx.closed() => return,
                    () = fanout.stop.cancelled() => return,
                    () = tokio::time::sleep(Duration::from_secs(5)) => {}
                }
            }
        });
        rx
    }

    /// A receiver that changes whenever the room's stream grows. Starts the
    /// room's reader in this process if it is not running.
    fn subscribe(&self, live_id: LiveId) -> watch::Receiver<String> {
        let mut readers = self.readers.lock().expect("lock poisoned");
        if let Some(tx) = readers.get(&live_id) {
            return tx.subscribe();
        }
        let (tx, rx) = watch::channel(String::new());
        readers.insert(live_id, tx.clone());
        let reader = RoomReader { fanout: self.clone(), live_id, tx, conn: None, last: "$".to_owned() };
        self.workers.spawn(reader, None);
        rx
    }
}

/// Blocks on one room's stream and wakes its subscribers, until none is left.
struct RoomReader {
    fanout: Fanout,
    live_id: LiveId,
    tx: watch::Sender<String>,
    conn: Option<MultiplexedConnection>,
    last: String,
}

#[async_trait::async_trait]
impl Worker for RoomReader {
    fn name(&self) -> &'static str {
        "room-fanout-reader"
    }

    fn period(&self) -> Duration {
        Duration::ZERO
    }

    fn pausable(&self) -> bool {
        false
    }

    async fn step(&mut self) -> anyhow::Result<Step> {
        if self.tx.receiver_count() == 0 {
            let mut readers = self.fanout.readers.lock().expect("lock poisoned");
            if self.tx.receiver_count() == 0 {
                readers.remove(&self.live_id);
                return Ok(Step::Done);
            }
        }
        if self.conn.is_none() {
            self.conn = Some(self.fanout.redis.blocking_connection().await?);
        }
        let conn = self.conn.as_mut().expect("connected");
        let opts = StreamReadOptions::default().block(2_000).count(100);
        let key = self.fanout.redis.keys.room_events(self.live_id);
        let read = tokio::time::timeout(Duration::from_secs(7), conn.xread_options(&[&key], &[&self.last], &opts))
            .await
            .unwrap_or_else(|_| Err((redis::ErrorKind::Io, "blocking read timed out").into()));
        match read {
            Ok(reply) => {
                let reply: Option<StreamReadReply> = reply;
                if let Some(newest) = reply.iter().flat_map(|r| r.keys.iter()).flat_map(|k| k.ids.last()).last() {
                    self.last = newest.id.clone();
                    self.tx.send_replace(self.last.clone());
                }
                Ok(Step::Busy)
            }
            Err(err) => {
                self.conn = None;
                // Viewers re-read their own position; wake them so nothing waits on a dead read.
                self.tx.send_modify(|_| {});
                Err(err.into())
            }
        }
    }
}
