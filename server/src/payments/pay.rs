//! The payments service: paying an unpaid order through the configured
//! provider, and the provider's callbacks. Behind the `Ordering` port's
//! `pay` and the JSON API alike.

use std::sync::Arc;

use app::{
    error::{AppError, Reason},
    ids::UserId,
    model::{OrderStatus, PaymentStarted},
};
use sqlx::PgPool;

use super::{
    provider::{PaymentProvider, Started},
    settle::{settle, Settled},
};
use crate::{error::Result, events::Relay, metrics::Metrics, orders::OrderSn};

pub struct Payments {
    db: PgPool,
    provider: Arc<dyn PaymentProvider>,
    relay: Relay,
    metrics: Arc<Metrics>,
}

fn mint_payment_id() -> String {
    format!("pay_{:024x}", rand::random::<u128>() >> 32)
}

impl Payments {
    pub fn new(db: PgPool, provider: Arc<dyn PaymentProvider>, relay: Relay, metrics: Arc<Metrics>) -> Self {
        Self { db, provider, relay, metrics }
    }

    /// Hands `user`'s unpaid order to the provider. Paying again while a
    /// payment is in flight answers (and re-sends) that payment. 404 for an
    /// order that is not the user's; 409 for one no longer unpaid.
    #[tracing::instrument(skip_all, fields(%order_sn))]
    pub async fn pay(&self, user: UserId, order_sn: &OrderSn) -> Result<PaymentStarted> {
        let mut tx = self.db.begin().await?;
        let order: Option<(i64, String, i64, bool)> = sqlx::query_as(
            "SELECT user_id, status, total_cents, pay_by > now() FROM orders WHERE order_sn = $1 FOR UPDATE",
        )
        .bind(order_sn.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let (owner, status, total_cents, in_time) = match order {
            Some(order) if order.0 == user.get() => order,
            _ => return Err(AppError::not_found("order").into()),
        };
        if status != OrderStatus::Created.as_str() || !in_time {
            return Err(AppError::Conflict(Reason::OrderNotUnpaid).into());
        }
        let pending: Option<String> =
            sqlx::query_scalar("SELECT payment_id FROM payments WHERE order_sn = $1 AND status = 'pending'")
                .bind(order_sn.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        let payment_id = match pending {
            Some(id) => id,
            None => {
                let id = mint_payment_id();
                sqlx::query(
                    "INSERT INTO payments (payment_id, order_sn, provider, amount_cents) VALUES ($1, $2, $3, $4)",
                )
                .bind(&id)
                .bind(order_sn.as_str())
                .bind(self.provider.name())
                .bind(total_cents)
                .execute(&mut *tx)
                .await?;
                id
            }
        };
        tx.commit().await?;
        let started =
            Started { payment_id: payment_id.clone(), order_sn: order_sn.to_string(), amount_cents: total_cents };
        self.provider.start(&started).await?;
        tracing::info!(user_id = owner, %payment_id, provider = self.provider.name(), "payment handed to the provider");
        Ok(PaymentStarted {
            order_sn: order_sn.to_string(),
            status: OrderStatus::Created,
            payment_id,
            provider: self.provider.name().to_owned(),
        })
    }

    /// A provider's callback: verified, then settled once.
    #[tracing::instrument(skip_all)]
    pub async fn callback(&self, signature: Option<&str>, body: &[u8]) -> Result<Settled> {
        let notice = self.provider.verify(signature, body)?;
        let settled = settle(&self.db, &notice).await?;
        match settled {
            Settled::Paid => {
                self.metrics.orders_paid.inc();
                self.relay.notify();
                tracing::info!(order_sn = %notice.order_sn, payment_id = %notice.payment_id, "order paid");
            }
            Settled::Refunded => {
                tracing::warn!(order_sn = %notice.order_sn, "payment confirmed for a closed order; to be refunded")
            }
            Settled::Already => {}
        }
        Ok(settled)
    }
}
