//! Settling a payment from its provider's verified callback, once: the first
//! callback for a pending payment decides it, every later one changes
//! nothing. An order still unpaid becomes `paid` (and the order stream
//! carries `order_paid`); one that expired or was cancelled meanwhile keeps
//! its status and the payment is marked for refund.

use app::{
    error::{AppError, Reason},
    events::{OrderEvent, OrderStatusChanged},
    ids::{LiveId, UserId},
};
use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::provider::Notice;
use crate::{error::Result, events::enqueue};

/// What a callback did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settled {
    /// The order is paid now.
    Paid,
    /// The order had closed; the payment is to be refunded.
    Refunded,
    /// The payment was settled by an earlier callback: nothing changed.
    Already,
}

#[derive(sqlx::FromRow)]
struct PaidRow {
    #[sqlx(try_from = "i64")]
    live_id: LiveId,
    #[sqlx(try_from = "i64")]
    user_id: UserId,
    total_cents: i64,
    trace_id: Option<String>,
    paid_at: DateTime<Utc>,
}

pub async fn settle(db: &PgPool, notice: &Notice) -> Result<Settled> {
    let mut tx = db.begin().await?;
    let payment: Option<(String, i64, String)> =
        sqlx::query_as("SELECT order_sn, amount_cents, status FROM payments WHERE payment_id = $1 FOR UPDATE")
            .bind(&notice.payment_id)
            .fetch_optional(&mut *tx)
            .await?;
    let (order_sn, amount_cents, status) = payment.ok_or_else(|| AppError::not_found("payment"))?;
    if order_sn != notice.order_sn || amount_cents != notice.amount_cents {
        // Signed by the provider but not about this payment: refuse, change nothing.
        return Err(AppError::Conflict(Reason::OrderNotUnpaid).into());
    }
    if status != "pending" {
        return Ok(Settled::Already);
    }
    let paid: Option<PaidRow> = sqlx::query_as(
        "UPDATE orders SET status = 'paid', paid_at = now() WHERE order_sn = $1 AND status = 'created'
         RETURNING live_id, user_id, total_cents, trace_id, paid_at",
    )
    .bind(&order_sn)
    .fetch_optional(&mut *tx)
    .await?;
    let settled = match paid {
        Some(order) => {
            let notice = OrderStatusChanged {
                order_sn: order_sn.clone(),
                live_id: order.live_id,
                user_id: order.user_id,
                total_cents: order.total_cents,
                time_ms: order.paid_at.timestamp_millis(),
                trace_id: order.trace_id,
            };
            enqueue(&mut tx, order.live_id, &OrderEvent::Paid(notice)).await?;
            Settled::Paid
        }
        None => Settled::Refunded,
    };
    let status = if settled == Settled::Paid { "confirmed" } else { "refunded" };
    sqlx::query("UPDATE payments SET status = $2, settled_at = now() WHERE payment_id = $1")
        .bind(&notice.payment_id)
        .bind(status)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(settled)
}
