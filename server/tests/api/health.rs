use crate::helpers::{RedisProxy, TestApp};

#[tokio::test]
async fn healthz_answers_while_the_process_is_up() {
    let app = TestApp::spawn().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn readyz_reports_postgres_and_redis_up() {
    let app = TestApp::spawn().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["postgres"], "up");
    assert_eq!(body["redis"], "up");
}

#[tokio::test]
async fn readyz_answers_503_naming_redis_when_redis_is_unreachable() {
    let proxy = RedisProxy::start().await;
    let app = TestApp::spawn_with(&[("REDIS_URL", &proxy.url())]).await;
    assert_eq!(app.get("/readyz").await.status(), 200);

    proxy.cut();
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["redis"], "down");
    assert_eq!(body["postgres"], "up");

    proxy.restore();
    let mut ready = false;
    for _ in 0..50 {
        if app.get("/readyz").await.status() == 200 {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ready, "readyz recovers once Redis is reachable again");
}

#[tokio::test]
async fn metrics_count_requests_per_route_in_prometheus_text() {
    let app = TestApp::spawn().await;
    app.get("/api/live/goods-list?live_id=1").await;
    app.get("/api/live/goods-list?live_id=1").await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = response.text().await.unwrap();
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/api/live/goods-list",status="404"} 2"#),
        "{text}"
    );
    assert!(text.contains("http_request_duration_seconds_bucket"), "{text}");
}

#[tokio::test]
async fn the_openapi_document_lists_the_goods_list_endpoint() {
    let app = TestApp::spawn().await;
    let response = app.get("/api/openapi.json").await;
    assert_eq!(response.status(), 200);
    let doc: serde_json::Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with('3'));
    assert!(doc["paths"]["/api/live/goods-list"]["get"].is_object(), "{doc}");
}
