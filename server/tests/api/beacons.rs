//! Click and view beacons (`POST /api/track`): only for goods bound to the
//! room, counted only with that binding's tracking code, malformed trace ids
//! dropped and counted, and a generous budget per client address.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::helpers::{assert_error, Fixture, TestApp};

fn beacon(room: &Fixture, tracking_code: &str, trace_id: &str) -> Value {
    json!({ "event": "click", "live_id": room.live_id, "spu_id": room.spu_ids[0], "tracking_code": tracking_code, "trace_id": trace_id })
}

async fn funnel_rows(app: &TestApp) -> Vec<(String, Option<String>, Option<String>)> {
    sqlx::query_as("SELECT event, tracking_code, trace_id FROM funnel_events ORDER BY id")
        .fetch_all(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_beacon_for_goods_that_exist_but_are_not_bound_to_the_room_is_404() {
    let app = TestApp::spawn().await;
    let room = app.seed_room("Room", &[("Tea", 1_990, 3)]).await;
    let other = app.seed_room("Other room", &[("Cake", 990, 3)]).await;
    let unbound = json!({ "event": "view", "live_id": room.live_id, "spu_id": other.spu_ids[0] });

    assert_error(app.call("POST", "/api/track", None, Some(unbound)).await, 404, "not_found").await;
    assert!(funnel_rows(&app).await.is_empty());
}

#[tokio::test]
async fn beacons_with_a_malformed_or_another_bindings_tracking_code_answer_204_but_are_not_counted() {
    let app = TestApp::spawn().await;
    let room = app.seed_room("Room", &[("Tea", 1_990, 3), ("Cake", 990, 3)]).await;
    let other_binding = app.tracking_code(room.live_id, room.spu_ids[1]).await;

    for code in ["x&redirect=https://evil.example", other_binding.as_str()] {
        let response = app.call("POST", "/api/track", None, Some(beacon(&room, code, "t-1"))).await;
        assert_eq!(response.status(), 204, "{code}");
    }

    assert!(funnel_rows(&app).await.is_empty(), "neither beacon is in the funnel");
    for reason in ["malformed_tracking_code", "foreign_tracking_code"] {
        assert_eq!(app.counter("funnel_beacons_ignored_total", &[("reason", reason)]).await, 1.0, "{reason}");
    }
}

#[tokio::test]
async fn a_beacon_with_a_malformed_trace_id_is_counted_without_it_and_the_drop_shows_in_the_metrics() {
    let app = TestApp::spawn().await;
    let room = app.seed_room("Room", &[("Tea", 1_990, 3)]).await;
    let code = app.tracking_code(room.live_id, room.spu_ids[0]).await;

    let response = app.call("POST", "/api/track", None, Some(beacon(&room, &code, "<script>alert(1)</script>"))).await;

    assert_eq!(response.status(), 204);
    assert_eq!(funnel_rows(&app).await, vec![("click".into(), Some(code), None)]);
    let dropped = app.counter("analytics_fields_dropped_total", &[("source", "beacon"), ("field", "trace_id")]).await;
    assert_eq!(dropped, 1.0);
}

#[tokio::test]
async fn beacons_keep_w3c_skywalking_and_uuid_trace_ids() {
    let app = TestApp::spawn().await;
    let room = app.seed_room("Room", &[("Tea", 1_990, 3)]).await;
    let code = app.tracking_code(room.live_id, room.spu_ids[0]).await;
    let ids = [
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "2a1b3c4d5e6f4a7b8c9d.61.17326963541230001",
        "550e8400-e29b-41d4-a716-446655440000",
    ];

    for id in ids {
        assert_eq!(app.call("POST", "/api/track", None, Some(beacon(&room, &code, id))).await.status(), 204, "{id}");
    }

    let kept: Vec<Option<String>> = funnel_rows(&app).await.into_iter().map(|(_, _, trace)| trace).collect();
    assert_eq!(kept, ids.map(|id| Some(id.to_owned())));
}

/// Spends all but `left` of this address's beacon budget (3000 a minute) in
/// this minute and the next, so the test does not depend on where in the
/// minute it runs.
async fn spend_budget(app: &TestApp, left: u64) {
    let minute = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() / 60;
    let mut redis = app.redis.clone();
    for window in [minute, minute + 1] {
        let key = app.state.redis.keys.rate_limit("beacons", "127.0.0.1", window);
        let _: () = redis::AsyncCommands::set_ex(&mut redis, key, 3000 - left, 120).await.unwrap();
    }
}

#[tokio::test]
async fn one_address_gets_three_thousand_beacons_a_minute_then_429_unless_rate_limits_are_off() {
    let app = TestApp::spawn().await;
    let room = app.seed_room("Room", &[("Tea", 1_990, 3)]).await;
    let code = app.tracking_code(room.live_id, room.spu_ids[0]).await;
    spend_budget(&app, 1).await;

    let last = app.call("POST", "/api/track", None, Some(beacon(&room, &code, "t-1"))).await;
    assert_eq!(last.status(), 204, "the 3000th beacon is still counted");
    let over = app.call("POST", "/api/track", None, Some(beacon(&room, &code, "t-2"))).await;
    assert_error(over, 429, "rate_limited").await;
    assert_eq!(funnel_rows(&app).await.len(), 1);

    let unlimited = TestApp::spawn_with(&[("LIVE_RATE_LIMITS", "off")]).await;
    let room = unlimited.seed_room("Room", &[("Tea", 1_990, 3)]).await;
    let code = unlimited.tracking_code(room.live_id, room.spu_ids[0]).await;
    spend_budget(&unlimited, 0).await;
    let response = unlimited.call("POST", "/api/track", None, Some(beacon(&room, &code, "t-1"))).await;
    assert_eq!(response.status(), 204, "LIVE_RATE_LIMITS=off switches the beacon budget off too");
}
