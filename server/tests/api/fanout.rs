//! Live updates scale with rooms, not viewers, and are bounded: one Redis
//! reader per process however many viewers, caps on open event streams, and
//! one bounded dedupe key per room however many events it was told.

use std::{net::IpAddr, time::Duration};

use app::{
    events::{Explaining, RoomEvent},
    ids::LiveId,
};
use futures::StreamExt;
use redis::AsyncCommands;

use crate::{
    helpers::{assert_error, eventually, TestApp},
    sse::EventReader,
};

/// Lets this test process hold thousands of sockets (both ends of every stream).
fn raise_open_file_limit(wanted: u64) {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: plain libc calls on a struct we own.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        if limit.rlim_cur < wanted {
            limit.rlim_cur = wanted.min(limit.rlim_max);
            assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
        }
    }
    assert!(limit.rlim_cur >= wanted, "the open-file limit allows {} only", limit.rlim_cur);
}

/// An HTTP client whose connections come from `address` (any of 127.0.0.0/8).
fn client_from(address: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder().local_address(IpAddr::from(address)).build().unwrap()
}

/// How many Redis connections carry this process's fan-out reader's name.
async fn fanout_readers(app: &TestApp) -> usize {
    let name = format!("name={}fanout-reader", app.redis_prefix);
    let mut redis = app.redis.clone();
    let clients: String = redis::cmd("CLIENT").arg("LIST").query_async(&mut redis).await.unwrap();
    clients.lines().filter(|line| line.split(' ').any(|field| field == name)).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_viewers_of_one_room_cost_one_redis_reader_and_all_see_a_new_binding() {
    const VIEWERS: usize = 2_000;
    raise_open_file_limit(3 * VIEWERS as u64 + 1_024);
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let (live_id, spus) = app.room_with_goods(&owner, &[("Tea", 5)]).await;
    let url = app.url(&format!("/api/live/{live_id}/events"));
    // Ten client addresses, 200 viewers behind each (a NAT's worth).
    let clients: Vec<_> = (0..10).map(|i| client_from([127, 0, 0, 10 + i])).collect();

    let started = tokio::time::Instant::now();
    let streams: Vec<reqwest::Response> = futures::stream::iter(0..VIEWERS)
        .map(|i| clients[i % clients.len()].get(&url).send())
        .buffer_unordered(100)
        .map(|response| response.expect("connected"))
        .collect()
        .await;
    assert!(streams.iter().all(|r| r.status() == 200), "every viewer got its stream");
    assert!(eventually(Duration::from_secs(3), || async { fanout_readers(&app).await == 1 }).await);

    app.bind(&owner, live_id, spus[0]).await;
    let told = futures::future::join_all(streams.into_iter().map(|response| async move {
        let mut reader = EventReader::new(response);
        reader.read_until(Duration::from_secs(15), |e| e.iter().any(|f| f.1 == "goods_bound")).await
    }))
    .await;

    assert_eq!(told.iter().filter(|t| **t).count(), VIEWERS, "every viewer saw the binding");
    assert_eq!(fanout_readers(&app).await, 1, "one Redis reader for the process, not one per viewer or room");
    assert!(started.elapsed() < Duration::from_secs(25), "took {:?}", started.elapsed());
}

#[tokio::test]
async fn past_the_per_address_and_per_process_caps_event_streams_are_refused_until_one_closes() {
    let app = TestApp::spawn_with(&[("LIVE_SSE_MAX_CONNECTIONS", "3"), ("LIVE_SSE_MAX_PER_ADDRESS", "2")]).await;
    let owner = app.register("streamer").await;
    let (live_id, _) = app.room_with_goods(&owner, &[]).await;
    let url = app.url(&format!("/api/live/{live_id}/events"));
    let (a, b, c) = (client_from([127, 0, 0, 2]), client_from([127, 0, 0, 3]), client_from([127, 0, 0, 4]));

    let a1 = a.get(&url).send().await.unwrap();
    let a2 = a.get(&url).send().await.unwrap();
    assert_eq!((a1.status().as_u16(), a2.status().as_u16()), (200, 200));
    let message = assert_error(a.get(&url).send().await.unwrap(), 429, "rate_limited").await;
    assert!(message.contains("address"), "{message}");
    let b1 = b.get(&url).send().await.unwrap();
    assert_eq!(b1.status(), 200, "another address still gets a stream");
    assert_error(c.get(&url).send().await.unwrap(), 429, "rate_limited").await;

    drop(a1);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    let reopened = loop {
        let response = a.get(&url).send().await.unwrap();
        if response.status() == 200 || tokio::time::Instant::now() >= deadline {
            break response;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(reopened.status(), 200, "a closed stream frees its slot");
    assert_error(c.get(&url).send().await.unwrap(), 429, "rate_limited").await;
    drop((a2, b1, reopened));
}

#[tokio::test]
async fn a_room_told_thousands_of_events_keeps_one_bounded_dedupe_key_and_still_tells_each_once() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let (live_id, spus) = app.room_with_goods(&owner, &[("Tea", 5)]).await;
    let room = LiveId::new(live_id).unwrap();
    let mut redis = app.redis.clone();
    let stream = app.state.redis.keys.room_events(room);

    // Events through the whole pipeline, then many more fanned out directly.
    app.bind(&owner, live_id, spus[0]).await;
    for explaining in [serde_json::json!(spus[0]), serde_json::Value::Null] {
        let body = serde_json::json!({ "spu_id": explaining });
        app.call("POST", &format!("/api/live/{live_id}/explaining"), Some(&owner), Some(body)).await;
    }
    assert!(
        eventually(Duration::from_secs(5), || {
            let (mut redis, stream) = (redis.clone(), stream.clone());
            async move { redis.xlen::<_, usize>(&stream).await.unwrap() == 3 }
        })
        .await
    );
    const EVENTS: i64 = 2_500;
    let event = RoomEvent::Explaining(Explaining { live_id: room, spu_id: None, stream_time_ms: None });
    for event_id in 1_000_000..1_000_000 + EVENTS {
        app.state.fanout.publish(room, event_id, &event).await.unwrap();
    }
    let newest: redis::streams::StreamRangeReply = redis.xrevrange_count(&stream, "+", "-", 1).await.unwrap();

    // A redelivery of the newest is not told again.
    app.state.fanout.publish(room, 1_000_000 + EVENTS - 1, &event).await.unwrap();
    let after: redis::streams::StreamRangeReply = redis.xrevrange_count(&stream, "+", "-", 1).await.unwrap();
    assert_eq!(after.ids[0].id, newest.ids[0].id, "a redelivered event is told once");

    let pattern = format!("{}*seen*", app.redis_prefix);
    let mut keys: Vec<String> = Vec::new();
    let mut scan = redis.scan_match::<_, String>(&pattern).await.unwrap();
    while let Some(key) = scan.next().await {
        keys.push(key.unwrap());
    }
    drop(scan);
    assert_eq!(keys.len(), 1, "one dedupe key for the room, not one per event: {} keys", keys.len());
    let remembered: i64 = redis.zcard(&keys[0]).await.unwrap();
    assert!(remembered < EVENTS, "the room remembers a bounded window, not all {EVENTS}: {remembered}");
    let ttl: i64 = redis.ttl(&keys[0]).await.unwrap();
    assert!(ttl > 0, "the dedupe key expires with the room's activity");
}

#[tokio::test]
async fn a_viewer_too_slow_for_its_rooms_broadcast_still_gets_every_event_once_in_order() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let (live_id, _) = app.room_with_goods(&owner, &[]).await;
    let room = LiveId::new(live_id).unwrap();
    let slow = reqwest::get(app.url(&format!("/api/live/{live_id}/events"))).await.unwrap();
    assert_eq!(slow.status(), 200);

    // Far more than the socket buffers hold, while the viewer reads nothing.
    const EVENTS: i64 = 800;
    let bulky = "x".repeat(16 * 1024);
    for event_id in 1..=EVENTS {
        let bound = app::events::GoodsBound {
            live_id: room,
            spu_id: app::ids::SpuId::new(event_id).unwrap(),
            position: event_id as i32,
            stock_snapshot: 1,
            tracking_code: bulky.clone(),
        };
        app.state.fanout.publish(room, event_id, &RoomEvent::GoodsBound(bound)).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut reader = EventReader::new(slow);
    reader.read_until(Duration::from_secs(20), |e| e.len() >= EVENTS as usize).await;
    let positions: Vec<i64> = reader.of_kind("goods_bound").iter().map(|e| e["position"].as_i64().unwrap()).collect();
    assert_eq!(positions, (1..=EVENTS).collect::<Vec<_>>(), "every event, once, in order");
}
