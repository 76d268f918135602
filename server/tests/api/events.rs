//! Typed events: a stream entry of a kind this build does not know, or with a
//! payload off its kind's shape, is parked in Postgres for replay; it is
//! neither dropped nor read with defaults, and the stream moves on past it.

use std::time::Duration;

use redis::AsyncCommands;

use crate::helpers::{eventually, TestApp};

async fn add_room_entry(app: &TestApp, live_id: i64, kind: &str, payload: &str) {
    let stream = app.state.redis.keys.stream(server::Stream::Room);
    let mut redis = app.redis.clone();
    let live = live_id.to_string();
    let fields = [("event_id", "987654"), ("type", kind), ("live_id", live.as_str()), ("payload", payload)];
    let _: String = redis.xadd(&stream, "*", &fields).await.unwrap();
}

async fn parked(app: &TestApp) -> Vec<(Option<String>, String, serde_json::Value)> {
    sqlx::query_as("SELECT event_type, reason, fields FROM parked_events ORDER BY id").fetch_all(&app.db).await.unwrap()
}

#[tokio::test]
async fn an_event_of_a_kind_this_build_does_not_know_is_parked_and_later_events_still_reach_the_room() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let (live_id, spus) = app.room_with_goods(&owner, &[("Tea", 5)]).await;

    add_room_entry(&app, live_id, "confetti", r#"{"colour":"red"}"#).await;
    assert_eq!(app.bind(&owner, live_id, spus[0]).await.status(), 201);

    assert!(eventually(Duration::from_secs(3), || async { app.listed(live_id).await == spus }).await);
    assert!(eventually(Duration::from_secs(3), || async { !parked(&app).await.is_empty() }).await);
    let rows = parked(&app).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let (kind, reason, fields) = &rows[0];
    assert_eq!((kind.as_deref(), reason.as_str()), (Some("confetti"), "unknown_kind"));
    assert_eq!(fields["payload"], r#"{"colour":"red"}"#, "kept as written, for replay");
    let stream = app.state.redis.keys.stream(server::Stream::Room);
    let group = app.state.redis.keys.group(server::ROOM_CACHE_GROUP);
    let pending = || {
        let (stream, group, mut redis) = (stream.clone(), group.clone(), app.redis.clone());
        async move {
            let pending: redis::streams::StreamPendingReply = redis.xpending(&stream, &group).await.unwrap();
            pending.count()
        }
    };
    assert!(
        eventually(Duration::from_secs(3), || async { pending().await == 0 }).await,
        "the parked entry was acknowledged, not left to block the group"
    );
}

#[tokio::test]
async fn a_known_event_whose_payload_is_off_its_shape_is_parked_not_read_with_defaults() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let (live_id, _) = app.room_with_goods(&owner, &[("Tea", 5)]).await;

    add_room_entry(&app, live_id, "stock", r#"{"spu_id":"not-a-number"}"#).await;

    assert!(eventually(Duration::from_secs(3), || async { !parked(&app).await.is_empty() }).await);
    let rows = parked(&app).await;
    assert_eq!((rows[0].0.as_deref(), rows[0].1.as_str()), (Some("stock"), "malformed_payload"));
}
