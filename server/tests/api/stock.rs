//! The gate's counters converge to the record: never "sold out" while
//! Postgres has stock, whatever the order of binds, restocks, releases,
//! commits and reconciles, and whatever Redis went through.

use std::time::Duration;

use app::ids::{LiveId, SkuId};
use redis::AsyncCommands;
use serde_json::json;

use crate::{
    helpers::{eventually, TestApp},
    orders::Shop,
    proxy::RedisProxy,
};

impl Shop {
    async fn set_stock(&self, stock: i64) -> u16 {
        let path = format!("/api/goods/{}/skus/{}/stock", self.spu_id, self.sku_id);
        self.app.call("PUT", &path, Some(&self.owner), Some(json!({ "stock": stock }))).await.status().as_u16()
    }

    /// Units the room's open attempts hold of the SKU.
    async fn held(&self) -> i64 {
        let (live, sku) = (LiveId::new(self.live_id).unwrap(), SkuId::new(self.sku_id).unwrap());
        let keys = &self.app.state.redis.keys;
        let mut redis = self.app.redis.clone();
        let open: Vec<String> = redis.zrange(keys.open_reservations(live), 0, -1).await.unwrap();
        let mut held = 0;
        for xid in open {
            let key = format!("{}{xid}", keys.reservation_prefix(live));
            let qty: Option<i64> = redis.hget(key, keys.stock(live, sku)).await.unwrap();
            held += qty.unwrap_or(0);
        }
        held
    }
}

#[tokio::test]
async fn a_product_unbound_restocked_and_bound_again_sells_its_new_stock() {
    let shop = Shop::open(1).await;
    let buyer = shop.app.register("viewer").await;
    assert_eq!(shop.buy(&buyer, 1).await.status(), 201, "the last unit sold");
    let unbind = format!("/api/live/{}/goods/{}", shop.live_id, shop.spu_id);
    assert_eq!(shop.app.call("DELETE", &unbind, Some(&shop.owner), None).await.status(), 204);

    assert_eq!(shop.set_stock(5).await, 200);
    assert_eq!(shop.app.bind(&shop.owner, shop.live_id, shop.spu_id).await.status(), 201);

    assert_eq!(shop.redis_stock().await, Some(5), "the bind started the counter from the record");
    assert_eq!(shop.buy(&buyer, 2).await.status(), 201, "never sold out while Postgres has stock");
}

#[tokio::test]
async fn a_restock_whose_counter_update_failed_is_corrected_by_the_reconciler() {
    let proxy = RedisProxy::start().await;
    let app = TestApp::spawn_with(&[("REDIS_URL", &proxy.url()), ("LIVE_RECONCILE_INTERVAL_MS", "200")]).await;
    let shop = Shop::open_with(app, 1).await;
    let buyer = shop.app.register("viewer").await;
    assert_eq!(shop.buy(&buyer, 1).await.status(), 201);
    // A reconcile pass racing the order may leave the counter a unit high
    // (never low) for one pass.
    assert!(eventually(Duration::from_secs(2), || async { shop.redis_stock().await == Some(0) }).await);

    proxy.cut();
    assert_eq!(shop.set_stock(4).await, 200, "the record takes the restock while Redis is away");
    proxy.restore();

    assert!(
        eventually(Duration::from_secs(5), || async { shop.redis_stock().await == Some(4) }).await,
        "the periodic reconciler corrected the counter"
    );
    assert_eq!(shop.buy(&buyer, 1).await.status(), 201);
    let metrics = shop.app.get("/metrics").await.text().await.unwrap();
    let corrected = metrics
        .lines()
        .find_map(|l| l.strip_prefix("stock_drift_corrected_total "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    assert!(corrected >= 4.0, "the correction is exported as a metric: {corrected}");
}

#[tokio::test]
async fn orders_releases_restocks_and_reconciles_racing_leave_every_counter_equal_to_the_record() {
    let app = TestApp::spawn_with(&[("LIVE_RATE_LIMITS", "off"), ("LIVE_RECONCILE_INTERVAL_MS", "100")]).await;
    let shop = Shop::open_with(app, 400).await;
    let rule = format!("/api/live/{}/skus/{}/sale", shop.live_id, shop.sku_id);
    let limited = shop.app.call("PUT", &rule, Some(&shop.owner), Some(json!({ "per_user_limit": 12 }))).await;
    assert_eq!(limited.status(), 200, "past the limit an attempt is refused after its reserve: a release");
    let mut buyers = Vec::new();
    for _ in 0..12 {
        buyers.push(shop.app.register("viewer").await);
    }
    let until = tokio::time::Instant::now() + Duration::from_secs(8);

    let orders = buyers.iter().map(|buyer| {
        let shop = &shop;
        async move {
            while tokio::time::Instant::now() < until {
                let status = shop.buy(buyer, 1 + (rand_u64() % 3) as i64).await.status().as_u16();
                assert!([201, 409].contains(&status), "{status}");
            }
        }
    });
    let restocks = async {
        while tokio::time::Instant::now() < until {
            assert_eq!(shop.set_stock(200 + (rand_u64() % 200) as i64).await, 200);
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    };
    let reconciles = async {
        while tokio::time::Instant::now() < until {
            server::reconcile(&shop.app.db, shop.app.state.orders.stock.gate()).await.unwrap();
        }
    };
    tokio::join!(futures::future::join_all(orders), restocks, reconciles);

    assert!(
        eventually(Duration::from_secs(5), || async {
            shop.redis_stock().await == Some(shop.pg_stock().await - shop.held().await)
        })
        .await,
        "counter {:?}, Postgres {}, held {}",
        shop.redis_stock().await,
        shop.pg_stock().await,
        shop.held().await
    );
}

fn rand_u64() -> u64 {
    u64::from_le_bytes(uuid::Uuid::new_v4().as_bytes()[..8].try_into().unwrap())
}

#[tokio::test]
async fn one_redis_failure_lets_postgres_decide_that_order_and_the_next_is_gated_again() {
    let proxy = RedisProxy::start().await;
    let app = TestApp::spawn_with(&[("REDIS_URL", &proxy.url()), ("LIVE_RATE_LIMITS", "off")]).await;
    let shop = Shop::open_with(app, 10).await;
    let buyer = shop.app.register("viewer").await;

    proxy.cut();
    assert_eq!(shop.buy(&buyer, 1).await.status(), 201, "Postgres decided alone");
    proxy.restore();
    assert!(!shop.app.state.orders.stock.is_degraded(), "one failure does not switch the process over");
    let redis = shop.app.state.redis.clone();
    assert!(eventually(Duration::from_secs(3), || async { redis.ping(Duration::from_millis(300)).await }).await);

    assert_eq!(shop.buy(&buyer, 1).await.status(), 201);
    assert_eq!(shop.pg_stock().await, 8);
    assert_eq!(shop.redis_stock().await, Some(8), "the SKU Postgres sold alone was corrected before gating again");
}

#[tokio::test]
async fn consecutive_redis_failures_switch_the_process_to_postgres_alone_until_redis_returns() {
    let proxy = RedisProxy::start().await;
    let app = TestApp::spawn_with(&[("REDIS_URL", &proxy.url()), ("LIVE_RATE_LIMITS", "off")]).await;
    let shop = Shop::open_with(app, 10).await;
    let buyer = shop.app.register("viewer").await;

    proxy.cut();
    for _ in 0..3 {
        assert_eq!(shop.buy(&buyer, 1).await.status(), 201);
    }
    assert!(shop.app.state.orders.stock.is_degraded());
    proxy.restore();

    let orders = shop.app.state.orders.clone();
    assert!(eventually(Duration::from_secs(5), || async { !orders.stock.is_degraded() }).await);
    assert_eq!(shop.redis_stock().await, Some(7), "its counter was corrected before it gated again");
}

#[tokio::test]
async fn a_postgres_statement_timeout_answers_503_not_500_and_takes_nothing() {
    let app = TestApp::spawn_with(&[("LIVE_ORDER_STATEMENT_TIMEOUT_MS", "300")]).await;
    let shop = Shop::open_with(app, 5).await;
    let buyer = shop.app.register("viewer").await;
    let blocker = shop.hold_sku_row().await;

    let response = shop.buy(&buyer, 1).await;

    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable");
    blocker.rollback().await.unwrap();
    assert_eq!(shop.pg_stock().await, 5);
    assert_eq!(shop.redis_stock().await, Some(5), "the hold was released");
}
