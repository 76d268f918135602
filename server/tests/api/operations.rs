//! Global operations belong to operators, creation has per-account quotas,
//! and a streamer ends a room: it leaves the home page and takes no orders.

use std::time::Duration;

use redis::AsyncCommands;
use serde_json::json;

use crate::{
    helpers::{assert_error, eventually, TestApp},
    orders::Shop,
};

#[tokio::test]
async fn a_self_registered_streamer_cannot_rebuild_every_rooms_cache() {
    let app = TestApp::spawn_with(&[("LIVE_OPERATORS", "night_ops")]).await;
    let streamer = app.register("streamer").await;

    let response = app.call("POST", "/api/ops/cache/rebuild", Some(&streamer), None).await;

    assert_error(response, 403, "forbidden").await;
}

#[tokio::test]
async fn room_creation_is_limited_per_account() {
    let app = TestApp::spawn().await;
    let streamer = app.register("streamer").await;
    for _ in 0..20 {
        let created = app.call("POST", "/api/live", Some(&streamer), Some(json!({ "title": "Room" }))).await;
        assert_eq!(created.status(), 201);
    }

    let over = app.call("POST", "/api/live", Some(&streamer), Some(json!({ "title": "One too many" }))).await;

    assert_error(over, 429, "rate_limited").await;
    let other = app.register("streamer").await;
    let theirs = app.call("POST", "/api/live", Some(&other), Some(json!({ "title": "Mine" }))).await;
    assert_eq!(theirs.status(), 201, "the quota is per account");
}

#[tokio::test]
async fn goods_creation_is_limited_per_account() {
    let app = TestApp::spawn().await;
    let streamer = app.register("streamer").await;
    let body = json!({ "title": "Tea", "skus": [{ "spec": "std", "price_cents": 100, "stock": 1 }] });
    for _ in 0..200 {
        assert_eq!(app.call("POST", "/api/goods", Some(&streamer), Some(body.clone())).await.status(), 201);
    }

    let over = app.call("POST", "/api/goods", Some(&streamer), Some(body)).await;

    assert_error(over, 429, "rate_limited").await;
}

#[tokio::test]
async fn an_ended_room_leaves_the_home_page_and_refuses_orders_with_409() {
    let shop = Shop::open(5).await;
    let buyer = shop.app.register("viewer").await;
    let stranger = shop.app.register("streamer").await;
    let end = format!("/api/live/{}/end", shop.live_id);
    assert_error(shop.app.call("POST", &end, Some(&stranger), None).await, 403, "forbidden").await;
    let href = format!("href=\"/live/{}\"", shop.live_id);
    assert!(shop.app.get("/").await.text().await.unwrap().contains(&href));

    let ended = shop.app.call("POST", &end, Some(&shop.owner), None).await;

    assert_eq!(ended.status(), 200);
    assert_eq!(ended.json::<serde_json::Value>().await.unwrap()["status"], "ended");
    assert!(!shop.app.get("/").await.text().await.unwrap().contains(&href), "gone from the home page");
    assert_error(shop.buy(&buyer, 1).await, 409, "conflict").await;
    let room = format!("/api/live/{}", shop.live_id);
    assert!(
        eventually(Duration::from_secs(2), || async {
            shop.app.get(&room).await.json::<serde_json::Value>().await.unwrap()["status"] == "ended"
        })
        .await,
        "viewers reading the cached room see it ended"
    );
    assert_eq!(shop.app.call("POST", &end, Some(&shop.owner), None).await.status(), 200, "ending twice is harmless");
}

#[tokio::test]
async fn the_reconciler_visits_live_rooms_and_leaves_rooms_that_ended_long_ago() {
    let app = TestApp::spawn_with(&[("LIVE_RECONCILE_INTERVAL_MS", "100")]).await;
    let live = Shop::open_with(app, 5).await;
    let (gone_room, _) = live.app.room_with_goods(&live.owner, &[]).await;
    let (gone_spu, gone_sku) = live.app.create_goods(&live.owner, "Old tea", 5).await;
    assert_eq!(live.app.bind(&live.owner, gone_room, gone_spu).await.status(), 201);
    sqlx::query("UPDATE live_rooms SET status = 'ended', ended_at = now() - interval '2 hours' WHERE id = $1")
        .bind(gone_room)
        .execute(&live.app.db)
        .await
        .unwrap();
    let keys = &live.app.state.redis.keys;
    let mut redis = live.app.redis.clone();
    let live_key = keys.stock(app_id(live.live_id), sku_id(live.sku_id));
    let gone_key = keys.stock(app_id(gone_room), sku_id(gone_sku));
    // Two corrections of the live room: the second comes from a pass that began
    // after the first ended, so no pass that knew the room as live is left.
    for _ in 0..2 {
        let _: () = redis.set(&live_key, 1).await.unwrap();
        assert!(eventually(Duration::from_secs(5), || async { live.redis_stock().await == Some(5) }).await);
    }

    let _: () = redis.set(&gone_key, 1).await.unwrap();
    let _: () = redis.set(&live_key, 1).await.unwrap();

    assert!(eventually(Duration::from_secs(5), || async { live.redis_stock().await == Some(5) }).await);
    let gone: Option<i64> = redis.get(&gone_key).await.unwrap();
    assert_eq!(gone, Some(1), "a room with nothing left to settle is not visited");
}

fn app_id(id: i64) -> app::ids::LiveId {
    app::ids::LiveId::new(id).unwrap()
}

fn sku_id(id: i64) -> app::ids::SkuId {
    app::ids::SkuId::new(id).unwrap()
}
