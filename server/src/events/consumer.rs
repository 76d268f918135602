//! A consumer group on one Redis Stream, run in every process: each process is
//! one consumer of the group. An entry is decoded into its stream's closed
//! event enum and acknowledged only after its handler succeeded; entries left
//! pending by a consumer that died (or whose handler failed) are claimed again
//! once idle for `claim_idle`. An entry that cannot be read, or whose handler
//! keeps failing while the stores answer (`MAX_DELIVERIES`), becomes a dead
//! letter in Postgres ([`super::parked`]); a failure because Postgres or Redis
//! is down never does: the entry waits, pending, for the store to return.

use std::time::Duration;

use anyhow::Context;
use app::{events::DecodeError, ids::LiveId};
use redis::{
    aio::MultiplexedConnection,
    streams::{StreamAutoClaimOptions, StreamAutoClaimReply, StreamId, StreamReadOptions, StreamReadReply},
    AsyncCommands,
};
use sqlx::PgPool;

use super::{
    parked::{self, ParkReason},
    stream::{Entry, StreamEvent},
};
use crate::{
    error::Result,
    startup::{
        redis::Redis,
        worker::{Step, Worker, Workers},
    },
};

const READ_COUNT: usize = 100;
const BLOCK_MS: usize = 1_000;
const MAX_DELIVERIES: usize = 10;

/// One event as a group member received it.
#[derive(Clone, Debug)]
pub struct Delivery<E> {
    /// The outbox id: the same event published twice has the same one.
    pub event_id: i64,
    pub live_id: LiveId,
    pub event: E,
}

/// What a group does with each event. Must be idempotent: delivery is at least once.
#[async_trait::async_trait]
pub trait Handler: Send + Sync + 'static {
    type Event: StreamEvent;
    /// The group's name (before the key prefix).
    const GROUP: &'static str;
    async fn handle(&self, delivery: &Delivery<Self::Event>) -> Result<()>;
    /// Called with the events of one read before they are handled one by
    /// one, so that a handler may do their shared work at once (one
    /// transaction for many). `handle` must still do each event's work
    /// alone when this did not (it failed, or the event was not in it).
    async fn prepare(&self, _batch: &[Delivery<Self::Event>]) {}
}

pub struct GroupConsumer<H: Handler> {
    db: PgPool,
    redis: Redis,
    stream_key: String,
    group: String,
    consumer: String,
    claim_idle: Duration,
    handler: H,
    /// Blocking reads get a connection of their own, so they never stall the shared one.
    blocking: Option<MultiplexedConnection>,
    /// Whether the group is known to exist. Checked again after a failed
    /// round (a Redis that restarted empty has no group: the read fails
    /// with `NOGROUP`), not before every round, where `XGROUP CREATE`
    /// answered `BUSYGROUP` about 250 times a second under load.
    group_ready: bool,
}

/// What kind of failure a handler had, without its details.
fn failure_code(err: &crate::error::Error) -> &'static str {
    match err {
        crate::error::Error::Refused(_) => "refused",
        crate::error::Error::Postgres(_) => "postgres_error",
        crate::error::Error::Redis(_) => "redis_error",
        crate::error::Error::Other(_) => "handler_error",
    }
}

/// A consumer name unique to this process and start.
fn consumer_name() -> String {
    format!("{}-{:016x}", std::process::id(), rand::random::<u64>())
}

impl<H: Handler> GroupConsumer<H> {
    /// Creates the group if needed and runs this process's consumer in it.
    pub async fn start(workers: &Workers, db: PgPool, redis: Redis, claim_idle: Duration, handler: H) -> Result<()> {
        let consumer = Self {
            stream_key: redis.keys.stream(H::Event::STREAM),
            group: redis.keys.group(H::GROUP),
            consumer: consumer_name(),
            db,
            redis,
            claim_idle,
            handler,
            blocking: None,
            group_ready: true,
        };
        consumer.ensure_group().await?;
        workers.spawn(consumer, None);
        Ok(())
    }

    /// Creates the group (from the start of the stream) unless it exists.
    async fn ensure_group(&self) -> Result<()> {
        let mut conn = self.redis.conn.clone();
        let created: redis::RedisResult<()> = conn.xgroup_create_mkstream(&self.stream_key, &self.group, "0").await;
        match created {
            Err(err) if !err.to_string().contains("BUSYGROUP") => Err(err.into()),
            _ => Ok(()),
        }
    }

    /// One round: take over stale pending entries, then read new ones.
    async fn round(&mut self) -> Result<()> {
        if !self.group_ready {
            self.ensure_group().await?;
            self.group_ready = true;
        }
        let mut conn = self.redis.conn.clone();
        let claimed: StreamAutoClaimReply = conn
            .xautoclaim_options(
                &self.stream_key,
                &self.group,
                &self.consumer,
                self.claim_idle.as_millis() as usize,
                "0-0",
                StreamAutoClaimOptions::default().count(READ_COUNT),
            )
            .await?;
        for entry in &claimed.claimed {
            self.process(entry).await?;
        }
        if self.blocking.is_none() {
            self.blocking = Some(self.redis.blocking_connection().await?);
        }
        let blocking = self.blocking.as_mut().expect("just connected");
        let opts = StreamReadOptions::default().group(&self.group, &self.consumer).count(READ_COUNT).block(BLOCK_MS);
        // The server answers when the block ends; a dead peer never does.
        let wait = Duration::from_millis(BLOCK_MS as u64 + 5_000);
        let reply: Option<StreamReadReply> =
            tokio::time::timeout(wait, blocking.xread_options(&[&self.stream_key], &[">"], &opts))
                .await
                .context("blocking read timed out")??;
        let entries: Vec<StreamId> =
            reply.map(|r| r.keys).unwrap_or_default().into_iter().flat_map(|k| k.ids).collect();
        if entries.len() > 1 {
            let batch: Vec<Delivery<H::Event>> = entries.iter().filter_map(Self::decode).collect();
            self.handler.prepare(&batch).await;
        }
        for entry in &entries {
            self.process(entry).await?;
        }
        Ok(())
    }

    /// The entry as its handler sees it, if it reads (`process` parks the rest).
    fn decode(raw: &StreamId) -> Option<Delivery<H::Event>> {
        let entry = Entry::read(raw)?;
        let event = H::Event::decode(&entry.kind, &entry.payload).ok()?;
        Some(Delivery { event_id: entry.event_id, live_id: entry.live_id, event })
    }

    async fn process(&self, raw: &StreamId) -> Result<()> {
        let Some(entry) = Entry::read(raw) else {
            return self.park(raw, None, ParkReason::MalformedEntry, "a field is missing or malformed").await;
        };
        let event = match H::Event::decode(&entry.kind, &entry.payload) {
            Ok(event) => event,
            Err(DecodeError::UnknownKind(name)) => {
                return self.park(raw, Some(&entry), ParkReason::UnknownKind, &name.to_string()).await
            }
            Err(err @ DecodeError::Payload(_)) => {
                return self.park(raw, Some(&entry), ParkReason::MalformedPayload, &err.to_string()).await
            }
        };
        let delivery = Delivery { event_id: entry.event_id, live_id: entry.live_id, event };
        match self.handler.handle(&delivery).await {
            Ok(()) => self.ack(raw).await,
            // A store that is down or busy is no fault of the event: it stays
            // pending and is claimed again, however long the outage lasts, and
            // this consumer backs off instead of trying the next entries.
            Err(err) if err.is_transient() => {
                tracing::warn!(error = %err, event_id = entry.event_id, "store unavailable; the event waits");
                Err(err)
            }
            Err(err) => {
                let deliveries = self.deliveries(&raw.id).await.unwrap_or(0);
                tracing::warn!(error = %err, event_id = entry.event_id, deliveries, "event handler failed; will retry");
                if deliveries >= MAX_DELIVERIES {
                    // The person reading dead letters gets a stable code; the
                    // cause itself is in the log line above.
                    self.park(raw, Some(&entry), ParkReason::HandlerFailed, failure_code(&err)).await?;
                }
                Ok(())
            }
        }
    }

    async fn ack(&self, raw: &StreamId) -> Result<()> {
        let mut conn = self.redis.conn.clone();
        let _: i64 = conn.xack(&self.stream_key, &self.group, &[&raw.id]).await?;
        Ok(())
    }

    /// Parks the entry in Postgres, then acknowledges it; if Postgres cannot
    /// take it, it stays pending and comes back.
    async fn park(&self, raw: &StreamId, entry: Option<&Entry>, reason: ParkReason, detail: &str) -> Result<()> {
        parked::park(&self.db, &self.group, &self.stream_key, raw, entry, reason, detail).await?;
        self.ack(raw).await
    }

    async fn deliveries(&self, entry_id: &str) -> Result<usize> {
        let mut conn = self.redis.conn.clone();
        let pending: redis::streams::StreamPendingCountReply =
            conn.xpending_count(&self.stream_key, &self.group, entry_id, entry_id, 1).await?;
        Ok(pending.ids.first().map(|p| p.times_delivered).unwrap_or(0))
    }
}

#[async_trait::async_trait]
impl<H: Handler> Worker for GroupConsumer<H> {
    fn name(&self) -> &'static str {
        H::GROUP
    }

    fn period(&self) -> Duration {
        Duration::ZERO
    }

    async fn step(&mut self) -> anyhow::Result<Step> {
        if let Err(err) = self.round().await {
            // A broken blocking connection is replaced on the next round,
            // and the group is made sure of again.
            self.blocking = None;
            self.group_ready = false;
            return Err(err.into());
        }
        Ok(Step::Busy)
    }
}
