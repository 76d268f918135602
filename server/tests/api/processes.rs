//! Real server processes sharing only Postgres and Redis.

use std::{
    process::Stdio,
    time::{Duration, Instant},
};

use futures::StreamExt;
use serde_json::{json, Value};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

pub struct ServerProcess {
    pub child: Child,
    pub base: String,
}

impl ServerProcess {
    pub async fn start(database_url: &str, prefix: &str) -> Self {
        Self::start_with(database_url, prefix, &[]).await
    }

    /// Starts the server binary with extra environment variables.
    pub async fn start_with(database_url: &str, prefix: &str, extra: &[(&str, &str)]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", database_url)
            .env("REDIS_URL", std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into()))
            .env("REDIS_KEY_PREFIX", prefix)
            .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
            .env("LIVE_DEMO_DATA", "0")
            .env("RUST_LOG", "warn")
            .envs(extra.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("server binary starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let base = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(rest) = line.split("running at ").nth(1) {
                    return rest.trim().trim_end_matches('/').to_owned();
                }
            }
            panic!("the server exited before printing its address");
        })
        .await
        .expect("the server prints its address within 60 s");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self { child, base }
    }
}

pub fn fresh_database() -> (String, String) {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let base = std::env::var("TEST_DATABASE_BASE").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned());
    (format!("{base}/lc_test_{id}"), format!("lct:{id}:"))
}

pub async fn post(base: &str, path: &str, token: Option<&str>, body: Value) -> Value {
    let mut request = reqwest::Client::new().post(format!("{base}{path}")).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    assert!(response.status().is_success(), "{path}: {}", response.status());
    response.json().await.unwrap_or(Value::Null)
}

#[tokio::test]
async fn a_viewer_on_one_process_sees_a_binding_made_through_another() {
    let (database_url, prefix) = fresh_database();
    let a = ServerProcess::start(&database_url, &prefix).await;
    let b = ServerProcess::start(&database_url, &prefix).await;

    let reply = post(
        &a.base,
        "/api/auth/register",
        None,
        json!({ "username": "streamer_x", "password": "secret-pass-1", "role": "streamer" }),
    )
    .await;
    let token = reply["token"].as_str().unwrap().to_owned();
    let room = post(&a.base, "/api/live", Some(&token), json!({ "title": "Two processes" })).await;
    let live_id = room["live_id"].as_i64().unwrap();
    let spu = post(
        &a.base,
        "/api/goods",
        Some(&token),
        json!({ "title": "G", "skus": [{ "spec": "s", "price_cents": 100, "stock": 3 }] }),
    )
    .await;
    let spu_id = spu["spu_id"].as_i64().unwrap();

    let events = reqwest::get(format!("{}/api/live/{live_id}/events", b.base)).await.unwrap();
    assert_eq!(events.status(), 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    post(&a.base, &format!("/api/live/{live_id}/goods"), Some(&token), json!({ "spu_id": spu_id })).await;

    let mut stream = events.bytes_stream();
    let mut seen = String::new();
    let found = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(chunk)) = stream.next().await {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: goods_bound") {
                return true;
            }
        }
        false
    })
    .await
    .unwrap_or(false);
    assert!(found, "process B's viewer got the binding made through A: {seen}");
    let list: Value =
        reqwest::get(format!("{}/api/live/goods-list?live_id={live_id}", b.base)).await.unwrap().json().await.unwrap();
    assert_eq!(list["goods"][0]["spu_id"], spu_id);
}

#[tokio::test]
async fn sigterm_stops_the_server_within_ten_seconds_even_with_open_event_streams() {
    let (database_url, prefix) = fresh_database();
    let mut server = ServerProcess::start(&database_url, &prefix).await;
    let reply = post(
        &server.base,
        "/api/auth/register",
        None,
        json!({ "username": "streamer_y", "password": "secret-pass-1", "role": "streamer" }),
    )
    .await;
    let room = post(&server.base, "/api/live", reply["token"].as_str(), json!({ "title": "Closing" })).await;
    let live_id = room["live_id"].as_i64().unwrap();
    let stream = reqwest::get(format!("{}/api/live/{live_id}/events", server.base)).await.unwrap();
    assert_eq!(stream.status(), 200);

    let pid = server.child.id().expect("running") as i32;
    let started = Instant::now();
    assert_eq!(unsafe_kill(pid), 0);
    let status = tokio::time::timeout(Duration::from_secs(10), server.child.wait()).await;
    assert!(status.is_ok(), "still running 10 s after SIGTERM");
    assert!(started.elapsed() < Duration::from_secs(10));
    drop(stream);
}

/// Sends SIGKILL: the process dies on the spot, mid-step.
#[cfg(feature = "faults")]
pub fn sigkill(process: &ServerProcess) {
    let pid = process.child.id().expect("running");
    let status = std::process::Command::new("kill").arg("-KILL").arg(pid.to_string()).status().unwrap();
    assert!(status.success());
}

/// Sends SIGTERM through the `kill` command (no libc dependency in tests).
fn unsafe_kill(pid: i32) -> i32 {
    std::process::Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status()
        .map(|s| s.code().unwrap_or(1))
        .unwrap_or(1)
}

#[tokio::test]
async fn a_sign_out_through_one_process_is_refused_by_another_within_a_second() {
    let (database_url, prefix) = fresh_database();
    let a = ServerProcess::start(&database_url, &prefix).await;
    let b = ServerProcess::start(&database_url, &prefix).await;
    let reply = post(
        &a.base,
        "/api/auth/register",
        None,
        json!({ "username": "viewer_two", "password": "secret-pass-1", "role": "viewer" }),
    )
    .await;
    let token = reply["token"].as_str().unwrap().to_owned();
    let client = reqwest::Client::new();
    let my_orders = |base: &str| client.get(format!("{base}/api/orders")).bearer_auth(&token).send();
    // B knows the session for longer than its copy would be believed alone.
    for _ in 0..6 {
        assert_eq!(my_orders(&b.base).await.unwrap().status(), 200);
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    let out = client.post(format!("{}/api/auth/logout", a.base)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(out.status(), 204);
    let signed_out = Instant::now();
    loop {
        let status = my_orders(&b.base).await.unwrap().status();
        if status == 401 {
            break;
        }
        assert_eq!(status, 200);
        assert!(signed_out.elapsed() < Duration::from_secs(1), "B still takes the token a second after the sign-out");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
