use crate::helpers::{assert_error, TestApp};

#[tokio::test]
async fn goods_list_returns_the_bound_goods_in_display_order() {
    let app = TestApp::spawn().await;
    let room = app.seed_room("Room", &[("Tea", 1_990, 30), ("Cup", 4_500, 0), ("Pot", 12_000, 5)]).await;

    let response = app.get(&format!("/api/live/goods-list?live_id={}", room.live_id)).await;

    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["live_id"], room.live_id);
    let goods = body["goods"].as_array().unwrap();
    let titles: Vec<_> = goods.iter().map(|g| g["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Tea", "Cup", "Pot"]);
    assert_eq!(goods[0]["spu_id"], room.spu_ids[0]);
    assert_eq!(goods[0]["price_cents"], 1_990);
    assert_eq!(goods[0]["stock"], 30);
    assert_eq!(goods[0]["stock_snapshot"], 30);
    assert_eq!(goods[1]["stock"], 0);
    assert_eq!(goods[0]["explaining"], false);
    for g in goods {
        for field in
            ["spu_id", "title", "cover_url", "price_cents", "stock", "stock_snapshot", "explaining", "tracking_code"]
        {
            assert!(g.get(field).is_some(), "{field} missing from {g}");
        }
        assert!(!g["tracking_code"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn goods_list_shows_the_lowest_sku_price_and_total_stock_of_a_product() {
    let app = TestApp::spawn().await;
    let room = app.seed_room("Room", &[("Scarf", 12_900, 40)]).await;
    sqlx::query("INSERT INTO skus (spu_id, spec, price_cents, stock) VALUES ($1, 'wide', 9900, 7)")
        .bind(room.spu_ids[0])
        .execute(&app.db)
        .await
        .unwrap();

    let body: serde_json::Value =
        app.get(&format!("/api/live/goods-list?live_id={}", room.live_id)).await.json().await.unwrap();

    assert_eq!(body["goods"][0]["price_cents"], 9_900);
    assert_eq!(body["goods"][0]["stock"], 47);
}

#[tokio::test]
async fn an_empty_room_has_an_empty_goods_list() {
    let app = TestApp::spawn().await;
    let room = app.seed_room("Empty", &[]).await;
    let body: serde_json::Value =
        app.get(&format!("/api/live/goods-list?live_id={}", room.live_id)).await.json().await.unwrap();
    assert_eq!(body["goods"], serde_json::json!([]));
}

#[tokio::test]
async fn an_unknown_room_is_404_in_the_contract_shape() {
    let app = TestApp::spawn().await;
    assert_error(app.get("/api/live/goods-list?live_id=987654").await, 404, "not_found").await;
}

#[tokio::test]
async fn a_malformed_or_missing_live_id_is_400_in_the_contract_shape() {
    let app = TestApp::spawn().await;
    for query in ["live_id=abc", "live_id=0", "live_id=-3", "live_id=", "live_id=1.5", "", "live=1"] {
        let response = app.get(&format!("/api/live/goods-list?{query}")).await;
        assert_error(response, 400, "bad_request").await;
    }
}

#[tokio::test]
async fn unknown_api_paths_are_404_json_not_html() {
    let app = TestApp::spawn().await;
    for path in ["/api/nope", "/api/", "/api", "/api/live/goods-list/extra"] {
        let response = app.get(path).await;
        assert!(
            response.headers()["content-type"].to_str().unwrap().starts_with("application/json"),
            "{path} answered a non-JSON 404"
        );
        assert_error(response, 404, "not_found").await;
    }
}
