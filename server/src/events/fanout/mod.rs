//! Fan-out to viewers: each room has a Redis stream of the events its viewers
//! see (`live:{id}:events`, trimmed to about `ROOM_STREAM_LEN`), appended once
//! per event id by whichever process handled the event ([`Fanout::publish`]).
//!
//! Each server process reads those streams with one shared reader
//! ([`reader`]): a single blocking `XREAD` over every room that has viewers in
//! this process, on one named Redis connection, broadcast in-process to the
//! room's viewers ([`rooms`]). Redis work so grows with rooms and processes,
//! not with viewers. A viewer reads Redis itself only to catch up: once when
//! it resumes from a `Last-Event-ID`, and again should it fall behind the
//! broadcast ([`viewer`]). A position the stream cannot resume from (trimmed
//! away, or ahead of anything handed out) is told `resync` ([`position`]).
//!
//! On a Redis Cluster a multi-key `XREAD` cannot cross hash slots, so the
//! reader would have to be one per node (or a per-process notify stream); the
//! project has no Cluster support yet, and the reader's grouping of keys is
//! one function (`reader::ReadBatch::of`).
//!
//! Redelivered events are told once: the append checks a per-room sorted set
//! of the events recently fanned out (`live:{id}:events:seen`), trimmed to the
//! last `SEEN_KEPT` in the same script and expiring with the room's activity,
//! so the dedupe keys stay one bounded key per room.

mod position;
mod reader;
mod rooms;
mod viewer;

use std::sync::Arc;

use app::{
    events::{Audience, Resync, RoomEvent, RoomEventKind},
    ids::LiveId,
};
use redis::streams::{StreamId, StreamRangeReply};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub use position::EntryId;
use position::StreamBounds;
use reader::Reader;
use rooms::Rooms;
use viewer::Viewer;

use crate::{
    error::Result,
    startup::{redis::Redis, worker::Workers},
};

/// How many events a room's stream keeps for viewers who reconnect.
const ROOM_STREAM_LEN: usize = 1_000;
/// How many fanned-out event ids a room remembers: a redelivery comes within
/// seconds to minutes (the claim timeout, the fail-log retries), long before
/// this many newer events went out.
const SEEN_KEPT: usize = 2_000;
/// A room's dedupe set expires this long after its last event.
const SEEN_TTL_SECS: u64 = 86_400;
/// How many events one viewer may have queued before it waits (and, if the
/// room outpaces it, falls behind the broadcast and re-reads).
const VIEWER_QUEUE: usize = 64;

/// Appends the event unless this event was fanned out recently (a redelivery);
/// remembers it in the room's bounded set of recent events.
const PUBLISH_ONCE: &str = r#"
local t = redis.call('TIME')
if redis.call('ZADD', KEYS[2], 'NX', t[1] * 1000 + math.floor(t[2] / 1000), ARGV[6]) == 0 then
  return false
end
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[7]) + 1))
redis.call('EXPIRE', KEYS[2], ARGV[8])
return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'type', ARGV[2], 'data', ARGV[3], 'audience', ARGV[4], 'event_id', ARGV[5])
"#;

/// One event as a viewer receives it: the SSE `id:`, `event:` and `data:`.
#[derive(Clone, Debug, PartialEq)]
pub struct Told {
    /// The position in the room's stream.
    pub id: EntryId,
    pub kind: String,
    pub data: String,
    pub audience: Audience,
}

impl Told {
    /// Reads a room stream entry; `None` for an id that is not one.
    fn read(entry: &StreamId) -> Option<Self> {
        Some(Self {
            id: EntryId::parse(&entry.id)?,
            kind: entry.get("type").unwrap_or_default(),
            data: entry.get("data").unwrap_or_else(|| "{}".to_owned()),
            audience: Audience::parse(&entry.get::<String>("audience").unwrap_or_default()),
        })
    }

    /// `resync`, carrying the id the viewer goes on from.
    fn resync(at: EntryId) -> Self {
        let event = RoomEvent::Resync(Resync {});
        Self {
            id: at,
            kind: event.kind().as_str().to_owned(),
            data: event.payload_json(),
            audience: Audience::Everyone,
        }
    }

    fn is_resync(&self) -> bool {
        self.kind == RoomEventKind::Resync.as_str()
    }
}

/// Where a viewer's stream starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resume {
    /// A new viewer: events from now on.
    Now,
    /// A viewer that has seen everything up to this id.
    After(EntryId),
    /// A viewer whose `Last-Event-ID` is not a stream id at all.
    Unknown,
}

#[derive(Clone)]
pub struct Fanout {
    redis: Redis,
    publish: redis::Script,
    rooms: Arc<Rooms>,
    stop: CancellationToken,
}

impl Fanout {
    /// The fan-out of this process, its shared reader running in `workers`.
    pub fn new(redis: Redis, workers: &Workers, stop: CancellationToken) -> Self {
        let rooms = Arc::new(Rooms::default());
        let wake = rooms.added();
        workers.spawn(Reader::new(rooms.clone(), redis.clone(), stop.clone()), Some(wake));
        Self { redis, publish: redis::Script::new(PUBLISH_ONCE), rooms, stop }
    }

    /// Appends `event` to its room's stream, once per `event_id` and kind.
    pub async fn publish(&self, live_id: LiveId, event_id: i64, event: &RoomEvent) -> Result<()> {
        let kind = event.kind();
        let mut conn = self.redis.conn.clone();
        let _: Option<String> = self
            .publish
            .key(self.redis.keys.room_events(live_id))
            .key(self.redis.keys.room_events_seen(live_id))
            .arg(ROOM_STREAM_LEN)
            .arg(kind.as_str())
            .arg(event.payload_json())
            .arg(kind.audience().as_str())
            .arg(event_id)
            .arg(format!("{}:{event_id}", kind.as_str()))
            .arg(SEEN_KEPT)
            .arg(SEEN_TTL_SECS)
            .invoke_async(&mut conn)
            .await?;
        Ok(())
    }

    /// The id of the room's newest event (`0-0` when it never had one).
    pub async fn last_id(&self, live_id: LiveId) -> Result<String> {
        Ok(self.bounds(live_id).await?.last.to_string())
    }

    async fn bounds(&self, live_id: LiveId) -> Result<StreamBounds> {
        StreamBounds::read(&mut self.redis.conn.clone(), &self.redis.keys.room_events(live_id)).await
    }

    /// Events of the room after `after` (up to `until`, or the newest), oldest first, at most `count`.
    async fn read_after(
        &self,
        live_id: LiveId,
        after: EntryId,
        until: Option<EntryId>,
        count: usize,
    ) -> Result<Vec<Told>> {
        let mut conn = self.redis.conn.clone();
        let end = until.map_or_else(|| "+".to_owned(), |id| id.to_string());
        let range: StreamRangeReply = redis::AsyncCommands::xrange_count(
            &mut conn,
            self.redis.keys.room_events(live_id),
            format!("({after}"),
            end,
            count,
        )
        .await?;
        Ok(range.ids.iter().filter_map(Told::read).collect())
    }

    /// One viewer's events, as they arrive, until the viewer leaves or the
    /// server stops: after its resume position, or `resync` first when the
    /// stream cannot resume from it; the owner also gets the owner's events.
    pub async fn follow(&self, live_id: LiveId, resume: Resume, owner: bool) -> Result<mpsc::Receiver<Arc<Told>>> {
        let resume = match resume {
            Resume::After(id) if !self.bounds(live_id).await?.resumes(id) => Resume::Unknown,
            other => other,
        };
        let membership = match self.rooms.join_followed(live_id) {
            Some(membership) => membership,
            None => {
                let newest = self.bounds(live_id).await?.last;
                self.rooms.join(live_id, newest)
            }
        };
        let (tx, rx) = mpsc::channel(VIEWER_QUEUE);
        let last = match resume {
            Resume::Now => membership.position,
            Resume::After(id) => id,
            Resume::Unknown => {
                // A fresh queue has room for it.
                let _ = tx.try_send(Arc::new(Told::resync(membership.position)));
                membership.position
            }
        };
        tokio::spawn(Viewer { fanout: self.clone(), membership, owner, tx, last }.run());
        Ok(rx)
    }
}
