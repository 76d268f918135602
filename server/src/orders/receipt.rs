//! Reading orders back: the receipt of an order, the order an idempotency key
//! already made, and whether an attempt's XID committed.

use app::{
    error::{AppError, Reason},
    ids::{LiveId, SkuId, UserId},
    model::{OrderItem, OrderReceipt, OrderStatus},
};
use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::PgPool;

use super::{request::IdempotencyKey, OrderSn, Quantity, Xid};
use crate::error::Result;

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: i64,
    #[sqlx(try_from = "String")]
    order_sn: OrderSn,
    #[sqlx(try_from = "String")]
    xid: Xid,
    #[sqlx(try_from = "String")]
    status: OrderStatus,
    #[sqlx(try_from = "i64")]
    live_id: LiveId,
    #[sqlx(try_from = "i64")]
    user_id: UserId,
    total_cents: i64,
    created_at: DateTime<Utc>,
    pay_by: Option<DateTime<Utc>>,
    paid_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct ItemRow {
    #[sqlx(try_from = "i64")]
    sku_id: SkuId,
    #[sqlx(try_from = "i32")]
    quantity: Quantity,
}

const ORDER_COLUMNS: &str = "id, order_sn, xid, status, live_id, user_id, total_cents, created_at, pay_by, paid_at";
/// How many orders "my orders" lists.
const MINE: i64 = 100;

/// An order's receipt by its number.
pub async fn receipt(db: &PgPool, order_sn: &OrderSn) -> Result<Option<OrderReceipt>> {
    let row: Option<OrderRow> = sqlx::query_as(&format!("SELECT {ORDER_COLUMNS} FROM orders WHERE order_sn = $1"))
        .bind(order_sn.as_str())
        .fetch_optional(db)
        .await?;
    let Some(order) = row else { return Ok(None) };
    let items: Vec<ItemRow> =
        sqlx::query_as("SELECT sku_id, quantity FROM order_items WHERE order_id = $1 ORDER BY sku_id")
            .bind(order.id)
            .fetch_all(db)
            .await?;
    Ok(Some(to_receipt(order, items)))
}

/// The user's most recent orders, newest first.
pub async fn mine(db: &PgPool, user: UserId) -> Result<Vec<OrderReceipt>> {
    let orders: Vec<OrderRow> =
        sqlx::query_as(&format!("SELECT {ORDER_COLUMNS} FROM orders WHERE user_id = $1 ORDER BY id DESC LIMIT $2"))
            .bind(user.get())
            .bind(MINE)
            .fetch_all(db)
            .await?;
    let ids: Vec<i64> = orders.iter().map(|o| o.id).collect();
    let items: Vec<(i64, i64, i32)> = sqlx::query_as(
        "SELECT order_id, sku_id, quantity FROM order_items WHERE order_id = ANY($1) ORDER BY order_id, sku_id",
    )
    .bind(&ids)
    .fetch_all(db)
    .await?;
    orders
        .into_iter()
        .map(|order| {
            let own = items
                .iter()
                .filter(|(id, _, _)| *id == order.id)
                .map(|(_, sku, qty)| {
                    Ok(ItemRow {
                        sku_id: SkuId::new(*sku).map_err(anyhow::Error::from)?,
                        quantity: Quantity::try_from(*qty).map_err(anyhow::Error::from)?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(to_receipt(order, own))
        })
        .collect()
}

fn to_receipt(order: OrderRow, items: Vec<ItemRow>) -> OrderReceipt {
    let time = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
    OrderReceipt {
        order_sn: order.order_sn.into_string(),
        xid: order.xid.to_string(),
        status: order.status,
        live_id: order.live_id,
        user_id: order.user_id,
        goods_items: items.into_iter().map(|i| OrderItem { sku_id: i.sku_id, quantity: i.quantity.wide() }).collect(),
        total_cents: order.total_cents,
        created_at: time(order.created_at),
        pay_by: order.pay_by.filter(|_| order.status == OrderStatus::Created).map(time),
        paid_at: order.paid_at.map(time),
    }
}

/// The order a previous attempt with this key made; 409 if its body differed.
pub async fn existing(
    db: &PgPool,
    user: UserId,
    key: &IdempotencyKey,
    fingerprint: &str,
) -> Result<Option<OrderReceipt>> {
    let found: Option<(String, String)> =
        sqlx::query_as("SELECT order_sn, request_hash FROM orders WHERE user_id = $1 AND idempotency_key = $2")
            .bind(user.get())
            .bind(key.as_str())
            .fetch_optional(db)
            .await?;
    match found {
        None => Ok(None),
        Some((_, hash)) if hash != fingerprint => Err(AppError::Conflict(Reason::IdempotencyReused).into()),
        Some((order_sn, _)) => receipt(db, &OrderSn::try_from(order_sn).map_err(anyhow::Error::from)?).await,
    }
}

/// Which of these attempts committed an order.
pub async fn committed_among(db: &PgPool, xids: &[Xid]) -> Result<Vec<Xid>> {
    if xids.is_empty() {
        return Ok(Vec::new());
    }
    let names: Vec<&str> = xids.iter().map(Xid::as_str).collect();
    let found: Vec<String> =
        sqlx::query_scalar("SELECT xid FROM orders WHERE xid = ANY($1)").bind(&names).fetch_all(db).await?;
    found.into_iter().map(|x| Ok(Xid::try_from(x).map_err(anyhow::Error::from)?)).collect()
}

/// Whether the attempt `xid` committed an order.
pub async fn committed(db: &PgPool, xid: &Xid) -> Result<bool> {
    let committed = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM orders WHERE xid = $1)")
        .bind(xid.as_str())
        .fetch_one(db)
        .await?;
    Ok(committed)
}
