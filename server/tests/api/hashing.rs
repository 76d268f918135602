//! Password hashing runs a bounded number at a time: a flood of sign-ins is
//! answered (checked, or 503 to try again) without stalling anything else.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::TestApp;

/// A liveness bound, far above a healthy answer's few milliseconds.
const PROMPTLY: Duration = Duration::from_secs(1);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_sign_ins_never_stalls_healthz_or_the_goods_list() {
    let app = TestApp::spawn().await;
    let room = app.seed_room("Room", &[("Tea", 1_990, 30)]).await;
    let goods = app.url(&format!("/api/live/goods-list?live_id={}", room.live_id));
    let client = reqwest::Client::new();
    assert_eq!(client.get(&goods).send().await.unwrap().status(), 200);

    // Guesses at 160 names, each hashed like a real account's password.
    let flood: Vec<_> = (0..160)
        .map(|i| {
            let request = client
                .post(app.url("/api/auth/login"))
                .json(&json!({ "username": format!("guess_{i}"), "password": "secret-pass-1" }));
            tokio::spawn(async move { request.send().await.map(|r| r.status().as_u16()) })
        })
        .collect();

    let mut slowest = Duration::ZERO;
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let started = Instant::now();
        let (health, list) = tokio::join!(client.get(app.url("/healthz")).send(), client.get(&goods).send());
        slowest = slowest.max(started.elapsed());
        assert_eq!(health.unwrap().status(), 200);
        assert_eq!(list.unwrap().status(), 200);
    }
    assert!(slowest < PROMPTLY, "healthz and the goods list took {slowest:?} during the flood");

    let mut statuses = Vec::new();
    for answer in flood {
        statuses.push(answer.await.unwrap().expect("every sign-in is answered"));
    }
    assert!(statuses.iter().all(|s| *s == 401 || *s == 503), "checked or told to retry: {statuses:?}");
    assert!(statuses.contains(&401), "the flood is checked as fast as the bound allows: {statuses:?}");
}
