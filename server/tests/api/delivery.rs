//! Event delivery survives outages without anyone clicking "retry": order
//! events whose retries ran out while Redis was away are delivered once it is
//! back, a consumer never gives an event up because a store is down, and what
//! no consumer can handle is kept in Postgres, listed and replayed.

use std::time::Duration;

use redis::AsyncCommands;

use crate::{
    helpers::{eventually, TestApp},
    orders::Shop,
    proxy::RedisProxy,
};

#[tokio::test]
async fn order_events_that_died_during_a_redis_outage_are_delivered_once_redis_is_back() {
    let proxy = RedisProxy::start().await;
    let app = TestApp::spawn_with(&[("REDIS_URL", &proxy.url())]).await;
    let shop = Shop::open_with(app, 5).await;
    let buyer = shop.app.register("viewer").await;

    proxy.cut();
    assert_eq!(shop.buy(&buyer, 1).await.status(), 201, "Postgres decides while Redis is away");
    // The outage outlasted every retry: the row went dead.
    assert!(
        eventually(Duration::from_secs(5), || async {
            sqlx::query("UPDATE live_order_sync_fail_log SET state = 'dead', retry_count = 8")
                .execute(&shop.app.db)
                .await
                .unwrap()
                .rows_affected()
                == 1
        })
        .await,
        "the failed publish was logged"
    );
    proxy.restore();

    assert!(
        eventually(Duration::from_secs(10), || async { shop.stream_events().await.len() == 1 }).await,
        "the order event reached the stream without a click"
    );
    // The row is marked once the publish returned, a moment after the stream has it.
    assert!(
        eventually(Duration::from_secs(5), || async {
            sqlx::query_scalar::<_, String>("SELECT state FROM live_order_sync_fail_log")
                .fetch_one(&shop.app.db)
                .await
                .unwrap()
                == "delivered"
        })
        .await,
        "the fail-log row is marked delivered"
    );
}

#[tokio::test]
async fn a_postgres_outage_never_turns_an_order_event_into_a_dead_letter() {
    let pg = RedisProxy::postgres().await;
    let app = TestApp::spawn_with(&[("DATABASE_URL", &pg.postgres_url()), ("LIVE_CLAIM_IDLE_MS", "100")]).await;
    let shop = Shop::open_with(app, 5).await;
    let buyer = shop.app.register("viewer").await;
    shop.app.state.workers.pause();
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_eq!(shop.buy(&buyer, 1).await.status(), 201);
    assert_eq!(shop.stream_events().await.len(), 1, "published, not yet counted");

    pg.cut();
    shop.app.state.workers.resume();
    // Long enough for the event to be delivered far more often than a poison
    // event is before it is given up (measured: a dozen deliveries and more
    // when every delivery counts).
    tokio::time::sleep(Duration::from_secs(10)).await;
    pg.restore();

    assert!(
        eventually(Duration::from_secs(10), || async {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM live_order_stream")
                .fetch_one(&shop.app.db)
                .await
                .is_ok_and(|n| n == 1)
        })
        .await,
        "the order is counted once Postgres is back"
    );
    let dead: i64 = sqlx::query_scalar("SELECT count(*) FROM parked_events").fetch_one(&shop.app.db).await.unwrap();
    assert_eq!(dead, 0);
}

#[tokio::test]
async fn the_owner_lists_the_rooms_dead_letters_and_replays_them_all() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let stranger = app.register("streamer").await;
    let (live_id, _) = app.room_with_goods(&owner, &[]).await;
    let stream = app.state.redis.keys.stream(server::Stream::Room);
    let mut redis = app.redis.clone();
    let live = live_id.to_string();
    let fields = [("event_id", "4242"), ("type", "fireworks"), ("live_id", live.as_str()), ("payload", "{}")];
    let _: String = redis.xadd(&stream, "*", &fields).await.unwrap();
    let listed = || async {
        let body: serde_json::Value =
            app.call("GET", "/api/ops/dead-letters", Some(&owner), None).await.json().await.unwrap();
        body.as_array().cloned().unwrap_or_default()
    };
    assert!(eventually(Duration::from_secs(3), || async { listed().await.len() == 1 }).await);
    let letter = listed().await.remove(0);
    assert_eq!((letter["event_type"].as_str(), letter["reason"].as_str()), (Some("fireworks"), Some("unknown_kind")));
    let theirs: serde_json::Value =
        app.call("GET", "/api/ops/dead-letters", Some(&stranger), None).await.json().await.unwrap();
    assert_eq!(theirs, serde_json::json!([]), "another streamer sees none of them");
    let before: usize = redis.xlen(&stream).await.unwrap();

    let replay = app.call("POST", "/api/ops/dead-letters/retry", Some(&owner), None).await;

    assert_eq!(replay.status(), 202);
    assert_eq!(replay.json::<serde_json::Value>().await.unwrap()["replayed"], 1);
    let after: usize = redis.xlen(&stream).await.unwrap();
    assert_eq!(after, before + 1, "the entry is back on its stream");
    assert!(listed().await.iter().any(|l| l["replayed_at"].is_string()));
}
