//! The live center: every committed order counted once in the statistics,
//! whatever happens to Redis; the `live_goods_sales` view and the figures
//! that arrived since its refresh; the 60-second window; the dashboard.

use std::{process::Stdio, time::Duration};

use redis::AsyncCommands;
use serde_json::{json, Value};
use tokio::process::{Child, Command};

use crate::{
    helpers::{assert_error, eventually, free_port, TestApp},
    orders::Shop,
};

async fn dashboard(shop: &Shop) -> Value {
    let path = format!("/api/live/{}/dashboard", shop.live_id);
    let response = shop.app.call("GET", &path, Some(&shop.owner), None).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Rows per order in `live_order_stream`.
async fn counted(app: &TestApp) -> Vec<(String, i64)> {
    sqlx::query_as("SELECT order_sn, count(*) FROM live_order_stream GROUP BY order_sn ORDER BY order_sn")
        .fetch_all(&app.db)
        .await
        .unwrap()
}

/// `SELECT live_id, sku_id, SUM(order_quantity), COUNT(DISTINCT user_id)` of the source design.
async fn group_by(app: &TestApp) -> Vec<(i64, i64, i64, i64)> {
    sqlx::query_as(
        "SELECT live_id, sku_id, SUM(order_quantity)::BIGINT, COUNT(DISTINCT user_id)
           FROM live_order_stream GROUP BY live_id, sku_id ORDER BY live_id, sku_id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap()
}

async fn view(app: &TestApp) -> Vec<(i64, i64, i64, i64)> {
    sqlx::query_as("SELECT live_id, sku_id, total_sales, uv FROM live_goods_sales ORDER BY live_id, sku_id")
        .fetch_all(&app.db)
        .await
        .unwrap()
}

/// Stream rows as the consumer writes them, for buyers `users` of `sku_id`.
async fn stream_rows(app: &TestApp, live_id: i64, sku_id: i64, users: &[(i64, i32)], tag: &str) {
    for (n, (user, quantity)) in users.iter().enumerate() {
        sqlx::query(
            "INSERT INTO live_order_stream (order_sn, live_id, user_id, sku_id, order_quantity, amount_cents, ordered_at)
             VALUES ($1, $2, $3, $4, $5, $5 * 100, now())",
        )
        .bind(format!("20261129{tag}{n:06}"))
        .bind(live_id)
        .bind(user)
        .bind(sku_id)
        .bind(quantity)
        .execute(&app.db)
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn an_order_event_delivered_twice_counts_once() {
    let shop = Shop::open(10).await;
    let app = &shop.app;
    let buyer = app.register("viewer").await;
    assert_eq!(shop.buy(&buyer, 3).await.status(), 201);
    assert!(eventually(Duration::from_secs(5), || async { counted(app).await.len() == 1 }).await);
    // The same stream entry once more, as a redelivery after a crash would bring it.
    let key = app.state.redis.keys.stream(server::Stream::Orders);
    let mut redis = app.redis.clone();
    let entries: redis::streams::StreamRangeReply = redis.xrange_all(&key).await.unwrap();
    let entry = entries.ids.last().unwrap();
    let fields: Vec<(String, String)> =
        entry.map.iter().map(|(k, v)| (k.clone(), redis::from_redis_value_ref::<String>(v).unwrap())).collect();
    let _: String = redis.xadd(&key, "*", &fields).await.unwrap();
    assert!(
        eventually(Duration::from_secs(5), || async {
            let pending: redis::streams::StreamPendingReply = redis::cmd("XPENDING")
                .arg(&key)
                .arg(app.state.redis.keys.group("order-stats"))
                .query_async(&mut app.redis.clone())
                .await
                .unwrap();
            let groups: Vec<std::collections::HashMap<String, redis::Value>> =
                redis::cmd("XINFO").arg("GROUPS").arg(&key).query_async(&mut app.redis.clone()).await.unwrap();
            pending.count() == 0 && groups.iter().all(|g| g.get("lag") == Some(&redis::Value::Int(0)))
        })
        .await,
        "the copy was consumed"
    );
    assert_eq!(counted(app).await.iter().map(|c| c.1).collect::<Vec<_>>(), [1]);
    let board = dashboard(&shop).await;
    assert_eq!(board["sales"][0]["total_sales"], 3);
    assert_eq!(board["sales"][0]["uv"], 1);
    assert_eq!(board["orders_last_60s"], 1);
}

/// A Redis of the test's own, which it can restart (Redis here keeps nothing on disk).
struct OwnRedis {
    port: u16,
    child: Child,
}

impl OwnRedis {
    async fn start(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server starts");
        let url = format!("redis://127.0.0.1:{port}/0");
        let up = eventually(Duration::from_secs(5), || async {
            match redis::Client::open(url.as_str()).unwrap().get_multiplexed_async_connection().await {
                Ok(mut conn) => redis::cmd("PING").query_async::<String>(&mut conn).await.is_ok(),
                Err(_) => false,
            }
        })
        .await;
        assert!(up, "the test's Redis answers");
        Self { port, child }
    }

    async fn restart(mut self) -> Self {
        self.child.kill().await.unwrap();
        Self::start(self.port).await
    }
}

#[tokio::test]
async fn orders_published_then_wiped_by_a_redis_restart_are_counted_after_reconciliation_and_later_ones_from_their_events(
) {
    let redis = OwnRedis::start(free_port()).await;
    let url = format!("redis://127.0.0.1:{}/0", redis.port);
    let app = TestApp::spawn_with(&[("REDIS_URL", &url), ("LIVE_STATS_GRACE_MS", "300")]).await;
    let shop = Shop::open_with(app, 10).await;
    let app = &shop.app;
    let buyer = app.register("viewer").await;
    // The consumers stop; the orders' events wait in the stream, published but not delivered.
    app.state.workers.pause();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    for _ in 0..3 {
        assert_eq!(shop.buy(&buyer, 1).await.status(), 201);
    }
    assert!(counted(app).await.is_empty());
    // A group's events are published just after its buyers are answered: the
    // restart must come after all three are on the stream, for the test to be
    // about events lost with Redis (and not events published after it).
    let key = app.state.redis.keys.stream(server::Stream::Orders);
    let published = eventually(Duration::from_secs(5), || async {
        app.redis.clone().xlen::<_, usize>(&key).await.unwrap_or(0) >= 3
    })
    .await;
    assert!(published, "the three order events reached the stream before the restart");
    let redis = redis.restart().await;
    app.state.workers.resume();

    let caught_up = eventually(Duration::from_secs(10), || async { counted(app).await.len() == 3 }).await;
    assert!(caught_up, "every committed order ends in the statistics: {:?}", counted(app).await);
    assert!(counted(app).await.iter().all(|(_, rows)| *rows == 1), "once each");
    assert_eq!(app.metric("stats_reconciler_catch_ups_total").await, 3.0);
    let board = dashboard(&shop).await;
    assert_eq!(board["orders_last_60s"], 3, "the window is rebuilt from Postgres: {board}");
    assert_eq!(board["orders_per_second"].as_array().unwrap().iter().map(|n| n.as_i64().unwrap()).sum::<i64>(), 3);
    assert_eq!(board["sales"][0]["total_sales"], 3);
    assert_eq!(board["sales"][0]["uv"], 1);
    // The restart took the consumer group with it; the consumers made it
    // again, so the next order is counted from its event, not by the reconciler.
    assert_eq!(shop.buy(&buyer, 1).await.status(), 201);
    let consumed = eventually(Duration::from_secs(5), || async { counted(app).await.len() == 4 }).await;
    assert!(consumed, "the order after the restart is counted: {:?}", counted(app).await);
    assert_eq!(app.metric("stats_reconciler_catch_ups_total").await, 3.0, "counted by the consumer group");
    drop(redis);
}

/// Refreshes the view from this process, once the app's own refresher (which
/// may hold the lock for its first pass) lets it.
async fn refresh_now(app: &TestApp) {
    let refreshed = eventually(Duration::from_secs(10), || async {
        server::refresh_view(&app.db, Duration::ZERO).await.unwrap().is_some()
    })
    .await;
    assert!(refreshed, "the view was refreshed");
}

#[tokio::test]
async fn the_view_equals_the_source_group_by_and_the_dashboard_adds_what_arrived_since_with_exact_uv() {
    let shop = Shop::open(10).await;
    let app = &shop.app;
    let (_, second_sku) = app.create_goods(&shop.owner, "Second", 10).await;
    stream_rows(app, shop.live_id, shop.sku_id, &[(1, 2), (2, 1), (3, 5)], "01").await;
    stream_rows(app, shop.live_id, second_sku, &[(1, 1)], "02").await;
    refresh_now(app).await;
    assert_eq!(view(app).await, group_by(app).await, "the view after refresh is the source's GROUP BY");
    let before = view(app).await;

    // After the refresh: buyer 1 again (counted once), buyer 4 new.
    stream_rows(app, shop.live_id, shop.sku_id, &[(1, 4), (4, 1)], "03").await;
    assert_eq!(view(app).await, before, "the view waits for its next refresh");
    let board = dashboard(&shop).await;
    let expected = group_by(app).await;
    let shown: Vec<(i64, i64, i64, i64)> = board["sales"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (shop.live_id, s["sku_id"].as_i64().unwrap(), s["total_sales"].as_i64().unwrap(), s["uv"].as_i64().unwrap())
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(shown, expected, "the dashboard is the view plus the delta, with exact UV");
    assert_eq!(board["sales"][0]["sku_id"], shop.sku_id, "best-selling first");
    assert_eq!(board["sales"][0]["uv"], 4);
    assert!(board["view_as_of"].is_string());
    assert!(server::refresh_view(&app.db, Duration::from_secs(300)).await.unwrap().is_none(), "not due yet");
    refresh_now(app).await;
    assert_eq!(view(app).await, expected);
}

#[tokio::test]
async fn the_sixty_second_window_counts_the_last_minute_per_second_and_drops_older_orders() {
    let shop = Shop::open(10).await;
    let app = &shop.app;
    for (sn, seconds_ago) in [("2026112991000001", 2), ("2026112991000002", 30), ("2026112991000003", 90)] {
        sqlx::query(
            "INSERT INTO live_order_stream (order_sn, live_id, user_id, sku_id, order_quantity, amount_cents, ordered_at)
             VALUES ($1, $2, 1, $3, 1, 100, now() - make_interval(secs => $4))",
        )
        .bind(sn)
        .bind(shop.live_id)
        .bind(shop.sku_id)
        .bind(seconds_ago as f64)
        .execute(&app.db)
        .await
        .unwrap();
    }
    let board = dashboard(&shop).await;
    assert_eq!(board["orders_last_60s"], 2, "rebuilt from Postgres, the 90 s old order is outside: {board}");
    let series: Vec<i64> = board["orders_per_second"].as_array().unwrap().iter().map(|n| n.as_i64().unwrap()).collect();
    assert_eq!(series.len(), 60);
    assert_eq!(series.iter().sum::<i64>(), 2);
    assert!(series[55..].iter().sum::<i64>() == 1, "the 2 s old order is in the last seconds: {series:?}");

    // The set is trimmed to the last hour as orders arrive.
    let key = app.state.redis.keys.room_orders(app::ids::LiveId::new(shop.live_id).unwrap());
    let mut redis = app.redis.clone();
    let two_hours_ago = chrono::Utc::now().timestamp_millis() - 7_200_000;
    let _: () = redis.zadd(&key, "2026112990000009", two_hours_ago).await.unwrap();
    let buyer = app.register("viewer").await;
    assert_eq!(shop.buy(&buyer, 1).await.status(), 201);
    assert!(eventually(Duration::from_secs(5), || async { dashboard(&shop).await["orders_last_60s"] == 3 }).await);
    let kept: Option<f64> = redis.zscore(&key, "2026112990000009").await.unwrap();
    assert_eq!(kept, None, "an order older than the kept hour is trimmed");
}

#[tokio::test]
async fn the_dashboard_shows_gmv_by_status_the_funnel_and_the_ticker_to_the_owner_only() {
    let shop = Shop::open(10).await;
    let app = &shop.app;
    let code = app.tracking_code(shop.live_id, shop.spu_id).await;
    for event in ["click", "click", "view"] {
        let beacon = json!({ "event": event, "live_id": shop.live_id, "spu_id": shop.spu_id, "tracking_code": code, "trace_id": "t-1" });
        assert_eq!(app.call("POST", "/api/track", None, Some(beacon)).await.status(), 204);
    }
    let buyer = app.register("viewer").await;
    let order = |quantity: i64| {
        let body = json!({ "live_id": shop.live_id, "goods_items": [{ "sku_id": shop.sku_id, "quantity": quantity }],
                           "tracking_code": code, "trace_id": "t-1" });
        reqwest::Client::new()
            .post(app.url("/api/orders"))
            .bearer_auth(&buyer.token)
            .header("idempotency-key", uuid::Uuid::new_v4().to_string())
            .json(&body)
            .send()
    };
    let first: Value = order(1).await.unwrap().json().await.unwrap();
    let second: Value = order(2).await.unwrap().json().await.unwrap();
    let paid_sn = first["order_sn"].as_str().unwrap();
    app.call("POST", &format!("/api/orders/{paid_sn}/pay"), Some(&buyer), None).await;
    let cancelled_sn = second["order_sn"].as_str().unwrap();
    app.call("POST", &format!("/api/orders/{cancelled_sn}/cancel"), Some(&buyer), None).await;
    let settled = eventually(Duration::from_secs(5), || async {
        let board = dashboard(&shop).await;
        board["paid_gmv_cents"] == 1990 && board["sales"][0]["total_sales"] == 3
    })
    .await;
    assert!(settled, "{}", dashboard(&shop).await);
    let board = dashboard(&shop).await;
    assert_eq!(board["gmv_cents"], 3 * 1990, "placed GMV counts every order, as the view does");
    assert_eq!(board["closed_gmv_cents"], 2 * 1990);
    assert_eq!(board["orders"], json!({ "placed": 2, "unpaid": 0, "paid": 1, "expired": 0, "cancelled": 1 }));
    assert_eq!(board["funnel"]["clicks"], 2);
    assert_eq!(board["funnel"]["views"], 1);
    assert_eq!(board["funnel"]["orders"], 2);
    assert_eq!(board["funnel"]["paid"], 1);
    assert_eq!(board["funnel"]["view_rate"], 0.5);
    assert_eq!(board["recent_orders"][0]["order_sn"], cancelled_sn, "newest first");
    assert_eq!(board["recent_orders"][0]["status"], "cancelled");
    assert_eq!(board["recent_orders"][1]["status"], "paid");
    assert_eq!(board["viewers"], 0);
    assert!(board["as_of"].is_string());

    let path = format!("/api/live/{}/dashboard", shop.live_id);
    assert_error(app.call("GET", &path, None, None).await, 401, "unauthorized").await;
    assert_error(app.call("GET", &path, Some(&buyer), None).await, 403, "forbidden").await;
    let other = app.register("streamer").await;
    assert_error(app.call("GET", &path, Some(&other), None).await, 403, "forbidden").await;
    assert_error(app.call("GET", "/api/live/999999/dashboard", Some(&other), None).await, 404, "not_found").await;
    assert_error(app.call("GET", "/api/live/x/dashboard", Some(&other), None).await, 400, "bad_request").await;
}

#[tokio::test]
async fn a_recorded_room_sells_on_through_its_replay_and_the_funnel_counts_the_replay_apart() {
    let shop = Shop::open(10).await;
    let app = &shop.app;
    let code = app.tracking_code(shop.live_id, shop.spu_id).await;
    let beacon = |event: &str, source: Option<&str>| {
        let mut body = json!({ "event": event, "live_id": shop.live_id, "spu_id": shop.spu_id, "tracking_code": code });
        if let Some(source) = source {
            body["source_type"] = json!(source);
        }
        body
    };
    for (event, source) in
        [("click", None), ("click", Some("live")), ("click", Some("replay")), ("view", Some("replay"))]
    {
        assert_eq!(app.call("POST", "/api/track", None, Some(beacon(event, source))).await.status(), 204);
    }
    let bad = app.call("POST", "/api/track", None, Some(beacon("click", Some("rerun")))).await;
    assert!(bad.status() == 400 || bad.status() == 422, "{}", bad.status());
    let buyer = app.register("viewer").await;
    let order = |key: String, source: Option<&'static str>| {
        let mut body = json!({ "live_id": shop.live_id, "goods_items": [{ "sku_id": shop.sku_id, "quantity": 1 }],
                               "tracking_code": code, "trace_id": "t-replay" });
        if let Some(source) = source {
            body["source_type"] = json!(source);
        }
        let request = reqwest::Client::new()
            .post(app.url("/api/orders"))
            .bearer_auth(&buyer.token)
            .header("idempotency-key", key)
            .json(&body);
        async move { request.send().await.unwrap() }
    };
    assert_eq!(order("k-live".into(), None).await.status(), 201);
    let end = format!("/api/live/{}/end", shop.live_id);
    assert_eq!(app.call("POST", &end, Some(&shop.owner), None).await.status(), 200);
    assert_error(order("k-after-end".into(), Some("live")).await, 409, "conflict").await;
    assert_error(order("k-no-recording".into(), Some("replay")).await, 409, "conflict").await;
    let unknown = order("k-bad".into(), Some("rerun")).await;
    assert!(unknown.status() == 400 || unknown.status() == 422, "{}", unknown.status());

    // The room was recorded: its replay sells on (facts are at most a second old).
    sqlx::query(
        "INSERT INTO live_segments (live_id, name, start_ms, duration_ms) VALUES ($1, '1700000000000.ts', 0, 2000)",
    )
    .bind(shop.live_id)
    .execute(&app.db)
    .await
    .unwrap();
    let mut attempt = 0;
    let placed = eventually(Duration::from_secs(5), || {
        attempt += 1;
        let key = format!("k-replay-{attempt}");
        async move { order(key, Some("replay")).await.status() == 201 }
    })
    .await;
    assert!(placed, "a replay order for a recorded, ended room is taken");
    let key = format!("k-replay-{attempt}");
    assert_error(order("k-live-after-recording".into(), None).await, 409, "conflict").await;
    let again = order(key.clone(), Some("replay")).await;
    assert!(again.status() == 200 || again.status() == 201, "a retry is the same order");
    let replay_sn = again.json::<Value>().await.unwrap()["order_sn"].as_str().unwrap().to_owned();
    assert_error(order(key, None).await, 409, "conflict").await;
    app.call("POST", &format!("/api/orders/{replay_sn}/pay"), Some(&buyer), None).await;
    let settled = eventually(Duration::from_secs(5), || async { dashboard(&shop).await["funnel"]["paid"] == 1 }).await;
    assert!(settled, "{}", dashboard(&shop).await);

    let funnel = dashboard(&shop).await["funnel"].clone();
    assert_eq!([&funnel["clicks"], &funnel["views"], &funnel["orders"]], [&json!(3), &json!(1), &json!(2)]);
    assert_eq!(funnel["replay"], json!({ "clicks": 1, "views": 1, "orders": 1, "paid": 1 }));
    let sources: Vec<(String,)> =
        sqlx::query_as("SELECT source_type FROM orders ORDER BY id").fetch_all(&app.db).await.unwrap();
    assert_eq!(sources, [("live".to_owned(),), ("replay".to_owned(),)], "refused orders made none");
}
