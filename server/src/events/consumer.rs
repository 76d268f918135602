//! A consumer group on one Redis Stream, run in every process: each process is
//! one consumer of the group. An entry is acknowledged only after its handler
//! succeeded; entries left pending by a consumer that died (or whose handler
//! failed) are claimed again once idle for `claim_idle`, and an entry that keeps
//! failing is moved to a dead-letter stream after `MAX_DELIVERIES`.

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use app::ids::LiveId;
use redis::{
    aio::MultiplexedConnection,
    streams::{StreamAutoClaimOptions, StreamAutoClaimReply, StreamId, StreamReadOptions, StreamReadReply},
    AsyncCommands,
};
use tokio_util::sync::CancellationToken;

use super::WorkerControl;
use crate::keyspace::Redis;

const READ_COUNT: usize = 100;
const BLOCK_MS: usize = 1_000;
const MAX_DELIVERIES: usize = 10;

/// One event as read from a stream.
#[derive(Clone, Debug)]
pub struct StreamEvent {
    /// The stream entry id (`1700000000000-0`).
    pub entry_id: String,
    /// The outbox id: the same event published twice has the same one.
    pub event_id: i64,
    pub event_type: String,
    pub live_id: LiveId,
    pub payload: serde_json::Value,
}

impl StreamEvent {
    fn parse(entry: &StreamId) -> Option<Self> {
        let text = |field: &str| entry.get::<String>(field);
        Some(Self {
            entry_id: entry.id.clone(),
            event_id: text("event_id")?.parse().ok()?,
            event_type: text("type")?,
            live_id: text("live_id")?.parse().ok()?,
            payload: serde_json::from_str(&text("payload")?).ok()?,
        })
    }
}

/// What a group does with each event. Must be idempotent.
#[async_trait::async_trait]
pub trait EventHandler: Send + Sync + 'static {
    async fn handle(&self, event: &StreamEvent) -> anyhow::Result<()>;
}

pub struct GroupConsumer {
    pub redis: Redis,
    pub stream_key: String,
    pub group: String,
    pub consumer: String,
    pub claim_idle: Duration,
    pub handler: Arc<dyn EventHandler>,
}

impl GroupConsumer {
    /// Creates the group (from the start of the stream) unless it exists.
    pub async fn ensure_group(&self) -> anyhow::Result<()> {
        let mut conn = self.redis.conn.clone();
        let created: redis::RedisResult<()> = conn.xgroup_create_mkstream(&self.stream_key, &self.group, "0").await;
        match created {
            Ok(()) => Ok(()),
            Err(err) if err.to_string().contains("BUSYGROUP") => Ok(()),
            Err(err) => Err(err).context("creating the consumer group"),
        }
    }

    /// Handles entries until `stop`; survives Redis outages with backoff.
    pub async fn run(self, control: WorkerControl, stop: CancellationToken) {
        let mut backoff = Duration::from_millis(200);
        let mut blocking = None;
        loop {
            if stop.is_cancelled() {
                return;
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = control.wait_running() => {}
            }
            let round = tokio::select! {
                () = stop.cancelled() => return,
                r = self.round(&mut blocking) => r,
            };
            match round {
                Ok(()) => backoff = Duration::from_millis(200),
                Err(err) => {
                    blocking = None;
                    tracing::warn!(error = ?err, group = %self.group, retry_in = ?backoff, "stream consumer failed; retrying");
                    tokio::select! {
                        () = stop.cancelled() => return,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    /// One round: take over stale pending entries, then read new ones.
    async fn round(&self, blocking: &mut Option<MultiplexedConnection>) -> anyhow::Result<()> {
        self.ensure_group().await?;
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
        // Blocking reads get a connection of their own, so they never stall
        // the shared one.
        if blocking.is_none() {
            *blocking = Some(self.redis.blocking_connection().await?);
        }
        let blocking = blocking.as_mut().expect("just connected");
        let opts = StreamReadOptions::default().group(&self.group, &self.consumer).count(READ_COUNT).block(BLOCK_MS);
        // The server answers when the block ends; a dead peer never does.
        let wait = Duration::from_millis(BLOCK_MS as u64 + 5_000);
        let reply: Option<StreamReadReply> =
            tokio::time::timeout(wait, blocking.xread_options(&[&self.stream_key], &[">"], &opts))
                .await
                .context("blocking read timed out")??;
        for key in reply.map(|r| r.keys).unwrap_or_default() {
            for entry in &key.ids {
                self.process(entry).await?;
            }
        }
        Ok(())
    }

    async fn process(&self, entry: &StreamId) -> anyhow::Result<()> {
        let mut conn = self.redis.conn.clone();
        let Some(event) = StreamEvent::parse(entry) else {
            tracing::error!(entry = %entry.id, stream = %self.stream_key, "malformed stream entry; dead-lettered");
            return self.dead_letter(entry, "malformed").await;
        };
        match self.handler.handle(&event).await {
            Ok(()) => {
                let _: i64 = conn.xack(&self.stream_key, &self.group, &[&entry.id]).await?;
                Ok(())
            }
            Err(err) => {
                let deliveries = self.deliveries(&entry.id).await.unwrap_or(0);
                tracing::warn!(error = ?err, event_id = event.event_id, deliveries, "event handler failed; will retry");
                if deliveries >= MAX_DELIVERIES {
                    self.dead_letter(entry, &format!("{err:#}")).await?;
                }
                Ok(())
            }
        }
    }

    async fn deliveries(&self, entry_id: &str) -> anyhow::Result<usize> {
        let mut conn = self.redis.conn.clone();
        let pending: redis::streams::StreamPendingCountReply =
            conn.xpending_count(&self.stream_key, &self.group, entry_id, entry_id, 1).await?;
        Ok(pending.ids.first().map(|p| p.times_delivered).unwrap_or(0))
    }

    async fn dead_letter(&self, entry: &StreamId, reason: &str) -> anyhow::Result<()> {
        let mut conn = self.redis.conn.clone();
        let mut fields: Vec<(String, String)> = entry
            .map
            .iter()
            .filter_map(|(k, v)| redis::from_redis_value_ref::<String>(v).ok().map(|v| (k.clone(), v)))
            .collect();
        fields.push(("dead_reason".into(), reason.to_owned()));
        fields.push(("group".into(), self.group.clone()));
        let dlq = format!("{}:dead", self.stream_key);
        let _: String = conn.xadd(&dlq, "*", &fields).await?;
        let _: i64 = conn.xack(&self.stream_key, &self.group, &[&entry.id]).await?;
        Ok(())
    }
}
