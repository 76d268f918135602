//! The process's one fan-out reader: a single blocking `XREAD` over the
//! streams of every room this process's viewers follow, on one Redis
//! connection named `{prefix}fanout-reader`, broadcasting what it reads to
//! those rooms' viewers in-process. Redis sees one reader per process,
//! whatever the number of rooms and viewers.
//!
//! When a room is followed anew the reader is woken: it unblocks its own read
//! (`CLIENT UNBLOCK` from the shared connection) and reads again over the new
//! set of keys; a room no longer followed leaves the set at the next read
//! (within `BLOCK`). Its positions live with the rooms, so after a broken
//! connection it reads on from where each room was; a room whose position was
//! trimmed away meanwhile is told `resync`.
//!
//! On a Redis Cluster a multi-key `XREAD` cannot cross hash slots: the reader
//! must then be one per node (or the process must follow a per-process notify
//! stream instead). The project has no Cluster support yet; [`ReadBatch::of`]
//! is the one place that decides which keys one read covers.

use std::{collections::HashMap, sync::Arc, time::Duration};

use anyhow::Context;
use app::ids::LiveId;
use redis::{
    aio::MultiplexedConnection,
    streams::{StreamReadOptions, StreamReadReply},
    AsyncCommands,
};
use tokio_util::sync::CancellationToken;

use super::{
    position::{EntryId, StreamBounds},
    rooms::Rooms,
    Told,
};
use crate::startup::{
    redis::{Keyspace, Redis},
    worker::{Step, Worker},
};

/// How long one read blocks; a room no longer followed is dropped from the
/// read within this, and shutdown waits at most this long for the reader.
const BLOCK: Duration = Duration::from_millis(2_000);
/// Entries read per room and read; a busier room is read again at once.
const READ_COUNT: usize = 200;
/// How often to repeat `CLIENT UNBLOCK` until the read it targets is blocked.
const UNBLOCK_RETRY: Duration = Duration::from_millis(10);

/// The streams one blocking read covers and the room each belongs to.
struct ReadBatch {
    keys: Vec<String>,
    after: Vec<String>,
    rooms: HashMap<String, LiveId>,
}

impl ReadBatch {
    /// Every followed room in one read: right for one Redis server. The one
    /// place to split the rooms by Cluster node (one reader each).
    fn of(keys: &Keyspace, followed: Vec<(LiveId, EntryId)>) -> Self {
        let mut batch = Self { keys: Vec::new(), after: Vec::new(), rooms: HashMap::new() };
        for (live_id, position) in followed {
            let key = keys.room_events(live_id);
            batch.keys.push(key.clone());
            batch.after.push(position.to_string());
            batch.rooms.insert(key, live_id);
        }
        batch
    }
}

/// The blocking connection and its id (for `CLIENT UNBLOCK`).
struct Blocking {
    conn: MultiplexedConnection,
    id: i64,
}

pub struct Reader {
    rooms: Arc<Rooms>,
    redis: Redis,
    stop: CancellationToken,
    blocking: Option<Blocking>,
}

impl Reader {
    pub fn new(rooms: Arc<Rooms>, redis: Redis, stop: CancellationToken) -> Self {
        Self { rooms, redis, stop, blocking: None }
    }

    /// Opens and names the blocking connection, then checks that every
    /// followed room's position can still be read on from.
    async fn connect(&mut self) -> anyhow::Result<()> {
        let mut conn = self.redis.blocking_connection().await?;
        let () = redis::cmd("CLIENT")
            .arg("SETNAME")
            .arg(self.redis.keys.fanout_reader_name())
            .query_async(&mut conn)
            .await?;
        let id: i64 = redis::cmd("CLIENT").arg("ID").query_async(&mut conn).await?;
        let mut shared = self.redis.conn.clone();
        for (live_id, position) in self.rooms.followed() {
            let bounds = StreamBounds::read(&mut shared, &self.redis.keys.room_events(live_id)).await?;
            if !bounds.resumes(position) {
                tracing::warn!(%live_id, %position, "fan-out position trimmed away; viewers are told to resync");
                self.rooms.deliver(live_id, [Told::resync(bounds.last)]);
            }
        }
        self.blocking = Some(Blocking { conn, id });
        Ok(())
    }

    /// One blocking read over the batch, cut short when a room is followed anew.
    async fn read(&mut self, batch: &ReadBatch) -> anyhow::Result<Option<StreamReadReply>> {
        let Blocking { conn, id } = self.blocking.as_mut().context("not connected")?;
        let opts = StreamReadOptions::default().block(BLOCK.as_millis() as usize).count(READ_COUNT);
        // The server answers when the block ends; a dead peer never does.
        let read =
            tokio::time::timeout(BLOCK + Duration::from_secs(5), conn.xread_options(&batch.keys, &batch.after, &opts));
        let mut read = std::pin::pin!(read);
        let added = self.rooms.added();
        tokio::select! {
            reply = &mut read => return Ok(reply.context("blocking read timed out")??),
            () = added.notified() => {}
        }
        let mut shared = self.redis.conn.clone();
        loop {
            // Until the read is blocked in Redis there is nothing to unblock.
            let unblocked: redis::RedisResult<i64> =
                redis::cmd("CLIENT").arg("UNBLOCK").arg(*id).query_async(&mut shared).await;
            if !matches!(unblocked, Ok(0)) {
                break;
            }
            tokio::select! {
                reply = &mut read => return Ok(reply.context("blocking read timed out")??),
                () = tokio::time::sleep(UNBLOCK_RETRY) => {}
            }
        }
        Ok(read.await.context("blocking read timed out")??)
    }
}

#[async_trait::async_trait]
impl Worker for Reader {
    fn name(&self) -> &'static str {
        "fanout-reader"
    }

    /// Idle means no room is followed; a room followed anew wakes it.
    fn period(&self) -> Duration {
        BLOCK
    }

    fn pausable(&self) -> bool {
        false
    }

    async fn step(&mut self) -> anyhow::Result<Step> {
        let followed = self.rooms.followed();
        if followed.is_empty() {
            return Ok(Step::Idle);
        }
        let batch = ReadBatch::of(&self.redis.keys, followed);
        if self.blocking.is_none() {
            self.connect().await?;
        }
        let stop = self.stop.clone();
        let reply = tokio::select! {
            reply = self.read(&batch) => reply,
            () = stop.cancelled() => return Ok(Step::Done),
        };
        let reply = match reply {
            Ok(reply) => reply,
            Err(err) => {
                // Reconnect on the next step, reading on from the rooms' positions.
                self.blocking = None;
                return Err(err);
            }
        };
        for key in reply.map(|r| r.keys).unwrap_or_default() {
            if let Some(live_id) = batch.rooms.get(&key.key) {
                self.rooms.deliver(*live_id, key.ids.iter().filter_map(Told::read));
            }
        }
        Ok(Step::Busy)
    }
}
