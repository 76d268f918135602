//! Samples the event backlogs into the metrics every few seconds: each
//! consumer group's lag on each stream (`XINFO GROUPS`), the fail log of
//! unpublished order events, and the dead letters waiting for a replay.
//! Reading only, so every process may run it.

use std::{collections::HashMap, sync::Arc, time::Duration};

use redis::AsyncCommands;
use sqlx::PgPool;

use super::stream::Stream;
use crate::{
    metrics::Metrics,
    startup::{
        redis::Redis,
        worker::{Step, Worker},
    },
};

pub struct BacklogSampler {
    pub db: PgPool,
    pub redis: Redis,
    pub metrics: Arc<Metrics>,
}

impl BacklogSampler {
    async fn sample_streams(&self) -> anyhow::Result<()> {
        let mut conn = self.redis.conn.clone();
        for stream in [Stream::Room, Stream::Orders] {
            let key = self.redis.keys.stream(stream);
            // No stream yet: nothing is behind.
            let exists: bool = conn.exists(&key).await?;
            if !exists {
                continue;
            }
            let groups: Vec<HashMap<String, redis::Value>> =
                redis::cmd("XINFO").arg("GROUPS").arg(&key).query_async(&mut conn).await?;
            for group in groups {
                let name = match group.get("name") {
                    Some(redis::Value::BulkString(bytes)) => String::from_utf8_lossy(bytes).into_owned(),
                    Some(redis::Value::SimpleString(name)) => name.clone(),
                    _ => continue,
                };
                // Redis reports no lag when it cannot tell (after a trim past the group).
                if let Some(redis::Value::Int(lag)) = group.get("lag") {
                    self.metrics.stream_lag.with_label_values(&[stream.as_str(), &name]).set(*lag);
                }
            }
        }
        Ok(())
    }

    async fn sample_tables(&self) -> anyhow::Result<()> {
        let (pending, dead, letters): (i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM live_order_sync_fail_log WHERE state = 'pending'),
                    (SELECT COUNT(*) FROM live_order_sync_fail_log WHERE state = 'dead'),
                    (SELECT COUNT(*) FROM parked_events WHERE replayed_at IS NULL)",
        )
        .fetch_one(&self.db)
        .await?;
        self.metrics.fail_log_backlog.with_label_values(&["pending"]).set(pending);
        self.metrics.fail_log_backlog.with_label_values(&["dead"]).set(dead);
        self.metrics.dead_letters.set(letters);
        Ok(())
    }
}

#[async_trait::async_trait]
impl Worker for BacklogSampler {
    fn name(&self) -> &'static str {
        "backlog-sampler"
    }

    fn period(&self) -> Duration {
        Duration::from_secs(5)
    }

    async fn step(&mut self) -> anyhow::Result<Step> {
        self.sample_tables().await?;
        self.sample_streams().await?;
        Ok(Step::Idle)
    }
}
