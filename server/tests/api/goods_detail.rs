//! The goods detail API's two cache levels, the web goods page, the
//! well-known files and click/view tracking.

use serde_json::{json, Value};

use crate::helpers::{assert_error, TestApp};

#[tokio::test]
async fn goods_detail_answers_the_product_with_an_etag_and_proxy_cache_headers() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let (spu, sku) = app.create_goods(&owner, "Tea", 30).await;

    let response = app.get(&format!("/api/goods/{spu}")).await;

    assert_eq!(response.status(), 200);
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'));
    let cache_control = response.headers()["cache-control"].to_str().unwrap().to_owned();
    assert!(cache_control.contains("s-maxage") && cache_control.contains("stale-while-revalidate"), "{cache_control}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["spu_id"], spu);
    assert_eq!(body["title"], "Tea");
    assert_eq!(body["skus"], json!([{ "sku_id": sku, "spec": "std", "price_cents": 1990, "stock": 30 }]));
    assert!(body.get("description").is_some() && body.get("cover_url").is_some());
}

#[tokio::test]
async fn a_matching_if_none_match_gets_304_also_when_weakened_by_a_proxy() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let (spu, _) = app.create_goods(&owner, "Tea", 30).await;
    let etag = app.get(&format!("/api/goods/{spu}")).await.headers()["etag"].to_str().unwrap().to_owned();
    for candidate in [etag.clone(), format!("W/{etag}"), format!("\"other\", {etag}")] {
        let response = reqwest::Client::new()
            .get(app.url(&format!("/api/goods/{spu}")))
            .header("if-none-match", &candidate)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 304, "{candidate}");
        assert_eq!(response.headers()["etag"].to_str().unwrap(), etag);
        assert!(response.bytes().await.unwrap().is_empty());
    }
    let stale = reqwest::Client::new()
        .get(app.url(&format!("/api/goods/{spu}")))
        .header("if-none-match", "\"not-it\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 200);
}

#[tokio::test]
async fn a_stock_change_is_served_at_once_with_a_new_etag() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let (spu, sku) = app.create_goods(&owner, "Tea", 30).await;
    let before = app.get(&format!("/api/goods/{spu}")).await;
    let old_etag = before.headers()["etag"].to_str().unwrap().to_owned();

    app.call("PUT", &format!("/api/goods/{spu}/skus/{sku}/stock"), Some(&owner), Some(json!({ "stock": 3 }))).await;

    let after = app.get(&format!("/api/goods/{spu}")).await;
    assert_ne!(after.headers()["etag"].to_str().unwrap(), old_etag);
    let body: Value = after.json().await.unwrap();
    assert_eq!(body["skus"][0]["stock"], 3, "level 1 was dropped when the stock changed");
    let revalidate = reqwest::Client::new()
        .get(app.url(&format!("/api/goods/{spu}")))
        .header("if-none-match", &old_etag)
        .send()
        .await
        .unwrap();
    assert_eq!(revalidate.status(), 200, "the old tag no longer matches");
}

#[tokio::test]
async fn concurrent_misses_load_a_product_from_postgres_once() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let (spu, _) = app.create_goods(&owner, "Tea", 30).await;
    let before = app.state.goods_cache.load_count();
    let path = format!("/api/goods/{spu}");
    let requests = (0..40).map(|_| app.get(&path));
    let responses = futures::future::join_all(requests).await;
    assert!(responses.iter().all(|r| r.status() == 200));
    assert_eq!(app.state.goods_cache.load_count() - before, 1);
}

#[tokio::test]
async fn level_one_expires_after_about_thirty_seconds() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let (spu, _) = app.create_goods(&owner, "Tea", 30).await;
    app.get(&format!("/api/goods/{spu}")).await;
    let mut redis = app.redis.clone();
    let key = app.state.redis.keys.goods(app::ids::SpuId::new(spu).unwrap());
    let ttl: i64 = redis::AsyncCommands::ttl(&mut redis, &key).await.unwrap();
    assert!((25..=35).contains(&ttl), "ttl {ttl}");
}

#[tokio::test]
async fn unknown_and_malformed_goods_are_404_and_400() {
    let app = TestApp::spawn().await;
    assert_error(app.get("/api/goods/999999").await, 404, "not_found").await;
    assert_error(app.get("/api/goods/abc").await, 400, "bad_request").await;
}

#[tokio::test]
async fn the_web_goods_page_renders_the_product_and_keeps_the_live_parameters() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let (spu, _) = app.create_goods(&owner, "Oolong tea", 30).await;
    let (live_id, _) = app.room_with_goods(&owner, &[]).await;
    let path = format!("/app/goods_detail?spu_id={spu}&source_type=live&live_id={live_id}&tracking_code=abc123&trace_id=4bf92f3577b34da6");
    let response = app.get(&path).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("Oolong tea") && html.contains("¥19.90"), "data in the first HTML");
    assert!(html.contains(r#"data-tracking-code="abc123""#) && html.contains(r#"data-trace-id="4bf92f3577b34da6""#));
    assert!(html.contains(&format!(r#"data-live-id="{live_id}""#)));
}

#[tokio::test]
async fn a_product_name_cannot_end_the_goods_page_title() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let (spu, _) = app.create_goods(&owner, "Tea </title><script>alert(1)</script>", 30).await;
    let html = app.get(&format!("/app/goods_detail?spu_id={spu}")).await.text().await.unwrap();
    assert!(!html.contains("<script>alert(1)"), "the name ended its element: {html}");
    assert!(html.contains("<title>Tea &lt;/title&gt;&lt;script&gt;"), "{html}");
}

#[tokio::test]
async fn a_malformed_or_unknown_goods_page_is_a_friendly_400_or_404() {
    let app = TestApp::spawn().await;
    for (path, status) in [
        ("/app/goods_detail?spu_id=abc", 400),
        ("/app/goods_detail", 400),
        ("/app/goods_detail?spu_id=-4", 400),
        ("/app/goods_detail?spu_id=987654", 404),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), status, "{path}");
        assert!(response.text().await.unwrap().contains(r#"data-testid="goods-problem""#), "{path}");
    }
}

#[tokio::test]
async fn the_well_known_files_claim_app_links_for_the_configured_app() {
    let app = TestApp::spawn_with(&[
        ("LIVE_IOS_APP_IDS", "TEAM123.com.example.live"),
        ("LIVE_ANDROID_PACKAGE", "com.example.live"),
        (
            "LIVE_ANDROID_CERT_SHA256",
            "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99",
        ),
    ])
    .await;
    let aasa = app.get("/.well-known/apple-app-site-association").await;
    assert_eq!(aasa.status(), 200);
    assert!(aasa.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let aasa: Value = aasa.json().await.unwrap();
    let details = &aasa["applinks"]["details"][0];
    assert_eq!(details["appIDs"], json!(["TEAM123.com.example.live"]));
    assert_eq!(details["components"][0]["/"], "/app/*");
    let links = app.get("/.well-known/assetlinks.json").await;
    assert_eq!(links.status(), 200);
    assert!(links.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let links: Value = links.json().await.unwrap();
    assert_eq!(links[0]["target"]["package_name"], "com.example.live");
    assert_eq!(links[0]["relation"][0], "delegate_permission/common.handle_all_urls");
    assert_eq!(links[0]["target"]["sha256_cert_fingerprints"][0].as_str().unwrap().len(), 95);
}

#[tokio::test]
async fn the_room_hands_the_configured_link_identity_to_its_router() {
    let app = TestApp::spawn_with(&[("LIVE_LINK_SCHEME", "shopapp"), ("LIVE_LINK_HOST", "go.shop.example")]).await;
    let room = app.seed_room("Room", &[("Tea", 1_990, 3)]).await;
    let html = app.get(&format!("/live/{}", room.live_id)).await.text().await.unwrap();
    assert!(
        html.contains("go.shop.example") && html.contains("shopapp"),
        "the router's configuration reaches the page"
    );
}

#[tokio::test]
async fn click_and_view_beacons_are_recorded_with_their_trace_id() {
    let app = TestApp::spawn().await;
    let room = app.seed_room("Room", &[("Tea", 1_990, 3)]).await;
    let code = app.tracking_code(room.live_id, room.spu_ids[0]).await;
    for event in ["click", "view"] {
        let body = json!({ "event": event, "live_id": room.live_id, "spu_id": room.spu_ids[0], "tracking_code": code, "trace_id": "t-1" });
        assert_eq!(app.call("POST", "/api/track", None, Some(body)).await.status(), 204);
    }
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT event, trace_id FROM funnel_events ORDER BY id").fetch_all(&app.db).await.unwrap();
    assert_eq!(rows, vec![("click".into(), "t-1".into()), ("view".into(), "t-1".into())]);

    let bad = json!({ "event": "purchase", "live_id": room.live_id, "spu_id": room.spu_ids[0] });
    assert_error(app.call("POST", "/api/track", None, Some(bad)).await, 422, "validation").await;
    let unknown = json!({ "event": "click", "live_id": 999_999, "spu_id": room.spu_ids[0] });
    assert_error(app.call("POST", "/api/track", None, Some(unknown)).await, 404, "not_found").await;
}
