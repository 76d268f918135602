//! Injected faults (fault points compiled in with the `faults` feature, a
//! per-test proxy in front of Redis, SIGKILLed server processes): no order is
//! lost and nothing is oversold.

use std::time::Duration;

use redis::AsyncCommands;
use serde_json::Value;
use server::Fault;

use crate::{
    helpers::{assert_error, eventually, RedisProxy, TestApp},
    orders::Shop,
    processes::{sigkill, ServerProcess},
};

#[tokio::test]
async fn postgres_failing_after_the_reserve_gives_the_stock_back() {
    let shop = Shop::open(10).await;
    let viewer = shop.app.register("viewer").await;
    shop.app.state.orders.faults.arm("after_reserve", Fault::Fail);

    let response = shop.buy(&viewer, 3).await;

    assert_eq!(response.status(), 500);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "internal");
    assert!(!body.to_string().contains("injected"), "no internals in the error body");
    assert_eq!(shop.redis_stock().await, Some(10), "the reservation was restored");
    assert_eq!(shop.pg_stock().await, 10);
    assert_eq!(shop.orders().await, 0);
    shop.app.state.orders.faults.disarm("after_reserve");
    assert_eq!(shop.buy(&viewer, 3).await.status(), 201);
    assert_eq!(shop.redis_stock().await, Some(7));
}

#[tokio::test]
async fn a_process_killed_between_reserve_and_commit_has_its_reservation_swept_back() {
    let shop = Shop::open(10).await;
    let viewer = shop.app.register("viewer").await;
    let doomed = ServerProcess::start_with(
        &shop.app.database_url,
        &shop.app.redis_prefix,
        &[("LIVE_FAULT_POINTS", "after_reserve=hang")],
    )
    .await;
    let request = reqwest::Client::new()
        .post(format!("{}/api/orders", doomed.base))
        .bearer_auth(&viewer.token)
        .header("idempotency-key", "dies-midway")
        .json(
            &serde_json::json!({ "live_id": shop.live_id, "goods_items": [{ "sku_id": shop.sku_id, "quantity": 4 }] }),
        )
        .timeout(Duration::from_secs(30))
        .send();
    let pending = tokio::spawn(request);
    assert!(eventually(Duration::from_secs(10), || async { shop.redis_stock().await == Some(6) }).await, "reserved");

    sigkill(&doomed);
    let _ = pending.await;
    assert_eq!(shop.orders().await, 0);
    assert_eq!(shop.pg_stock().await, 10);
    assert_eq!(shop.redis_stock().await, Some(6), "the dead attempt still holds its reservation");

    let settled = server::sweep(&shop.app.db, shop.app.state.orders.stock.gate(), Duration::ZERO).await.unwrap();
    assert_eq!(settled, 1);
    assert_eq!(shop.redis_stock().await, Some(10), "the sweeper gave it back");
    // The client retries with the same key: one order, stock right.
    let retried =
        shop.order(&viewer, "dies-midway", serde_json::json!([{ "sku_id": shop.sku_id, "quantity": 4 }])).await;
    assert_eq!(retried.status(), 201);
    assert_eq!((shop.pg_stock().await, shop.redis_stock().await), (6, Some(6)));
}

#[tokio::test]
async fn a_failed_publish_is_logged_retried_with_backoff_and_delivered_once_the_fault_clears() {
    let shop = Shop::open(10).await;
    let viewer = shop.app.register("viewer").await;
    shop.app.state.orders.faults.arm("publish", Fault::Fail);

    let response = shop.buy(&viewer, 1).await;
    assert_eq!(response.status(), 201, "the order stands; only its event is late");
    let sn = response.json::<Value>().await.unwrap()["order_sn"].as_str().unwrap().to_owned();

    let log = || async {
        sqlx::query_as::<_, (i32, String, String)>(
            "SELECT retry_count, last_error_code, state FROM live_order_sync_fail_log WHERE order_sn = $1",
        )
        .bind(&sn)
        .fetch_optional(&shop.app.db)
        .await
        .unwrap()
    };
    let first = log().await.expect("a fail-log row");
    assert_eq!((first.0, first.1.as_str(), first.2.as_str()), (0, "injected_fault", "pending"));
    assert!(eventually(Duration::from_secs(8), || async { log().await.is_some_and(|r| r.0 >= 1) }).await, "retried");
    assert!(shop.stream_events().await.is_empty());

    let listed = shop.app.call("GET", "/api/ops/sync-failures", Some(&shop.owner), None).await;
    assert_eq!(listed.status(), 200);
    let rows: Value = listed.json().await.unwrap();
    assert_eq!(rows[0]["order_sn"], sn.as_str());
    for field in ["fail_time", "retry_count", "last_error_code", "state"] {
        assert!(rows[0].get(field).is_some(), "{field}");
    }
    assert_eq!(shop.app.call("GET", "/api/ops/sync-failures", Some(&viewer), None).await.status(), 403);

    shop.app.state.orders.faults.disarm("publish");
    let id = rows[0]["id"].as_i64().unwrap();
    let retry = shop.app.call("POST", &format!("/api/ops/sync-failures/{id}/retry"), Some(&shop.owner), None).await;
    assert_eq!(retry.status(), 202);
    assert!(eventually(Duration::from_secs(5), || async { log().await.is_some_and(|r| r.2 == "delivered") }).await);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let events = shop.stream_events().await;
    assert_eq!(events.len(), 1, "delivered exactly once");
    assert_eq!(events[0]["order_sn"], sn.as_str());
}

#[tokio::test]
async fn a_process_killed_between_commit_and_publish_loses_no_event() {
    let shop = Shop::open(10).await;
    let viewer = shop.app.register("viewer").await;
    let doomed = ServerProcess::start_with(
        &shop.app.database_url,
        &shop.app.redis_prefix,
        &[("LIVE_FAULT_POINTS", "after_commit=hang")],
    )
    .await;
    let pending = tokio::spawn(
        reqwest::Client::new()
            .post(format!("{}/api/orders", doomed.base))
            .bearer_auth(&viewer.token)
            .header("idempotency-key", "dies-after-commit")
            .json(&serde_json::json!({ "live_id": shop.live_id, "goods_items": [{ "sku_id": shop.sku_id, "quantity": 2 }] }))
            .timeout(Duration::from_secs(30))
            .send(),
    );
    assert!(eventually(Duration::from_secs(10), || async { shop.orders().await == 1 }).await, "committed");
    sigkill(&doomed);
    let _ = pending.await;
    assert!(shop.stream_events().await.is_empty(), "the dead process never published");

    // The outbox relay (the backup channel) of the surviving process delivers it.
    assert!(eventually(Duration::from_secs(15), || async { shop.stream_events().await.len() == 1 }).await);
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(shop.stream_events().await.len(), 1, "once");
    assert_eq!(shop.pg_stock().await, 8);
}

#[tokio::test]
async fn with_redis_unreachable_postgres_alone_decides_and_nothing_is_oversold() {
    let proxy = RedisProxy::start().await;
    let app = TestApp::spawn_with(&[("REDIS_URL", &proxy.url()), ("LIVE_RATE_LIMITS", "off")]).await;
    let shop = Shop::open_with(app, 5).await;
    let mut buyers = Vec::new();
    for _ in 0..10 {
        buyers.push(shop.app.register("viewer").await);
    }
    assert_eq!(shop.buy(&buyers[0], 1).await.status(), 201, "gated by Redis while it is up");

    proxy.cut();
    let attempts = (1..10).map(|i| shop.buy(&buyers[i], 1));
    let statuses: Vec<u16> = futures::future::join_all(attempts).await.iter().map(|r| r.status().as_u16()).collect();

    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 4, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 409 || *s == 503), "{statuses:?}");
    assert_eq!(shop.pg_stock().await, 0, "never below zero");
    assert_eq!(shop.orders().await, 5);

    proxy.restore();
    let orders = shop.app.state.orders.clone();
    assert!(
        eventually(Duration::from_secs(10), || async { !orders.stock.is_degraded() }).await,
        "Redis is used again once it answers"
    );
    assert_eq!(shop.redis_stock().await, Some(0), "its stock was rebuilt from Postgres before gating again");
    assert_error(shop.buy(&buyers[0], 1).await, 409, "sold_out").await;
    assert!(
        eventually(Duration::from_secs(15), || async { shop.stream_events().await.len() == 5 }).await,
        "every order's event arrives"
    );
}

#[tokio::test]
async fn a_statistics_consumer_killed_mid_batch_loses_and_doubles_nothing() {
    let app = TestApp::spawn_with(&[("LIVE_CLAIM_IDLE_MS", "500")]).await;
    let shop = Shop::open_with(app, 10).await;
    let viewer = shop.app.register("viewer").await;
    // This process's consumers stand aside; the doomed process's consumer takes the batch.
    shop.app.state.workers.pause();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let doomed = ServerProcess::start_with(
        &shop.app.database_url,
        &shop.app.redis_prefix,
        &[("LIVE_FAULT_POINTS", "stats_after_count=hang")],
    )
    .await;
    for _ in 0..3 {
        assert_eq!(shop.buy(&viewer, 1).await.status(), 201);
    }
    let counted = || async {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT order_sn, count(*) FROM live_order_stream GROUP BY order_sn")
                .fetch_all(&shop.app.db)
                .await
                .unwrap();
        rows
    };
    assert!(
        eventually(Duration::from_secs(10), || async { counted().await.len() == 1 }).await,
        "one counted, then stuck"
    );
    sigkill(&doomed);

    shop.app.state.workers.resume();
    let all = eventually(Duration::from_secs(10), || async { counted().await.len() == 3 }).await;
    assert!(all, "the survivor claims the dead consumer's pending entries: {:?}", counted().await);
    assert!(counted().await.iter().all(|(_, rows)| *rows == 1), "none twice");
    let key = shop.app.state.redis.keys.stream(server::Stream::Orders);
    let group = shop.app.state.redis.keys.group("order-stats");
    let acked = eventually(Duration::from_secs(5), || async {
        let mut redis = shop.app.redis.clone();
        let pending: redis::streams::StreamPendingReply = redis.xpending(&key, &group).await.unwrap();
        pending.count() == 0
    })
    .await;
    assert!(acked, "every entry acknowledged");
}
