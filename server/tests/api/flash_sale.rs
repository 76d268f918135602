//! The flash sale at speed: orders for one hot SKU commit in groups, a
//! sold-out SKU is answered without Postgres, orders never lock the room row,
//! and the anonymous room page and the goods list are served from the
//! process's memory.

use std::time::Duration;

use app::ids::{LiveId, SkuId};
use futures::future::join_all;
use redis::AsyncCommands;
use serde_json::{json, Value};

use crate::{
    helpers::{assert_error, eventually, RedisProxy, TestApp, TestUser},
    orders::Shop,
};

async fn buyers(shop: &Shop, n: usize) -> Vec<TestUser> {
    let mut buyers = Vec::with_capacity(n);
    for _ in 0..n {
        buyers.push(shop.app.register("viewer").await);
    }
    buyers
}

/// Fires one order per buyer while another transaction holds the SKU's row,
/// so that they all queue, then lets the row go; each buyer's answer.
async fn burst_behind_the_row(shop: &Shop, buyers: &[TestUser]) -> Vec<(u16, Value)> {
    let blocker = shop.hold_sku_row().await;
    let orders = join_all(buyers.iter().map(|b| async move {
        let response = shop.buy(b, 1).await;
        (response.status().as_u16(), response.json::<Value>().await.unwrap_or(Value::Null))
    }));
    let release = async {
        // Every order reaches the lane (or the row) before the row is let go.
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        blocker.rollback().await.unwrap();
    };
    let (answers, ()) = tokio::join!(orders, release);
    answers
}

async fn stock_of(shop: &Shop) -> i64 {
    sqlx::query_scalar::<_, i32>("SELECT stock FROM skus WHERE id = $1")
        .bind(shop.sku_id)
        .fetch_one(&shop.app.db)
        .await
        .unwrap()
        .into()
}

async fn units_sold(shop: &Shop) -> i64 {
    sqlx::query_scalar("SELECT COALESCE(sum(quantity), 0)::BIGINT FROM order_items WHERE sku_id = $1")
        .bind(shop.sku_id)
        .fetch_one(&shop.app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn orders_that_arrive_together_commit_together_each_with_its_own_answer_and_one_stock_event() {
    let shop = Shop::open(100).await;
    let buyers = buyers(&shop, 20).await;
    let answers = burst_behind_the_row(&shop, &buyers).await;
    assert!(answers.iter().all(|(status, _)| *status == 201), "{answers:?}");
    let mut sns: Vec<&str> = answers.iter().map(|(_, body)| body["order_sn"].as_str().unwrap()).collect();
    sns.sort_unstable();
    sns.dedup();
    assert_eq!(sns.len(), 20, "every buyer has an order of their own");
    for ((_, body), buyer) in answers.iter().zip(&buyers) {
        let mine = shop.app.client.get(shop.app.url(&format!("/api/orders/{}", body["order_sn"].as_str().unwrap())));
        assert_eq!(mine.bearer_auth(&buyer.token).send().await.unwrap().status(), 200, "the buyer's own order");
    }
    assert_eq!(stock_of(&shop).await, 80);
    assert_eq!(units_sold(&shop).await, 20);
    // A group confirms its holds in one go right after its buyers are
    // answered: no attempt is left open at the gate for the sweeper.
    let live = LiveId::new(shop.live_id).unwrap();
    let open_key = shop.app.state.redis.keys.open_reservations(live);
    let confirmed = eventually(Duration::from_secs(2), || async {
        let open: Vec<String> = shop.app.redis.clone().zrange(&open_key, 0, -1).await.unwrap();
        open.is_empty()
    })
    .await;
    assert!(confirmed, "attempts left open at the gate");
    // ... and publishes its orders' events itself, not through the relay's backup.
    assert!(
        eventually(Duration::from_secs(2), || async { shop.stream_events().await.len() == 20 }).await,
        "every order's event on the stream"
    );
    // One transaction per group: the orders share their commit's timestamp,
    // and the rooms hear one stock event per group, not one per order.
    let commits: i64 =
        sqlx::query_scalar("SELECT count(DISTINCT created_at) FROM orders").fetch_one(&shop.app.db).await.unwrap();
    assert!(commits <= 3, "20 queued orders committed in {commits} transactions");
    let stock_events: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE event_type = 'stock'")
        .fetch_one(&shop.app.db)
        .await
        .unwrap();
    let order_events: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE event_type = 'order_created'")
        .fetch_one(&shop.app.db)
        .await
        .unwrap();
    assert_eq!(order_events, 20, "one event per order");
    assert!(stock_events <= commits, "{stock_events} stock events for {commits} commits");
    // The cards follow: the cached list ends at the stock Postgres holds.
    assert!(
        eventually(Duration::from_secs(5), || async {
            shop.app.listed_card(shop.live_id, shop.spu_id).await.is_some_and(|card| card["stock"] == 80)
        })
        .await
    );
}

#[tokio::test]
async fn a_retry_right_after_its_group_committed_gets_its_order_without_waiting_for_the_claim() {
    let shop = Shop::open(100).await;
    let buyers = buyers(&shop, 12).await;
    let keys: Vec<String> = buyers.iter().map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let item = json!([{ "sku_id": shop.sku_id, "quantity": 1 }]);
    let answer = |buyer: &TestUser, key: &String| {
        let (item, shop) = (item.clone(), &shop);
        let (buyer, key) = (buyer.clone(), key.clone());
        async move {
            let response = shop.order(&buyer, &key, item).await;
            (response.status().as_u16(), response.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let blocker = shop.hold_sku_row().await;
    let release = async {
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        blocker.rollback().await.unwrap();
    };
    let (first, ()) = tokio::join!(join_all(buyers.iter().zip(&keys).map(|(b, k)| answer(b, k))), release);
    assert!(first.iter().all(|(status, _)| *status == 201), "{first:?}");
    let commits: i64 =
        sqlx::query_scalar("SELECT count(DISTINCT created_at) FROM orders").fetch_one(&shop.app.db).await.unwrap();
    assert!(commits <= 3, "the orders were committed in groups ({commits} transactions)");
    // The group lets go of its buyers' claims after answering them: a retry
    // (a client that lost the answer) gets its order at once, instead of
    // waiting out the claim's minute as for an attempt still in flight.
    let retries = join_all(buyers.iter().zip(&keys).map(|(b, k)| answer(b, k)));
    let again = tokio::time::timeout(Duration::from_secs(5), retries).await.expect("a retry waited for its claim");
    for ((status, body), (_, original)) in again.iter().zip(&first) {
        assert_eq!(*status, 200, "{body}");
        assert_eq!(body["order_sn"], original["order_sn"], "the retry gets the order its key made");
    }
    assert_eq!(units_sold(&shop).await, 12, "a retry makes no second order");
}

#[tokio::test]
async fn a_group_that_does_not_fit_the_stock_is_committed_one_by_one_and_oversells_nothing() {
    let shop = Shop::open(6).await;
    // The gate admits six, but Postgres (the record) has only three left.
    sqlx::query("UPDATE skus SET stock = 3 WHERE id = $1").bind(shop.sku_id).execute(&shop.app.db).await.unwrap();
    let buyers = buyers(&shop, 6).await;
    let answers = burst_behind_the_row(&shop, &buyers).await;
    let created = answers.iter().filter(|(status, _)| *status == 201).count();
    let sold_out =
        answers.iter().filter(|(status, body)| *status == 409 && body["error"]["code"] == "sold_out").count();
    assert_eq!((created, sold_out), (3, 3), "{answers:?}");
    assert_eq!(stock_of(&shop).await, 0);
    assert_eq!(units_sold(&shop).await, 3);
}

#[tokio::test]
async fn in_a_group_a_buyer_past_their_limit_is_refused_alone() {
    let shop = Shop::open(50).await;
    let set = shop
        .app
        .call(
            "PUT",
            &format!("/api/live/{}/skus/{}/sale", shop.live_id, shop.sku_id),
            Some(&shop.owner),
            Some(json!({ "starts_at": null, "per_user_limit": 1 })),
        )
        .await;
    assert_eq!(set.status(), 200, "{:?}", set.text().await);
    let others = buyers(&shop, 3).await;
    let greedy = shop.app.register("viewer").await;
    let mut all = others.clone();
    all.extend([greedy.clone(), greedy.clone(), greedy.clone()]);
    let answers = burst_behind_the_row(&shop, &all).await;
    let (theirs, greedy_answers) = answers.split_at(3);
    assert!(theirs.iter().all(|(status, _)| *status == 201), "{theirs:?}");
    let greedy_created = greedy_answers.iter().filter(|(status, _)| *status == 201).count();
    let greedy_limited = greedy_answers
        .iter()
        .filter(|(status, body)| *status == 409 && body["error"]["code"] == "purchase_limit")
        .count();
    assert_eq!((greedy_created, greedy_limited), (1, 2), "{greedy_answers:?}");
    assert_eq!(units_sold(&shop).await, 4);
    assert_eq!(stock_of(&shop).await, 46);
}

#[tokio::test]
async fn a_sold_out_sku_is_refused_without_postgres_and_a_retry_of_a_committed_order_still_gets_it() {
    let pg = RedisProxy::postgres().await;
    let app = TestApp::spawn_with(&[("DATABASE_URL", &pg.postgres_url())]).await;
    let shop = Shop::open_with(app, 1).await;
    let (lucky, late) = (shop.app.register("viewer").await, shop.app.register("viewer").await);
    let key = "lucky-order-1";
    let items = json!([{ "sku_id": shop.sku_id, "quantity": 1 }]);
    let first = shop.order(&lucky, key, items.clone()).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    assert_error(shop.buy(&late, 1).await, 409, "sold_out").await;

    pg.cut();
    // Postgres is gone, yet the sold-out answers keep coming, at once.
    for _ in 0..3 {
        let started = std::time::Instant::now();
        assert_error(shop.buy(&late, 1).await, 409, "sold_out").await;
        assert!(started.elapsed() < Duration::from_millis(500), "answered without waiting on Postgres");
    }
    // A retry of the order that committed is never told "sold out".
    let retry = shop.order(&lucky, key, items.clone()).await;
    assert_ne!(retry.status(), 409, "{:?}", retry.text().await);
    pg.restore();
    let again = shop.order(&lucky, key, items).await;
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["order_sn"], first["order_sn"]);
}

#[tokio::test]
async fn the_crowd_told_sold_out_before_the_router_is_still_checked_and_counted() {
    let shop = Shop::open(1).await;
    let (a, b) = (shop.app.register("viewer").await, shop.app.register("viewer").await);
    assert_eq!(shop.buy(&a, 1).await.status(), 201);
    assert_error(shop.buy(&b, 1).await, 409, "sold_out").await;
    let counted = shop.app.metric("orders_sold_out_total").await;
    let answered = |status: &'static str| {
        let app = &shop.app;
        async move { app.counter("http_requests_total", &[("route", "/api/orders"), ("status", status)]).await }
    };
    let refused_before = answered("409").await;
    // The flag is up: what the full path would refuse first is still refused so.
    let items = json!([{ "sku_id": shop.sku_id, "quantity": 1 }]);
    let body = json!({ "live_id": shop.live_id, "goods_items": items });
    let post = |token: &str, key: Option<&str>, body: Value| {
        let mut request = shop.app.client.post(shop.app.url("/api/orders")).bearer_auth(token).json(&body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        request.send()
    };
    assert_error(post("no-such-token", Some("k-1"), body.clone()).await.unwrap(), 401, "unauthorized").await;
    assert_error(post(&b.token, None, body.clone()).await.unwrap(), 400, "bad_request").await;
    let none = json!({ "live_id": shop.live_id, "goods_items": [{ "sku_id": shop.sku_id, "quantity": 0 }] });
    assert_error(post(&b.token, Some("k-2"), none).await.unwrap(), 422, "validation").await;
    assert_error(post(&b.token, Some("k-3"), json!({ "live_id": "x" })).await.unwrap(), 422, "validation").await;
    // Refused early: counted as the router counts it.
    for key in ["k-4", "k-5"] {
        assert_error(post(&b.token, Some(key), body.clone()).await.unwrap(), 409, "sold_out").await;
    }
    assert_eq!(shop.app.metric("orders_sold_out_total").await, counted + 2.0);
    assert_eq!(answered("409").await, refused_before + 2.0);
    assert_eq!(answered("401").await, 1.0, "the unknown token went the full way");
}

#[tokio::test]
async fn key_checks_made_together_each_get_their_own_keys_answer() {
    let shop = Shop::open(1).await;
    let (lucky, crowd) = (shop.app.register("viewer").await, buyers(&shop, 12).await);
    let items = json!([{ "sku_id": shop.sku_id, "quantity": 1 }]);
    let first = shop.order(&lucky, "lucky-1", items.clone()).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    assert_error(shop.buy(&crowd[0], 1).await, 409, "sold_out").await;
    // The lucky buyer's retries arrive amid the crowd's new orders, so their
    // key checks share pipelines: each retry still gets its order, each new one "sold out".
    let retries = (0..4).map(|_| shop.order(&lucky, "lucky-1", items.clone()));
    let (retries, news) = tokio::join!(join_all(retries), join_all(crowd.iter().map(|b| shop.buy(b, 1))));
    for retry in retries {
        assert_eq!(retry.status(), 200);
        assert_eq!(retry.json::<Value>().await.unwrap()["order_sn"], first["order_sn"]);
    }
    for answer in news {
        assert_error(answer, 409, "sold_out").await;
    }
    assert_eq!(units_sold(&shop).await, 1);
}

#[tokio::test]
async fn stock_coming_back_in_any_process_lifts_the_sold_out_flag_within_a_second() {
    let shop = Shop::open(1).await;
    let (a, b, c) =
        (shop.app.register("viewer").await, shop.app.register("viewer").await, shop.app.register("viewer").await);
    assert_eq!(shop.buy(&a, 1).await.status(), 201);
    assert_error(shop.buy(&b, 1).await, 409, "sold_out").await;
    // A restock here: heard at once.
    let restock = shop
        .app
        .call(
            "PUT",
            &format!("/api/goods/{}/skus/{}/stock", shop.spu_id, shop.sku_id),
            Some(&shop.owner),
            Some(json!({ "stock": 1 })),
        )
        .await;
    assert_eq!(restock.status(), 200, "{:?}", restock.text().await);
    assert_eq!(shop.buy(&b, 1).await.status(), 201, "the restocked unit sells at once");
    assert_error(shop.buy(&c, 1).await, 409, "sold_out").await;
    // Another process gives a unit back (its release moves the counter only).
    sqlx::query("UPDATE skus SET stock = stock + 1 WHERE id = $1")
        .bind(shop.sku_id)
        .execute(&shop.app.db)
        .await
        .unwrap();
    let counter = shop.app.state.redis.keys.stock(LiveId::new(shop.live_id).unwrap(), SkuId::new(shop.sku_id).unwrap());
    let mut redis = shop.app.redis.clone();
    let _: i64 = redis.incr(&counter, 1).await.unwrap();
    let started = std::time::Instant::now();
    assert!(
        eventually(Duration::from_millis(1_500), || async { shop.buy(&c, 1).await.status() == 201 }).await,
        "the unit given back elsewhere sells within a second"
    );
    assert!(started.elapsed() <= Duration::from_millis(1_500));
}

#[tokio::test]
async fn an_order_commits_while_another_transaction_holds_the_room_row() {
    let shop = Shop::open(5).await;
    let buyer = shop.app.register("viewer").await;
    // Warm the facts the order is checked against (a read, never a lock).
    assert_eq!(shop.buy(&buyer, 1).await.status(), 201);
    let mut blocker = shop.app.db.begin().await.unwrap();
    // What an owner's edit of the room takes (and what every order took before).
    sqlx::query("SELECT 1 FROM live_rooms WHERE id = $1 FOR NO KEY UPDATE")
        .bind(shop.live_id)
        .execute(&mut *blocker)
        .await
        .unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(5), shop.buy(&buyer, 1)).await;
    blocker.rollback().await.unwrap();
    assert_eq!(answer.expect("the order did not wait on the room row").status(), 201);
}

#[tokio::test]
async fn the_anonymous_room_page_is_served_from_the_page_cache_and_follows_the_room_within_seconds() {
    let shop = Shop::open(5).await;
    let path = format!("/live/{}", shop.live_id);
    let anonymous = reqwest::Client::new();
    let page = |client: reqwest::Client, cookie: Option<String>| {
        let url = shop.app.url(&path);
        async move {
            let mut request = client.get(url).header("accept-language", "en");
            if let Some(cookie) = cookie {
                request = request.header("cookie", cookie);
            }
            let response = request.send().await.unwrap();
            let cached = response.headers().get("x-page-cache").map(|v| v.to_str().unwrap().to_owned());
            (response.status().as_u16(), cached, response.text().await.unwrap())
        }
    };
    let (status, _, first) = page(anonymous.clone(), None).await;
    assert_eq!(status, 200);
    assert!(first.contains("Flash tea"));
    let (status, cached, second) = page(anonymous.clone(), None).await;
    assert_eq!((status, cached.as_deref()), (200, Some("hit")));
    assert_eq!(first, second);
    // Signed in: never from the cache.
    let viewer = shop.app.register("viewer").await;
    let (status, cached, _) = page(anonymous.clone(), Some(format!("lc_session={}", viewer.token))).await;
    assert_eq!((status, cached), (200, None));
    // A product bound after the page was cached shows within seconds.
    let (spu_id, _) = shop.app.create_goods(&shop.owner, "Green plum wine", 9).await;
    assert_eq!(shop.app.bind(&shop.owner, shop.live_id, spu_id).await.status(), 201);
    assert!(
        eventually(Duration::from_secs(4), || {
            let page = page(anonymous.clone(), None);
            async move { page.await.2.contains("Green plum wine") }
        })
        .await
    );
}

#[tokio::test]
async fn the_goods_list_is_answered_from_memory_for_everyone_and_follows_a_sale_within_a_second() {
    let shop = Shop::open(5).await;
    let url = shop.app.url(&format!("/api/live/goods-list?live_id={}", shop.live_id));
    let client = reqwest::Client::new();
    let list = |token: Option<String>| {
        let (client, url) = (client.clone(), url.clone());
        async move {
            let mut request = client.get(url);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.unwrap();
            let cached = response.headers().get("x-page-cache").map(|v| v.to_str().unwrap().to_owned());
            (response.status().as_u16(), cached, response.json::<Value>().await.unwrap())
        }
    };
    // Registered first: a sign-up (argon2) can outlast the list's 200 ms freshness.
    let buyer = shop.app.register("viewer").await;
    let (status, _, first) = list(None).await;
    assert_eq!(status, 200);
    assert_eq!(first["goods"][0]["stock"], 5);
    // A signed-in viewer shares the anonymous crowd's copy.
    let (status, cached, second) = list(Some(buyer.token.clone())).await;
    assert_eq!((status, cached.as_deref()), (200, Some("hit")));
    assert_eq!(first, second);
    // An order moves the card's stock in every copy within the contract's second.
    assert_eq!(shop.buy(&buyer, 2).await.status(), 201);
    let moved = eventually(Duration::from_secs(1), || {
        let list = list(None);
        async move { list.await.2["goods"][0]["stock"] == 3 }
    });
    assert!(moved.await, "the list shows the order's stock within 1 s");
    // Unknown rooms are never kept: each one is asked again and answered 404.
    let missing = shop.app.url("/api/live/goods-list?live_id=987654321");
    for _ in 0..2 {
        let response = client.get(&missing).send().await.unwrap();
        assert_eq!(response.status(), 404);
        assert_eq!(response.headers().get("x-page-cache"), None);
    }
}
