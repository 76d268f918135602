//! The shipped nginx configuration (deploy/nginx) in front of the real app:
//! level 2 of the goods detail cache hits, and revalidates expired entries
//! with the origin's 304; with nginx trusted, each client behind it has its
//! own sign-in budget, and a client's own `X-Forwarded-For` dodges nothing.

use std::{net::IpAddr, time::Duration};

use serde_json::json;

use crate::helpers::{eventually, free_port, TempNginx, TestApp};

struct Nginx {
    _process: TempNginx,
    base: String,
}

async fn start_nginx(upstream_port: u16) -> Nginx {
    let dir = TempNginx::prefix("lc-nginx");
    std::fs::create_dir_all(dir.join("cache")).unwrap();
    let port = free_port();
    let shipped =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/nginx/live-commerce.conf")).unwrap();
    let site = shipped
        .replace("/var/cache/nginx/live-commerce", &dir.join("cache").display().to_string())
        .replace("server 127.0.0.1:3000;", &format!("server 127.0.0.1:{upstream_port};"))
        .replace("listen 8080;", &format!("listen 127.0.0.1:{port};"));
    std::fs::write(dir.join("site.conf"), site).unwrap();
    let main = format!(
        "daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\nevents {{ worker_connections 256; }}\nhttp {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  include {d}/site.conf;\n}}\n",
        d = dir.display()
    );
    std::fs::write(dir.join("nginx.conf"), main).unwrap();
    let process = TempNginx::start(dir);
    let base = format!("http://127.0.0.1:{port}");
    let up =
        eventually(Duration::from_secs(10), || async { reqwest::get(format!("{base}/healthz")).await.is_ok() }).await;
    assert!(up, "nginx answers within 10 s");
    Nginx { _process: process, base }
}

async fn get(url: &str, if_none_match: Option<&str>) -> (u16, String, Option<String>) {
    let mut request = reqwest::Client::new().get(url);
    if let Some(tag) = if_none_match {
        request = request.header("if-none-match", tag);
    }
    let response = request.send().await.unwrap();
    let cache = response.headers().get("x-cache-status").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let etag = response.headers().get("etag").map(|v| v.to_str().unwrap().to_owned());
    (response.status().as_u16(), cache, etag)
}

async fn origin_304s(app: &TestApp) -> u64 {
    let metrics = app.get("/metrics").await.text().await.unwrap();
    metrics
        .lines()
        .find(|l| {
            l.starts_with("http_requests_total")
                && l.contains("route=\"/api/goods/{spu_id}\"")
                && l.contains("status=\"304\"")
        })
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn nginx_caches_goods_detail_and_revalidates_it_with_the_origins_304() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let (spu, _) = app.create_goods(&owner, "Tea", 30).await;
    let port = app.address.rsplit(':').next().unwrap().parse().unwrap();
    let nginx = start_nginx(port).await;
    let url = format!("{}/api/goods/{spu}", nginx.base);

    let (status, cache, etag) = get(&url, None).await;
    assert_eq!((status, cache.as_str()), (200, "MISS"));
    let (status, cache, _) = get(&url, None).await;
    assert_eq!((status, cache.as_str()), (200, "HIT"), "the second request never reaches the origin");

    let etag = etag.expect("an ETag through the proxy");
    let (status, _, _) = get(&url, Some(&etag)).await;
    assert_eq!(status, 304, "a client's revalidation is answered 304 by the proxy");

    // Past s-maxage the proxy revalidates with the origin, which answers 304.
    let before = origin_304s(&app).await;
    tokio::time::sleep(Duration::from_millis(5_500)).await;
    let revalidated = eventually(Duration::from_secs(5), || async {
        let (status, _, _) = get(&url, None).await;
        status == 200 && origin_304s(&app).await > before
    })
    .await;
    assert!(revalidated, "the origin answered the proxy's revalidation with 304");
}

/// A client connecting from its own loopback address (any 127.x.y.z is local).
fn client_at(addr: &str) -> reqwest::Client {
    reqwest::Client::builder().local_address(addr.parse::<IpAddr>().unwrap()).build().unwrap()
}

/// A login through `base`, with an `X-Forwarded-For` the client wrote itself.
async fn login(client: &reqwest::Client, base: &str, username: &str, password: &str, forged: &str) -> u16 {
    let response = client
        .post(format!("{base}/api/auth/login"))
        .header("x-forwarded-for", forged)
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

#[tokio::test]
async fn behind_the_trusted_nginx_each_client_has_its_own_sign_in_budget_and_a_forged_forwarded_for_changes_nothing() {
    let app = TestApp::spawn_with(&[("LIVE_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let owner = app.register("streamer").await;
    let port = app.address.rsplit(':').next().unwrap().parse().unwrap();
    let nginx = start_nginx(port).await;
    let (guesser, owner_at_home) = (client_at("127.0.0.2"), client_at("127.0.0.3"));

    let mut statuses = Vec::new();
    for i in 0..10 {
        let forged = format!("198.51.100.{i}");
        statuses.push(login(&guesser, &nginx.base, &owner.username, "wrong-pass-1", &forged).await);
    }
    assert_eq!(
        statuses,
        [401, 401, 401, 401, 401, 429, 429, 429, 429, 429],
        "a new forged address each time helps nothing"
    );

    let other = login(&owner_at_home, &nginx.base, &owner.username, "secret-pass-1", "198.51.100.0").await;
    assert_eq!(other, 200, "another client behind the same proxy has a budget of its own");
}

#[tokio::test]
async fn without_trusting_nginx_a_forwarded_for_the_client_sent_is_ignored_and_cannot_dodge_the_lockout() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let port = app.address.rsplit(':').next().unwrap().parse().unwrap();
    let nginx = start_nginx(port).await;
    let (guesser, neighbour) = (client_at("127.0.0.2"), client_at("127.0.0.3"));

    for i in 0..5 {
        let forged = format!("198.51.100.{i}");
        assert_eq!(login(&guesser, &nginx.base, &owner.username, "wrong-pass-1", &forged).await, 401);
    }
    let dodge = login(&guesser, &nginx.base, &owner.username, "secret-pass-1", "198.51.100.99").await;
    assert_eq!(dodge, 429, "a forged X-Forwarded-For through the untrusted proxy is not believed");
    let direct = login(&reqwest::Client::new(), &app.address, &owner.username, "secret-pass-1", "203.0.113.5").await;
    assert_eq!(direct, 429, "nor sent straight to the app");
    let shared = login(&neighbour, &nginx.base, &owner.username, "secret-pass-1", "203.0.113.6").await;
    assert_eq!(shared, 429, "untrusted, the proxy is the only address the app knows: everyone behind it shares it");
}
