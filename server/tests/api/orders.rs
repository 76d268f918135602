//! Placing orders: the contract, idempotency, bad input, flash-sale rules and
//! flash-sale concurrency, against real Postgres and Redis.

use std::time::Duration;

use app::ids::{LiveId, SkuId};
use redis::AsyncCommands;
use serde_json::{json, Value};

use crate::helpers::{assert_error, eventually, TestApp, TestUser};

pub struct Shop {
    pub app: TestApp,
    pub owner: TestUser,
    pub live_id: i64,
    pub spu_id: i64,
    pub sku_id: i64,
}

impl Shop {
    /// A room with one bound product of one SKU with `stock`.
    pub async fn open(stock: i64) -> Self {
        Self::open_with(TestApp::spawn().await, stock).await
    }

    pub async fn open_with(app: TestApp, stock: i64) -> Self {
        let owner = app.register("streamer").await;
        let (live_id, _) = app.room_with_goods(&owner, &[]).await;
        let (spu_id, sku_id) = app.create_goods(&owner, "Flash tea", stock).await;
        assert_eq!(app.bind(&owner, live_id, spu_id).await.status(), 201);
        Self { app, owner, live_id, spu_id, sku_id }
    }

    pub async fn order(&self, user: &TestUser, key: &str, items: Value) -> reqwest::Response {
        reqwest::Client::new()
            .post(self.app.url("/api/orders"))
            .bearer_auth(&user.token)
            .header("idempotency-key", key)
            .json(&json!({ "live_id": self.live_id, "goods_items": items, "tracking_code": "tc1", "trace_id": "trace-1" }))
            .send()
            .await
            .unwrap()
    }

    /// Another transaction holding the SKU's row: an order waits on it between
    /// its reserve and its stock update until the transaction ends.
    pub async fn hold_sku_row(&self) -> sqlx::Transaction<'static, sqlx::Postgres> {
        let mut blocker = self.app.db.begin().await.unwrap();
        sqlx::query("SELECT stock FROM skus WHERE id = $1 FOR UPDATE")
            .bind(self.sku_id)
            .execute(&mut *blocker)
            .await
            .unwrap();
        blocker
    }

    pub async fn buy(&self, user: &TestUser, quantity: i64) -> reqwest::Response {
        self.order(user, &uuid::Uuid::new_v4().to_string(), json!([{ "sku_id": self.sku_id, "quantity": quantity }]))
            .await
    }

    pub async fn pg_stock(&self) -> i64 {
        sqlx::query_scalar::<_, i32>("SELECT stock FROM skus WHERE id = $1")
            .bind(self.sku_id)
            .fetch_one(&self.app.db)
            .await
            .unwrap()
            .into()
    }

    pub async fn redis_stock(&self) -> Option<i64> {
        let key = self.app.state.redis.keys.stock(LiveId::new(self.live_id).unwrap(), SkuId::new(self.sku_id).unwrap());
        let mut redis = self.app.redis.clone();
        redis.get(key).await.unwrap()
    }

    pub async fn orders(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM orders").fetch_one(&self.app.db).await.unwrap()
    }

    /// Order events on the order stream.
    pub async fn stream_events(&self) -> Vec<Value> {
        let key = self.app.state.redis.keys.stream(server::Stream::Orders);
        let mut redis = self.app.redis.clone();
        let range: redis::streams::StreamRangeReply = redis.xrange_all(key).await.unwrap();
        range.ids.iter().map(|e| serde_json::from_str(&e.get::<String>("payload").unwrap()).unwrap()).collect()
    }
}

#[tokio::test]
async fn an_order_is_created_with_its_number_xid_and_total_and_takes_the_stock() {
    let shop = Shop::open(10).await;
    let viewer = shop.app.register("viewer").await;

    let response = shop.buy(&viewer, 2).await;

    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    let sn = body["order_sn"].as_str().unwrap();
    let today = chrono::Utc::now().format("%Y%m%d").to_string();
    assert!(sn.starts_with(&today) && sn.len() <= 32, "{sn}");
    assert!(body["xid"].as_str().unwrap().len() > 8);
    assert_eq!(body["status"], "created");
    assert_eq!(body["live_id"], shop.live_id);
    assert_eq!(body["goods_items"], json!([{ "sku_id": shop.sku_id, "quantity": 2 }]));
    assert_eq!(body["total_cents"], 2 * 1990);
    assert_eq!(shop.pg_stock().await, 8);
    assert_eq!(shop.redis_stock().await, Some(8));
    let channel: String =
        sqlx::query_scalar("SELECT source_channel FROM orders").fetch_one(&shop.app.db).await.unwrap();
    assert_eq!(channel, "live");
    assert!(eventually(Duration::from_secs(2), || async { shop.stream_events().await.len() == 1 }).await);
    let event = &shop.stream_events().await[0];
    assert_eq!(event["order_sn"], sn);
    assert_eq!(event["user_id"], body["user_id"]);
    assert_eq!(event["goods_items"], json!([{ "sku_id": shop.sku_id, "quantity": 2 }]));
}

#[tokio::test]
async fn an_order_is_visible_to_its_owner_only() {
    let shop = Shop::open(10).await;
    let buyer = shop.app.register("viewer").await;
    let other = shop.app.register("viewer").await;
    let sn = shop.buy(&buyer, 1).await.json::<Value>().await.unwrap()["order_sn"].as_str().unwrap().to_owned();
    let path = format!("/api/orders/{sn}");
    let mine = shop.app.call("GET", &path, Some(&buyer), None).await;
    assert_eq!(mine.status(), 200);
    assert_eq!(mine.json::<Value>().await.unwrap()["order_sn"], sn.as_str());
    assert_error(shop.app.call("GET", &path, Some(&other), None).await, 404, "not_found").await;
    assert_error(shop.app.call("GET", &path, None, None).await, 401, "unauthorized").await;
}

#[tokio::test]
async fn the_same_key_and_body_return_the_same_order_and_another_body_conflicts() {
    let shop = Shop::open(10).await;
    let viewer = shop.app.register("viewer").await;
    let items = json!([{ "sku_id": shop.sku_id, "quantity": 1 }]);
    let first: Value = shop.order(&viewer, "key-1", items.clone()).await.json().await.unwrap();
    let again = shop.order(&viewer, "key-1", items).await;
    assert!(again.status() == 200 || again.status() == 201);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["order_sn"], first["order_sn"]);
    assert_eq!(shop.orders().await, 1);
    assert_eq!(shop.pg_stock().await, 9);
    let different = shop.order(&viewer, "key-1", json!([{ "sku_id": shop.sku_id, "quantity": 2 }])).await;
    assert_error(different, 409, "conflict").await;
    assert_eq!(shop.pg_stock().await, 9);
}

#[tokio::test]
async fn concurrent_retries_with_one_key_make_one_order() {
    let shop = Shop::open(50).await;
    let viewer = shop.app.register("viewer").await;
    let items = json!([{ "sku_id": shop.sku_id, "quantity": 1 }]);
    let attempts = (0..10).map(|_| shop.order(&viewer, "same-key", items.clone()));
    let responses = futures::future::join_all(attempts).await;
    let mut numbers = Vec::new();
    for r in responses {
        assert!(r.status() == 200 || r.status() == 201, "{}", r.status());
        numbers.push(r.json::<Value>().await.unwrap()["order_sn"].as_str().unwrap().to_owned());
    }
    numbers.dedup();
    assert_eq!(numbers.len(), 1);
    assert_eq!(shop.orders().await, 1);
    assert_eq!(shop.pg_stock().await, 49);
    assert!(eventually(Duration::from_secs(2), || async { shop.redis_stock().await == Some(49) }).await);
}

#[tokio::test]
async fn an_order_without_an_idempotency_key_or_a_user_is_refused() {
    let shop = Shop::open(10).await;
    let viewer = shop.app.register("viewer").await;
    let body = json!({ "live_id": shop.live_id, "goods_items": [{ "sku_id": shop.sku_id, "quantity": 1 }] });
    let no_key = shop.app.call("POST", "/api/orders", Some(&viewer), Some(body.clone())).await;
    assert_error(no_key, 400, "bad_request").await;
    let anonymous = reqwest::Client::new()
        .post(shop.app.url("/api/orders"))
        .header("idempotency-key", "k")
        .body("garbage")
        .send()
        .await
        .unwrap();
    assert_error(anonymous, 401, "unauthorized").await;
    assert_eq!(shop.pg_stock().await, 10);
}

#[tokio::test]
async fn bad_orders_are_refused_in_the_contract_shape_and_touch_no_stock() {
    let shop = Shop::open(10).await;
    let viewer = shop.app.register("viewer").await;
    let (_, foreign_sku) = shop.app.create_goods(&shop.owner, "Not bound", 10).await;
    let sku = shop.sku_id;
    for items in [
        json!([{ "sku_id": sku, "quantity": 0 }]),
        json!([{ "sku_id": sku, "quantity": 100 }]),
        json!([]),
        json!((0..21).map(|i| json!({ "sku_id": sku + i, "quantity": 1 })).collect::<Vec<_>>()),
        json!([{ "sku_id": sku, "quantity": 1 }, { "sku_id": sku, "quantity": 2 }]),
        json!([{ "sku_id": foreign_sku, "quantity": 1 }]),
        json!([{ "sku_id": "x", "quantity": 1 }]),
    ] {
        assert_error(shop.order(&viewer, &uuid::Uuid::new_v4().to_string(), items).await, 422, "validation").await;
    }
    let unknown_room = reqwest::Client::new()
        .post(shop.app.url("/api/orders"))
        .bearer_auth(&viewer.token)
        .header("idempotency-key", "k-room")
        .json(&json!({ "live_id": 999_999, "goods_items": [{ "sku_id": sku, "quantity": 1 }] }))
        .send()
        .await
        .unwrap();
    assert_error(unknown_room, 404, "not_found").await;
    let malformed = reqwest::Client::new()
        .post(shop.app.url("/api/orders"))
        .bearer_auth(&viewer.token)
        .header("idempotency-key", "k-json")
        .header("content-type", "application/json")
        .body("{\"live_id\":")
        .send()
        .await
        .unwrap();
    assert_error(malformed, 400, "bad_request").await;
    let huge = reqwest::Client::new()
        .post(shop.app.url("/api/orders"))
        .bearer_auth(&viewer.token)
        .header("idempotency-key", "k-huge")
        .header("content-type", "application/json")
        .body(format!("{{\"live_id\":1,\"pad\":\"{}\"}}", "x".repeat(100_000)))
        .send()
        .await
        .unwrap();
    assert_error(huge, 413, "payload_too_large").await;
    assert_eq!(shop.pg_stock().await, 10);
    assert_eq!(shop.orders().await, 0);
}

#[tokio::test]
async fn sold_out_is_409_and_decrements_nothing() {
    let shop = Shop::open(3).await;
    let viewer = shop.app.register("viewer").await;
    assert_eq!(shop.buy(&viewer, 2).await.status(), 201);
    assert_error(shop.buy(&viewer, 2).await, 409, "sold_out").await;
    assert_eq!(shop.pg_stock().await, 1);
    assert_eq!(shop.redis_stock().await, Some(1));
    assert_eq!(shop.buy(&viewer, 1).await.status(), 201);
    assert_error(shop.buy(&viewer, 1).await, 409, "sold_out").await;
    assert_eq!(shop.pg_stock().await, 0);
}

#[tokio::test]
async fn ordering_before_the_sale_starts_is_refused_and_after_it_works() {
    let shop = Shop::open(10).await;
    let viewer = shop.app.register("viewer").await;
    let path = format!("/api/live/{}/skus/{}/sale", shop.live_id, shop.sku_id);
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let set = shop
        .app
        .call("PUT", &path, Some(&shop.owner), Some(json!({ "starts_at": soon, "per_user_limit": null })))
        .await;
    assert_eq!(set.status(), 200);
    assert_error(shop.buy(&viewer, 1).await, 409, "sale_not_started").await;
    assert_eq!(shop.pg_stock().await, 10);
    tokio::time::sleep(Duration::from_millis(2_200)).await;
    assert_eq!(shop.buy(&viewer, 1).await.status(), 201);
    let stranger = shop.app.register("streamer").await;
    assert_eq!(shop.app.call("PUT", &path, Some(&stranger), Some(json!({ "starts_at": null }))).await.status(), 403);
    assert_eq!(shop.app.call("PUT", &path, None, Some(json!({}))).await.status(), 401);
}

#[tokio::test]
async fn the_per_user_limit_holds_under_concurrent_orders_from_one_user() {
    let shop = Shop::open(100).await;
    let viewer = shop.app.register("viewer").await;
    let path = format!("/api/live/{}/skus/{}/sale", shop.live_id, shop.sku_id);
    let set =
        shop.app.call("PUT", &path, Some(&shop.owner), Some(json!({ "starts_at": null, "per_user_limit": 3 }))).await;
    assert_eq!(set.status(), 200);

    let attempts = (0..10).map(|_| shop.buy(&viewer, 1));
    let statuses: Vec<u16> = futures::future::join_all(attempts).await.iter().map(|r| r.status().as_u16()).collect();

    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 3, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 7);
    assert_eq!(shop.pg_stock().await, 97);
    assert!(
        eventually(Duration::from_secs(2), || async { shop.redis_stock().await == Some(97) }).await,
        "limit refusals gave their reservation back"
    );
    let other = shop.app.register("viewer").await;
    assert_eq!(shop.buy(&other, 3).await.status(), 201, "the limit is per user");
    assert_error(shop.buy(&other, 1).await, 409, "purchase_limit").await;
}

#[tokio::test]
async fn three_hundred_concurrent_orders_from_thirty_accounts_sell_exactly_the_stock() {
    let app = TestApp::spawn_with(&[("LIVE_RATE_LIMITS", "off")]).await;
    let shop = Shop::open_with(app, 50).await;
    let mut buyers = Vec::new();
    for _ in 0..30 {
        buyers.push(shop.app.register("viewer").await);
    }

    let attempts = (0..300).map(|i| shop.buy(&buyers[i % 30], 1));
    let responses = futures::future::join_all(attempts).await;

    let mut created = Vec::new();
    for response in responses {
        match response.status().as_u16() {
            201 => created.push(response.json::<Value>().await.unwrap()["order_sn"].as_str().unwrap().to_owned()),
            409 => assert_eq!(response.json::<Value>().await.unwrap()["error"]["code"], "sold_out"),
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(created.len(), 50, "exactly the stock was sold");
    let mut unique = created.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 50, "no duplicate order numbers");
    assert_eq!(shop.pg_stock().await, 0);
    // A reconcile pass that ran during the burst may leave the counter a unit
    // or two high (never low); the next pass brings it to the record.
    assert!(
        eventually(Duration::from_secs(10), || async { shop.redis_stock().await == Some(0) }).await,
        "the gate's counter converges to the record: {:?}",
        shop.redis_stock().await
    );
    assert_eq!(shop.orders().await, 50);
    let sold: i64 =
        sqlx::query_scalar("SELECT sum(quantity)::BIGINT FROM order_items").fetch_one(&shop.app.db).await.unwrap();
    assert_eq!(sold, 50);
    assert!(
        eventually(Duration::from_secs(5), || async { shop.stream_events().await.len() == 50 }).await,
        "one event per order"
    );
    let mut streamed: Vec<String> =
        shop.stream_events().await.iter().map(|e| e["order_sn"].as_str().unwrap().to_owned()).collect();
    streamed.sort();
    assert_eq!(streamed, unique);
}

#[tokio::test]
async fn the_order_stream_is_counted_once_even_when_an_event_is_delivered_twice() {
    let shop = Shop::open(10).await;
    let viewer = shop.app.register("viewer").await;
    let sn = shop.buy(&viewer, 2).await.json::<Value>().await.unwrap()["order_sn"].as_str().unwrap().to_owned();
    let counted = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM live_order_stream WHERE order_sn = $1")
            .bind(&sn)
            .fetch_one(&shop.app.db)
            .await
            .unwrap()
    };
    assert!(eventually(Duration::from_secs(3), || async { counted().await == 1 }).await);

    // The same event again, as a retry or the backup channel would publish it.
    let key = shop.app.state.redis.keys.stream(server::Stream::Orders);
    let mut redis = shop.app.redis.clone();
    let first: redis::streams::StreamRangeReply = redis.xrange_all(&key).await.unwrap();
    let fields: Vec<(String, String)> =
        first.ids[0].map.keys().map(|k| (k.clone(), first.ids[0].get::<String>(k).unwrap())).collect();
    let _: String = redis.xadd(&key, "*", &fields).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1_500)).await;

    assert_eq!(counted().await, 1);
    let quantity: i64 = sqlx::query_scalar("SELECT sum(order_quantity)::BIGINT FROM live_order_stream")
        .fetch_one(&shop.app.db)
        .await
        .unwrap();
    assert_eq!(quantity, 2);
    let members: i64 =
        redis.zcard(shop.app.state.redis.keys.room_orders(LiveId::new(shop.live_id).unwrap())).await.unwrap();
    assert_eq!(members, 1);
}

#[tokio::test]
async fn a_sale_rule_reaches_the_card_within_a_second() {
    let shop = Shop::open(10).await;
    let starts = chrono::Utc::now() + chrono::Duration::minutes(5);
    let path = format!("/api/live/{}/skus/{}/sale", shop.live_id, shop.sku_id);
    let body = json!({ "starts_at": starts.to_rfc3339(), "per_user_limit": 2 });
    let response = shop.app.call("PUT", &path, Some(&shop.owner), Some(body)).await;
    assert_eq!(response.status(), 200);
    let rule: Value = response.json().await.unwrap();
    assert_eq!(rule["per_user_limit"], 2);
    let card = || async {
        let list: Value =
            shop.app.get(&format!("/api/live/goods-list?live_id={}", shop.live_id)).await.json().await.unwrap();
        list["goods"][0].clone()
    };
    assert!(
        eventually(Duration::from_secs(1), || async {
            let c = card().await;
            c["sale_starts_at_ms"].as_i64() == Some(starts.timestamp_millis()) && c["per_user_limit"] == 2
        })
        .await
    );
    let bad = shop.app.call("PUT", &path, Some(&shop.owner), Some(json!({ "per_user_limit": 0 }))).await;
    assert_error(bad, 422, "validation").await;
}

#[tokio::test]
async fn reconciliation_resets_drifted_redis_stock_from_postgres_and_reports_it() {
    let shop = Shop::open(10).await;
    let viewer = shop.app.register("viewer").await;
    assert_eq!(shop.buy(&viewer, 2).await.status(), 201);
    let gate = shop.app.state.orders.stock.gate();
    let (live, sku) = (LiveId::new(shop.live_id).unwrap(), SkuId::new(shop.sku_id).unwrap());
    let mut redis = shop.app.redis.clone();
    let _: () = redis.set(shop.app.state.redis.keys.stock(live, sku), 42).await.unwrap();

    let drift = server::reconcile(&shop.app.db, gate).await.unwrap();

    assert_eq!(drift.len(), 1);
    assert_eq!((drift[0].redis, drift[0].expected), (Some(42), 8));
    assert_eq!(shop.redis_stock().await, Some(8));
    assert!(server::reconcile(&shop.app.db, gate).await.unwrap().is_empty(), "nothing left to fix");
}

#[tokio::test]
async fn a_restock_after_selling_out_can_be_sold_at_once() {
    let shop = Shop::open(2).await;
    let viewer = shop.app.register("viewer").await;
    assert_eq!(shop.buy(&viewer, 2).await.status(), 201);
    assert_error(shop.buy(&viewer, 1).await, 409, "sold_out").await;
    let path = format!("/api/goods/{}/skus/{}/stock", shop.spu_id, shop.sku_id);
    assert_eq!(shop.app.call("PUT", &path, Some(&shop.owner), Some(json!({ "stock": 5 }))).await.status(), 200);
    assert_eq!(shop.redis_stock().await, Some(5), "the gate follows the record");
    assert_eq!(shop.buy(&viewer, 5).await.status(), 201);
    assert_eq!((shop.pg_stock().await, shop.redis_stock().await), (0, Some(0)));
}

#[tokio::test]
async fn orders_are_rate_limited_per_account_never_per_address() {
    let shop = Shop::open(1_000).await;
    let busy = shop.app.register("viewer").await;
    // The limit counts in fixed one-minute windows: start early in one, so
    // that the 121 orders fall into the same window.
    let into_window = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() % 60;
    if into_window > 20 {
        tokio::time::sleep(Duration::from_secs(60 - into_window)).await;
    }
    for i in 0..120 {
        assert_eq!(shop.buy(&busy, 1).await.status(), 201, "order {i}");
    }
    assert_error(shop.buy(&busy, 1).await, 429, "rate_limited").await;
    let neighbour = shop.app.register("viewer").await;
    assert_eq!(shop.buy(&neighbour, 1).await.status(), 201, "another account on the same address is not throttled");
}
