//! The same purchase intent is one order: a retry with the same key waits for
//! the attempt in flight and gets its order, never "sold out" about the units
//! that order is taking.

use std::time::Duration;

use serde_json::json;

use crate::orders::Shop;

#[tokio::test]
async fn a_retry_while_the_first_attempt_commits_gets_that_order_not_sold_out() {
    let shop = Shop::open(1).await;
    let buyer = shop.app.register("viewer").await;
    let items = json!([{ "sku_id": shop.sku_id, "quantity": 1 }]);
    // Another transaction holds the SKU's row, so the first attempt waits
    // between its reserve (the last unit) and its commit.
    let blocker = shop.hold_sku_row().await;

    let first = shop.order(&buyer, "intent-1", items.clone());
    let retry = async {
        tokio::time::sleep(Duration::from_millis(400)).await;
        let retried = shop.order(&buyer, "intent-1", items.clone()).await;
        retried
    };
    let release = async {
        tokio::time::sleep(Duration::from_millis(900)).await;
        blocker.rollback().await.unwrap();
    };
    let (first, retried, ()) = tokio::join!(first, retry, release);

    assert_eq!(first.status(), 201);
    let first: serde_json::Value = first.json().await.unwrap();
    assert!([200, 201].contains(&retried.status().as_u16()), "{}", retried.status());
    let retried: serde_json::Value = retried.json().await.unwrap();
    assert_eq!(retried["order_sn"], first["order_sn"], "the retry answers the same order");
    assert_eq!(shop.orders().await, 1);
    assert_eq!(shop.pg_stock().await, 0);
}
