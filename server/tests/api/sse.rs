//! The room's server-sent events.

use std::time::Duration;

use futures::StreamExt;
use serde_json::json;

use crate::helpers::{TestApp, TestUser};

/// Reads SSE frames until `want` events arrived or `within` passed.
async fn read_events(response: reqwest::Response, want: usize, within: Duration) -> Vec<(String, String, String)> {
    let mut stream = response.bytes_stream();
    let mut buffer = String::new();
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + within;
    while events.len() < want {
        let Ok(Some(Ok(chunk))) = tokio::time::timeout_at(deadline, stream.next()).await else { break };
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            let field = |name: &str| {
                frame
                    .lines()
                    .find_map(|l| l.strip_prefix(&format!("{name}:")))
                    .map(|v| v.trim().to_owned())
                    .unwrap_or_default()
            };
            if !field("event").is_empty() {
                events.push((field("id"), field("event"), field("data")));
            }
        }
    }
    events
}

async fn open(app: &TestApp, live_id: i64, last_event_id: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(app.url(&format!("/api/live/{live_id}/events")));
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    response
}

async fn setup() -> (TestApp, TestUser, i64, Vec<i64>) {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let (live_id, spus) = app.room_with_goods(&owner, &[("A", 5), ("B", 5)]).await;
    (app, owner, live_id, spus)
}

#[tokio::test]
async fn viewers_are_told_of_bindings_reorders_explaining_and_unbinding() {
    let (app, owner, live_id, spus) = setup().await;
    let stream = open(&app, live_id, None).await;

    app.bind(&owner, live_id, spus[0]).await;
    app.bind(&owner, live_id, spus[1]).await;
    app.call(
        "PUT",
        &format!("/api/live/{live_id}/goods/positions"),
        Some(&owner),
        Some(json!({ "spu_ids": [spus[1], spus[0]] })),
    )
    .await;
    app.call("POST", &format!("/api/live/{live_id}/explaining"), Some(&owner), Some(json!({ "spu_id": spus[0] })))
        .await;
    app.call("DELETE", &format!("/api/live/{live_id}/goods/{}", spus[1]), Some(&owner), None).await;

    let events = read_events(stream, 5, Duration::from_secs(5)).await;
    let names: Vec<_> = events.iter().map(|e| e.1.as_str()).collect();
    assert_eq!(names, ["goods_bound", "goods_bound", "goods_reordered", "explaining", "goods_unbound"]);
    assert!(events.iter().all(|e| !e.0.is_empty()), "every event has an id");
    let bound: serde_json::Value = serde_json::from_str(&events[0].2).unwrap();
    assert_eq!(bound["spu_id"], spus[0]);
    assert_eq!(bound["position"], 0);
    let reordered: serde_json::Value = serde_json::from_str(&events[2].2).unwrap();
    assert_eq!(reordered["spu_ids"], json!([spus[1], spus[0]]));
    let unbound: serde_json::Value = serde_json::from_str(&events[4].2).unwrap();
    assert_eq!(unbound["spu_id"], spus[1]);
}

#[tokio::test]
async fn a_stock_change_is_an_event_with_the_new_stock() {
    let (app, owner, live_id, _) = setup().await;
    let (spu, sku) = app.create_goods(&owner, "S", 10).await;
    app.bind(&owner, live_id, spu).await;
    let stream = open(&app, live_id, None).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.call("PUT", &format!("/api/goods/{spu}/skus/{sku}/stock"), Some(&owner), Some(json!({ "stock": 4 }))).await;
    // The binding's own event may arrive first if it was fanned out after we connected.
    let events = read_events(stream, 2, Duration::from_secs(3)).await;
    let stock = events.iter().find(|e| e.1 == "stock").expect("a stock event");
    let data: serde_json::Value = serde_json::from_str(&stock.2).unwrap();
    assert_eq!(
        (data["spu_id"].as_i64(), data["sku_id"].as_i64(), data["stock"].as_i64()),
        (Some(spu), Some(sku), Some(4))
    );
}

#[tokio::test]
async fn a_viewer_reconnecting_with_last_event_id_gets_what_it_missed_and_nothing_twice() {
    let (app, owner, live_id, spus) = setup().await;
    let first = open(&app, live_id, None).await;
    app.bind(&owner, live_id, spus[0]).await;
    let seen = read_events(first, 1, Duration::from_secs(5)).await;
    assert_eq!(seen.len(), 1);

    // Disconnected: two more changes happen.
    app.bind(&owner, live_id, spus[1]).await;
    app.call("POST", &format!("/api/live/{live_id}/explaining"), Some(&owner), Some(json!({ "spu_id": spus[1] })))
        .await;
    tokio::time::sleep(Duration::from_millis(800)).await;

    let resumed = open(&app, live_id, Some(&seen[0].0)).await;
    let missed = read_events(resumed, 2, Duration::from_secs(5)).await;
    let names: Vec<_> = missed.iter().map(|e| e.1.as_str()).collect();
    assert_eq!(names, ["goods_bound", "explaining"]);
    assert!(missed.iter().all(|e| e.0 != seen[0].0));
}

#[tokio::test]
async fn an_unknown_room_has_no_event_stream() {
    let app = TestApp::spawn().await;
    let response = app.get("/api/live/999999/events").await;
    assert_eq!(response.status(), 404);
    assert_eq!(app.get("/api/live/x/events").await.status(), 400);
}
