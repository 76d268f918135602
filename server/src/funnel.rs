//! The click → view → order funnel: one row per tracked event, keyed by the
//! binding's tracking code and the trace id minted per tap.

use app::{
    deep_link::valid_token,
    error::{AppError, Reason},
    ids::{LiveId, SpuId},
};
use sqlx::PgPool;

use crate::failure::store_error;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FunnelEvent {
    Click,
    View,
}

impl FunnelEvent {
    fn as_str(self) -> &'static str {
        match self {
            FunnelEvent::Click => "click",
            FunnelEvent::View => "view",
        }
    }
}

pub async fn record(
    db: &PgPool,
    event: FunnelEvent,
    live_id: LiveId,
    spu_id: SpuId,
    tracking_code: Option<&str>,
    trace_id: Option<&str>,
) -> Result<(), AppError> {
    for value in [tracking_code, trace_id].into_iter().flatten() {
        if !valid_token(value) {
            return Err(AppError::Invalid(Reason::TraceCodes));
        }
    }
    let inserted = sqlx::query(
        "INSERT INTO funnel_events (event, live_id, spu_id, tracking_code, trace_id) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(event.as_str())
    .bind(live_id.get())
    .bind(spu_id.get())
    .bind(tracking_code)
    .bind(trace_id)
    .execute(db)
    .await;
    match inserted {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => Err(AppError::not_found("live room or goods")),
        Err(e) => Err(store_error(e)),
    }
}
