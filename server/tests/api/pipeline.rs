//! The binding pipeline: the request writes Postgres and the outbox; the relay
//! and the room-events consumer group build the cache from the record.

use std::time::Duration;

use redis::AsyncCommands;

use crate::helpers::{eventually, TestApp};

#[tokio::test]
async fn the_request_that_binds_never_writes_the_cache_itself() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let (live_id, spus) = app.room_with_goods(&owner, &[("Tea", 5)]).await;
    assert!(app.listed(live_id).await.is_empty(), "cache warmed with the empty room");

    app.state.workers.pause();
    assert_eq!(app.bind(&owner, live_id, spus[0]).await.status(), 201);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert!(app.listed(live_id).await.is_empty(), "with the consumer paused the cache is unchanged");

    app.state.workers.resume();
    assert!(eventually(Duration::from_secs(2), || async { app.listed(live_id).await == spus }).await);
}

#[tokio::test]
async fn an_event_left_unacknowledged_by_a_dead_consumer_is_redelivered_and_the_cache_ends_right() {
    let app = TestApp::spawn_with(&[("LIVE_CLAIM_IDLE_MS", "300")]).await;
    let owner = app.register("streamer").await;
    let (live_id, spus) = app.room_with_goods(&owner, &[("Tea", 5)]).await;
    assert!(app.listed(live_id).await.is_empty());

    // Our consumer is paused (after its current blocking read ends); a consumer
    // in "another process" reads the event and dies before XACK.
    app.state.workers.pause();
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    app.bind(&owner, live_id, spus[0]).await;
    assert_eq!(app.state.relay.drain_once().await.unwrap(), 1);
    let stream = app.state.redis.keys.stream(server::Stream::Room);
    let group = app.state.redis.keys.group(server::ROOM_CACHE_GROUP);
    let mut redis = app.redis.clone();
    let opts = redis::streams::StreamReadOptions::default().group(&group, "doomed-consumer").count(10);
    let taken: redis::streams::StreamReadReply = redis.xread_options(&[&stream], &[">"], &opts).await.unwrap();
    assert_eq!(taken.keys[0].ids.len(), 1, "the doomed consumer holds the event");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(app.listed(live_id).await.is_empty());

    app.state.workers.resume();
    assert!(eventually(Duration::from_secs(3), || async { app.listed(live_id).await == spus }).await);
    let pending: redis::streams::StreamPendingReply = redis.xpending(&stream, &group).await.unwrap();
    assert_eq!(pending.count(), 0, "the redelivered event was acknowledged");
}

#[tokio::test]
async fn concurrent_misses_rebuild_a_room_once() {
    // The Redis cache's own behaviour: the process's copy of the list would
    // answer these requests without asking Redis.
    let app = TestApp::spawn_with(&[("LIVE_PAGE_CACHE", "off")]).await;
    let owner = app.register("streamer").await;
    let (live_id, spus) = app.room_with_goods(&owner, &[("Tea", 5)]).await;
    app.bind(&owner, live_id, spus[0]).await;
    assert!(eventually(Duration::from_secs(1), || async { app.listed(live_id).await == spus }).await);
    let room = app_live(live_id);
    let mut redis = app.redis.clone();
    let _: () = redis.del(app.state.redis.keys.room_goods(room)).await.unwrap();
    let before = app.state.cache.rebuild_count();

    let requests = (0..40).map(|_| app.listed(live_id));
    let lists = futures::future::join_all(requests).await;

    assert!(lists.iter().all(|l| *l == spus));
    assert_eq!(app.state.cache.rebuild_count() - before, 1, "one rebuild for 40 concurrent misses");
}

#[tokio::test]
async fn an_operator_can_rebuild_every_rooms_cache_from_postgres() {
    let app = TestApp::spawn_with(&[("LIVE_OPERATORS", "night_ops")]).await;
    let owner = app.register("streamer").await;
    let operator = app.register_as("night_ops", "streamer").await;
    let (live_id, spus) = app.room_with_goods(&owner, &[("Tea", 5)]).await;
    app.bind(&owner, live_id, spus[0]).await;
    assert!(eventually(Duration::from_secs(1), || async { app.listed(live_id).await == spus }).await);
    let mut redis = app.redis.clone();
    let _: () = redis.del(app.state.redis.keys.room_goods(app_live(live_id))).await.unwrap();

    let response = app.call("POST", "/api/ops/cache/rebuild", Some(&operator), None).await;
    assert_eq!(response.status(), 200);
    let cached: Option<String> = redis.hget(app.state.redis.keys.room_goods(app_live(live_id)), "data").await.unwrap();
    assert!(cached.is_some_and(|json| json.contains("Tea")), "the cache holds the room again");
}

fn app_live(id: i64) -> app::ids::LiveId {
    app::ids::LiveId::new(id).unwrap()
}
