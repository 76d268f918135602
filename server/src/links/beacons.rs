//! Click and view beacons (`POST /api/track`): rate-limited per client
//! address, refused for goods not bound to the room, and recorded in the
//! funnel only when they carry that binding's tracking code (or none). A
//! beacon that is not counted still answers 204: it is analytics, and the
//! sender learns nothing from the answer.

use std::{net::IpAddr, sync::Arc};

use app::{
    deep_link::SourceType,
    error::AppError,
    ids::{LiveId, SpuId},
};
use serde::Deserialize;
use sqlx::PgPool;

use super::{
    analytics::{AnalyticsField, AnalyticsSource},
    funnel::{self, Beacon, Trace},
};
use crate::{
    auth::{RateLimiter, BEACONS_PER_ADDRESS},
    error::Result,
    metrics::Metrics,
};

/// What a beacon reports.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct BeaconReport {
    pub event: Beacon,
    pub live_id: LiveId,
    pub spu_id: SpuId,
    #[serde(default)]
    pub tracking_code: Option<String>,
    #[serde(default)]
    pub trace_id: Option<String>,
    /// `live` (the default) or `replay`.
    #[serde(default)]
    pub source_type: SourceType,
}

/// Why a beacon was answered but not counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IgnoredBeacon {
    /// The tracking code is not a tracking code at all.
    MalformedTrackingCode,
    /// A well-formed tracking code, but not the one of this binding.
    ForeignTrackingCode,
}

impl IgnoredBeacon {
    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            IgnoredBeacon::MalformedTrackingCode => "malformed_tracking_code",
            IgnoredBeacon::ForeignTrackingCode => "foreign_tracking_code",
        }
    }
}

pub struct Beacons {
    db: PgPool,
    limiter: RateLimiter,
    metrics: Arc<Metrics>,
}

impl Beacons {
    pub fn new(db: PgPool, limiter: RateLimiter, metrics: Arc<Metrics>) -> Self {
        Self { db, limiter, metrics }
    }

    /// Records `report` from `client` in the funnel, or counts why not; 429
    /// past the address's budget, 404 when the goods are not bound to the room.
    pub async fn record(&self, client: IpAddr, report: BeaconReport) -> Result<()> {
        self.limiter.hit("beacons", &client.to_string(), BEACONS_PER_ADDRESS).await?;
        let mut conn = self.db.acquire().await?;
        let Some(binding_code) = funnel::binding_tracking_code(&mut conn, report.live_id, report.spu_id).await? else {
            return Err(AppError::not_found("goods in this live room").into());
        };
        let tracking_code = match AnalyticsField::TrackingCode.check(report.tracking_code) {
            Ok(code) if code.as_ref().is_some_and(|code| *code != binding_code) => {
                return self.ignored(IgnoredBeacon::ForeignTrackingCode);
            }
            Ok(code) => code,
            Err(_) => return self.ignored(IgnoredBeacon::MalformedTrackingCode),
        };
        let mut dropped = Vec::new();
        let trace_id = AnalyticsField::TraceId.keep(report.trace_id, &mut dropped);
        self.metrics.count_dropped(AnalyticsSource::Beacon, &dropped);
        let trace = Trace {
            tracking_code: tracking_code.as_deref(),
            trace_id: trace_id.as_deref(),
            source: report.source_type,
        };
        funnel::record(&mut conn, report.event.into(), report.live_id, report.spu_id, &trace).await
    }

    /// Counts a beacon that is answered but not recorded.
    fn ignored(&self, reason: IgnoredBeacon) -> Result<()> {
        tracing::debug!(reason = reason.as_str(), "beacon not counted");
        self.metrics.beacon_ignored(reason);
        Ok(())
    }
}
