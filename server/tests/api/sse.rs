//! The room's server-sent events.

use std::time::Duration;

use futures::{stream::BoxStream, StreamExt};
use serde_json::{json, Value};

use crate::{
    helpers::{TestApp, TestUser},
    orders::Shop,
};

/// One event as read off the wire: `(id, event, data)`.
pub type Frame = (String, String, String);

/// Reads SSE frames off a response as they arrive.
pub struct EventReader {
    chunks: BoxStream<'static, reqwest::Result<String>>,
    buffer: String,
    pub events: Vec<Frame>,
}

impl EventReader {
    pub fn new(response: reqwest::Response) -> Self {
        let chunks = response.bytes_stream().map(|c| c.map(|b| String::from_utf8_lossy(&b).into_owned())).boxed();
        Self { chunks, buffer: String::new(), events: Vec::new() }
    }

    /// Reads until `done` holds for every event read so far, or `within` passed; whether it held.
    pub async fn read_until(&mut self, within: Duration, mut done: impl FnMut(&[Frame]) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        while !done(&self.events) {
            let Ok(Some(Ok(chunk))) = tokio::time::timeout_at(deadline, self.chunks.next()).await else { return false };
            self.buffer.push_str(&chunk);
            while let Some(end) = self.buffer.find("\n\n") {
                let frame: String = self.buffer.drain(..end + 2).collect();
                let field = |name: &str| {
                    frame
                        .lines()
                        .find_map(|l| l.strip_prefix(&format!("{name}:")))
                        .map(|v| v.trim().to_owned())
                        .unwrap_or_default()
                };
                if !field("event").is_empty() {
                    self.events.push((field("id"), field("event"), field("data")));
                }
            }
        }
        true
    }

    /// The events read so far of one kind, their data as JSON.
    pub fn of_kind(&self, kind: &str) -> Vec<Value> {
        self.events.iter().filter(|e| e.1 == kind).map(|e| serde_json::from_str(&e.2).unwrap()).collect()
    }
}

/// Reads SSE frames until `want` events arrived or `within` passed.
async fn read_events(response: reqwest::Response, want: usize, within: Duration) -> Vec<Frame> {
    let mut reader = EventReader::new(response);
    reader.read_until(within, |events| events.len() >= want).await;
    reader.events
}

async fn open(app: &TestApp, live_id: i64, last_event_id: Option<&str>) -> reqwest::Response {
    open_as(app, live_id, last_event_id, None).await
}

async fn open_as(
    app: &TestApp,
    live_id: i64,
    last_event_id: Option<&str>,
    user: Option<&TestUser>,
) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(app.url(&format!("/api/live/{live_id}/events")));
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    if let Some(user) = user {
        request = request.bearer_auth(&user.token);
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
    let bound: Value = serde_json::from_str(&events[0].2).unwrap();
    assert_eq!(bound["spu_id"], spus[0]);
    assert_eq!(bound["position"], 0);
    let reordered: Value = serde_json::from_str(&events[2].2).unwrap();
    assert_eq!(reordered["spu_ids"], json!([spus[1], spus[0]]));
    let unbound: Value = serde_json::from_str(&events[4].2).unwrap();
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
    let data: Value = serde_json::from_str(&stock.2).unwrap();
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

#[tokio::test]
async fn a_trimmed_or_unknown_last_event_id_gets_resync_and_the_stream_goes_on_from_now() {
    let (app, owner, live_id, spus) = setup().await;
    let first = open(&app, live_id, None).await;
    app.bind(&owner, live_id, spus[0]).await;
    let seen = read_events(first, 1, Duration::from_secs(5)).await;
    assert_eq!(seen.len(), 1);
    // More happens, and the room's stream is trimmed past what the viewer saw.
    app.call("POST", &format!("/api/live/{live_id}/explaining"), Some(&owner), Some(json!({ "spu_id": spus[0] })))
        .await;
    let key = app.state.redis.keys.room_events(app::ids::LiveId::new(live_id).unwrap());
    let mut redis = app.redis.clone();
    assert!(
        crate::helpers::eventually(Duration::from_secs(5), || {
            let (mut redis, key) = (redis.clone(), key.clone());
            async move { redis::AsyncCommands::xlen::<_, usize>(&mut redis, &key).await.unwrap() == 2 }
        })
        .await
    );
    let _: usize = redis::cmd("XTRIM").arg(&key).arg("MAXLEN").arg(1).query_async(&mut redis).await.unwrap();

    for stale in [seen[0].0.as_str(), "99999999999999-0", "not-an-id"] {
        let mut reader = EventReader::new(open(&app, live_id, Some(stale)).await);
        assert!(reader.read_until(Duration::from_secs(3), |e| !e.is_empty()).await, "{stale}: told nothing");
        assert_eq!(reader.events[0].1, "resync", "{stale}: {:?}", reader.events);
        assert_eq!(reader.events.len(), 1, "nothing it cannot place is replayed after resync");
    }

    // A position the trimmed stream still holds resumes quietly, as does the
    // id a resync carries (the newest); both then go on live.
    let kept: redis::streams::StreamRangeReply = redis::AsyncCommands::xrange_all(&mut redis, &key).await.unwrap();
    let mut told = EventReader::new(open(&app, live_id, Some("99999999999999-0")).await);
    told.read_until(Duration::from_secs(3), |e| !e.is_empty()).await;
    let mut from_kept = EventReader::new(open(&app, live_id, Some(&kept.ids[0].id)).await);
    let mut from_resync = EventReader::new(open(&app, live_id, Some(&told.events[0].0)).await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.bind(&owner, live_id, spus[1]).await;
    for resumed in [&mut from_kept, &mut from_resync] {
        assert!(resumed.read_until(Duration::from_secs(5), |e| !e.is_empty()).await);
        assert_eq!(resumed.events[0].1, "goods_bound", "{:?}", resumed.events);
    }
}

#[tokio::test]
async fn only_the_owner_hears_of_orders_while_every_viewer_sees_the_versioned_stock_they_took() {
    let shop = Shop::open(10).await;
    let (app, live_id) = (&shop.app, shop.live_id);
    let buyer = app.register("viewer").await;
    let mut owner = EventReader::new(open_as(app, live_id, None, Some(&shop.owner)).await);
    let mut signed_in = EventReader::new(open_as(app, live_id, None, Some(&buyer)).await);
    let mut anonymous = EventReader::new(open(app, live_id, None).await);
    tokio::time::sleep(Duration::from_millis(300)).await;

    assert_eq!(shop.buy(&buyer, 1).await.status(), 201);
    assert_eq!(shop.buy(&buyer, 2).await.status(), 201);
    let counted = |kind: &'static str, n: usize| move |e: &[Frame]| e.iter().filter(|f| f.1 == kind).count() >= n;
    assert!(owner.read_until(Duration::from_secs(5), counted("order", 2)).await, "{:?}", owner.events);
    // An event after the orders: a viewer that reads up to it was told all it ever will be of them.
    let explain = json!({ "spu_id": shop.spu_id });
    app.call("POST", &format!("/api/live/{live_id}/explaining"), Some(&shop.owner), Some(explain)).await;
    for viewer in [&mut owner, &mut signed_in, &mut anonymous] {
        assert!(viewer.read_until(Duration::from_secs(5), counted("explaining", 1)).await, "{:?}", viewer.events);
        let stock = viewer.of_kind("stock");
        let counts: Vec<_> = stock.iter().map(|s| s["spu_stock"].as_i64()).collect();
        assert_eq!(counts, [Some(9), Some(7)], "{stock:?}");
        let versions: Vec<i64> = stock.iter().map(|s| s["version"].as_i64().expect("a stock version")).collect();
        assert!(versions[0] < versions[1], "a later count has a newer version: {versions:?}");
    }
    assert_eq!(owner.of_kind("order").len(), 2);
    assert!(signed_in.of_kind("order").is_empty(), "the buyer is not the owner: {:?}", signed_in.events);
    assert!(anonymous.of_kind("order").is_empty(), "{:?}", anonymous.events);
}
