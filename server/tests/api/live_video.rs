//! Live video: stream keys, nginx's calls about each stream, and a real
//! stream pushed with ffmpeg through the shipped nginx RTMP configuration
//! (deploy/nginx/live-video.conf): the room goes live, "reconnecting" when
//! the push stops and ended with its replay, viewers hear each change, and
//! the explaining mark carries the stream time.

use std::{process::Stdio, time::Duration};

use serde_json::{json, Value};
use tokio::process::{Child, Command};

use crate::{
    helpers::{assert_error, eventually, free_port, TempNginx, TestApp, TestUser},
    sse::EventReader,
};

const FFMPEG: &str = "/usr/bin/ffmpeg";

async fn rotate(app: &TestApp, owner: &TestUser, live_id: i64) -> (String, String) {
    let response = app.call("POST", &format!("/api/live/{live_id}/stream-key"), Some(owner), None).await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    (body["stream_key"].as_str().unwrap().to_owned(), body["rtmp_url"].as_str().unwrap().to_owned())
}

/// What nginx-rtmp posts for a publish of `key` (`{live_id}?key={secret}`).
async fn hook(app: &TestApp, call: &str, key: &str, secret: Option<&str>) -> reqwest::Response {
    let (name, args) = key.split_once('?').unwrap_or((key, ""));
    let path = match call {
        "publish" => "on-publish",
        "publish_done" => "on-publish-done",
        _ => "on-update",
    };
    let query = secret.map(|s| format!("?secret={s}")).unwrap_or_default();
    let body = format!("app=live&flashver=FMLE%2F3.0&tcurl=rtmp%3A%2F%2F127.0.0.1%2Flive&addr=127.0.0.1&clientid=1&call={call}&name={name}&type=live&{args}");
    reqwest::Client::new()
        .post(app.url(&format!("/api/rtmp/{path}{query}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn room(app: &TestApp, live_id: i64) -> Value {
    app.get(&format!("/api/live/{live_id}")).await.json().await.unwrap()
}

async fn stream_status_becomes(app: &TestApp, live_id: i64, want: &str) -> bool {
    eventually(Duration::from_secs(5), || async { room(app, live_id).await["stream_status"] == want }).await
}

#[tokio::test]
async fn a_stream_key_is_minted_for_the_owner_only_and_each_new_one_replaces_the_last() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let other = app.register("streamer").await;
    let (live_id, _) = app.room_with_goods(&owner, &[("Tea", 5)]).await;
    let path = format!("/api/live/{live_id}/stream-key");

    assert_error(app.call("POST", &path, None, None).await, 401, "unauthorized").await;
    assert_error(app.call("POST", &path, Some(&other), None).await, 403, "forbidden").await;
    assert_error(app.call("POST", "/api/live/999999/stream-key", Some(&owner), None).await, 404, "not_found").await;

    let (first, rtmp_url) = rotate(&app, &owner, live_id).await;
    assert!(first.starts_with(&format!("{live_id}?key=")), "{first}");
    assert_eq!(rtmp_url, "rtmp://127.0.0.1:1935/live");
    let (second, _) = rotate(&app, &owner, live_id).await;
    assert_ne!(first, second);

    let fresh = room(&app, live_id).await;
    assert_eq!(fresh["stream_status"], "offline");
    assert!(fresh["playback_url"].is_null());
    assert!(!fresh.to_string().contains(second.split_once("key=").unwrap().1), "the key is never shown again");
}

#[tokio::test]
async fn on_publish_accepts_the_rooms_key_and_refuses_a_wrong_rotated_or_ended_one() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let (live_id, _) = app.room_with_goods(&owner, &[("Tea", 5)]).await;
    let (old, _) = rotate(&app, &owner, live_id).await;
    let (key, _) = rotate(&app, &owner, live_id).await;
    let forged = format!("{live_id}?key={}", "x".repeat(40));
    let elsewhere = key.replacen(&live_id.to_string(), &(live_id + 1).to_string(), 1);

    for refused in [old.as_str(), forged.as_str(), &format!("{live_id}"), elsewhere.as_str(), "../1?key=a"] {
        assert_eq!(hook(&app, "publish", refused, None).await.status(), 403, "{refused}");
    }
    assert_eq!(room(&app, live_id).await["stream_status"], "offline", "a refused publish changes nothing");

    let mut viewer = EventReader::new(app.get(&format!("/api/live/{live_id}/events")).await);
    assert_eq!(hook(&app, "publish", &key, None).await.status(), 200);
    assert!(stream_status_becomes(&app, live_id, "live").await);
    let live = room(&app, live_id).await;
    assert_eq!(live["playback_url"], format!("http://127.0.0.1:8088/hls/{live_id}/index.m3u8"));
    assert!(live["stream_epoch_ms"].as_i64().is_some());

    assert_eq!(hook(&app, "publish_done", &key, None).await.status(), 200);
    assert!(stream_status_becomes(&app, live_id, "reconnecting").await);
    assert!(
        viewer
            .read_until(Duration::from_secs(5), |events| events.iter().filter(|e| e.1 == "room_status").count() >= 2)
            .await
    );
    let statuses: Vec<Value> = viewer.of_kind("room_status").iter().map(|e| e["stream_status"].clone()).collect();
    assert_eq!(statuses, vec![json!("live"), json!("reconnecting")]);

    // Back within the same key; then the streamer ends the room and no key opens it again.
    assert_eq!(hook(&app, "publish", &key, None).await.status(), 200);
    assert!(stream_status_becomes(&app, live_id, "live").await);
    assert_eq!(app.call("POST", &format!("/api/live/{live_id}/end"), Some(&owner), None).await.status(), 200);
    assert!(stream_status_becomes(&app, live_id, "ended").await);
    assert_eq!(hook(&app, "publish", &key, None).await.status(), 403);
    assert_eq!(hook(&app, "publish_done", &key, None).await.status(), 200);
    assert_eq!(room(&app, live_id).await["stream_status"], "ended", "a late publish_done changes nothing");
}

#[tokio::test]
async fn goods_bound_while_the_room_streams_are_on_the_timeline_at_their_stream_time() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let (live_id, spus) = app.room_with_goods(&owner, &[("Tea", 5)]).await;
    let (key, _) = rotate(&app, &owner, live_id).await;
    assert_eq!(hook(&app, "publish", &key, None).await.status(), 200);
    assert!(stream_status_becomes(&app, live_id, "live").await);
    // As if the stream had started ten seconds ago.
    sqlx::query("UPDATE live_rooms SET stream_epoch = now() - interval '10 seconds' WHERE id = $1")
        .bind(live_id)
        .execute(&app.db)
        .await
        .unwrap();
    let (late, _) = app.create_goods(&owner, "Cup", 5).await;
    assert_eq!(app.bind(&owner, live_id, late).await.status(), 201);
    let timeline: Value =
        app.call("GET", &format!("/api/live/{live_id}/timeline"), None, None).await.json().await.unwrap();
    let bound = timeline["bound"].as_array().unwrap();
    assert_eq!(bound.len(), 1, "goods bound before the stream are there all along: {timeline}");
    assert_eq!(bound[0]["spu_id"], late);
    assert_ne!(bound[0]["spu_id"], spus[0]);
    let at = bound[0]["stream_time_ms"].as_i64().unwrap();
    assert!((10_000..15_000).contains(&at), "{at}");
}

#[tokio::test]
async fn with_a_hook_secret_set_nginxs_calls_must_carry_it() {
    let app = TestApp::spawn_with(&[("LIVE_RTMP_HOOK_SECRET", "s3cret-hook")]).await;
    let owner = app.register("streamer").await;
    let (live_id, _) = app.room_with_goods(&owner, &[("Tea", 5)]).await;
    let (key, _) = rotate(&app, &owner, live_id).await;
    assert_eq!(hook(&app, "publish", &key, None).await.status(), 403);
    assert_eq!(hook(&app, "publish", &key, Some("wrong")).await.status(), 403);
    assert_eq!(room(&app, live_id).await["stream_status"], "offline");
    assert_eq!(hook(&app, "publish", &key, Some("s3cret-hook")).await.status(), 200);
    assert!(stream_status_becomes(&app, live_id, "live").await);
}

#[tokio::test]
async fn a_scheduled_room_is_upcoming_until_its_stream_starts_and_a_bad_time_is_refused() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let at = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let created =
        app.call("POST", "/api/live", Some(&owner), Some(json!({"title": "Tonight", "scheduled_at": at}))).await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let scheduled = chrono::DateTime::parse_from_rfc3339(created["scheduled_at"].as_str().unwrap()).unwrap();
    assert_eq!(scheduled, chrono::DateTime::parse_from_rfc3339(&at).unwrap());
    assert_eq!(created["stream_status"], "offline");

    for bad in ["tomorrow", "2026-13-01T00:00:00Z", "2099-01-01T00:00:00Z"] {
        let response =
            app.call("POST", "/api/live", Some(&owner), Some(json!({"title": "Bad", "scheduled_at": bad}))).await;
        assert_error(response, 422, "validation").await;
    }
}

struct Ingest {
    _process: TempNginx,
    rtmp: String,
}

/// The shipped live-video configuration, with the test's own ports and folders.
async fn start_ingest(app_base: &str, hls_port: u16) -> Ingest {
    let dir = TempNginx::prefix("lc-rtmp");
    let hls_dir = dir.join("hls");
    std::fs::create_dir_all(&hls_dir).unwrap();
    // nginx's worker may run as another user (nobody, under root): it writes the HLS output.
    for folder in [&dir, &hls_dir] {
        std::fs::set_permissions(folder, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    }
    let rtmp_port = free_port();
    let shipped =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/nginx/live-video.conf")).unwrap();
    let conf = shipped
        .replace("@PREFIX@", &dir.display().to_string())
        .replace("@HLS_DIR@", &hls_dir.display().to_string())
        .replace("@RTMP_PORT@", &format!("127.0.0.1:{rtmp_port}"))
        .replace("@HLS_PORT@", &format!("127.0.0.1:{hls_port}"))
        .replace("@APP@", app_base)
        .replace("@HOOK_SECRET@", "");
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let process = TempNginx::start(dir);
    let up = eventually(Duration::from_secs(10), || async {
        tokio::net::TcpStream::connect(("127.0.0.1", rtmp_port)).await.is_ok()
    })
    .await;
    assert!(up, "nginx listens for RTMP within 10 s");
    Ingest { _process: process, rtmp: format!("rtmp://127.0.0.1:{rtmp_port}/live") }
}

/// ffmpeg pushing a generated test pattern (1 s keyframes) for `seconds`.
fn push(rtmp: &str, key: &str, seconds: u32) -> Child {
    assert!(std::path::Path::new(FFMPEG).exists(), "ffmpeg is missing: run scripts/setup.sh");
    Command::new(FFMPEG)
        .args(["-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i"])
        .arg(format!("testsrc2=size=320x180:rate=25:duration={seconds}"))
        .args(["-f", "lavfi", "-i"])
        .arg(format!("sine=frequency=440:duration={seconds}"))
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-tune",
            "zerolatency",
            "-g",
            "25",
            "-c:a",
            "aac",
            "-f",
            "flv",
        ])
        .arg(format!("{rtmp}/{key}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("ffmpeg starts")
}

async fn fetch(url: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let response = reqwest::get(url).await.unwrap();
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    (status, headers, response.text().await.unwrap_or_default())
}

fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    headers.get(name).map(|v| v.to_str().unwrap()).unwrap_or_default()
}

#[tokio::test]
async fn a_stream_pushed_through_nginx_goes_live_drops_to_reconnecting_and_replays_with_its_timeline() {
    let hls_port = free_port();
    let hls = format!("http://127.0.0.1:{hls_port}/hls");
    let app = TestApp::spawn_with(&[("LIVE_HLS_URL", &hls)]).await;
    let owner = app.register("streamer").await;
    let (live_id, spus) = app.room_with_goods(&owner, &[("Tea", 5), ("Cup", 5)]).await;
    for spu in &spus {
        assert_eq!(app.bind(&owner, live_id, *spu).await.status(), 201);
    }
    let (key, _) = rotate(&app, &owner, live_id).await;
    let ingest = start_ingest(&app.address, hls_port).await;
    let mut viewer = EventReader::new(app.get(&format!("/api/live/{live_id}/events")).await);

    // A wrong key: nginx asks, the app refuses, the encoder is turned away.
    let refused = push(&ingest.rtmp, &format!("{live_id}?key={}", "x".repeat(40)), 3).wait().await.unwrap();
    assert!(!refused.success(), "the encoder is refused");
    assert_eq!(room(&app, live_id).await["stream_status"], "offline");

    let started = std::time::Instant::now();
    let mut encoder = push(&ingest.rtmp, &key, 9);
    assert!(stream_status_becomes(&app, live_id, "live").await, "the room is live once the push starts");
    let playback = room(&app, live_id).await["playback_url"].as_str().unwrap().to_owned();
    assert_eq!(playback, format!("{hls}/{live_id}/index.m3u8"));

    // Viewers can play it: the playlist barely cached, segments for good, any origin.
    let playable = eventually(Duration::from_secs(8), || async { fetch(&playback).await.2.contains(".ts") }).await;
    assert!(playable, "the live playlist lists segments");
    let (status, headers, playlist) = fetch(&playback).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "access-control-allow-origin"), "*");
    assert!(header(&headers, "cache-control").contains("no-cache"));
    let segment = playlist.lines().find(|l| l.ends_with(".ts")).unwrap();
    let (status, headers, _) = fetch(&format!("{hls}/{live_id}/{segment}")).await;
    assert_eq!(status, 200);
    assert!(header(&headers, "cache-control").contains("immutable"));

    // "Now explaining" carries the stream time it was pressed at.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let path = format!("/api/live/{live_id}/explaining");
    let explained = app.call("POST", &path, Some(&owner), Some(json!({"spu_id": spus[1]}))).await;
    assert_eq!(explained.status(), 200);
    let pressed_after = started.elapsed().as_millis() as i64;
    assert!(viewer.read_until(Duration::from_secs(5), |events| events.iter().any(|e| e.1 == "explaining")).await);
    let stream_time = viewer.of_kind("explaining")[0]["stream_time_ms"].as_i64().expect("a stream time while live");
    assert!(
        (0..=pressed_after).contains(&stream_time),
        "{stream_time} ms on the stream clock, pressed after {pressed_after}"
    );

    // The push ends: the room waits for the streamer to come back.
    assert!(encoder.wait().await.unwrap().success());
    assert!(stream_status_becomes(&app, live_id, "reconnecting").await, "the room reconnects when the push stops");

    // The streamer ends the room: it replays what was recorded.
    assert_eq!(app.call("POST", &format!("/api/live/{live_id}/end"), Some(&owner), None).await.status(), 200);
    assert!(stream_status_becomes(&app, live_id, "ended").await, "viewers' copy of the room follows within seconds");
    let ended = room(&app, live_id).await;
    assert!(ended["playback_url"].is_null());
    assert_eq!(ended["replay_url"], format!("/api/live/{live_id}/replay.m3u8"));
    let (status, headers, vod) = fetch(&app.url(ended["replay_url"].as_str().unwrap())).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), "application/vnd.apple.mpegurl");
    assert!(vod.contains("#EXT-X-PLAYLIST-TYPE:VOD") && vod.ends_with("#EXT-X-ENDLIST\n"), "{vod}");
    let recorded_ms: f64 = vod
        .lines()
        .filter_map(|l| l.strip_prefix("#EXTINF:"))
        .map(|d| d.trim_end_matches(',').parse::<f64>().unwrap() * 1000.0)
        .sum();
    assert!(recorded_ms > 6_000.0, "the replay holds the whole push, not the last minute's tail: {recorded_ms} ms");
    let first = vod.lines().find(|l| l.starts_with("http")).unwrap();
    assert!(first.starts_with(&format!("{hls}/{live_id}/")));
    assert_eq!(fetch(first).await.0, 200, "the replay's segments are served");

    let timeline: Value = app.get(&format!("/api/live/{live_id}/timeline")).await.json().await.unwrap();
    assert_eq!(timeline["entries"], json!([{"spu_id": spus[1], "stream_time_ms": stream_time}]));

    assert!(
        viewer
            .read_until(Duration::from_secs(5), |events| events.iter().filter(|e| e.1 == "room_status").count() >= 3)
            .await
    );
    let statuses = viewer.of_kind("room_status");
    let names: Vec<&str> = statuses.iter().map(|e| e["stream_status"].as_str().unwrap()).collect();
    assert_eq!(names, ["live", "reconnecting", "ended"]);
    assert_eq!(statuses[0]["playback_url"], playback);
    assert!(statuses[0]["stream_epoch_ms"].as_i64().is_some(), "a viewer who came before the stream learns its clock");
    assert_eq!(statuses[2]["replay_url"], format!("/api/live/{live_id}/replay.m3u8"));
}
