use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{assert_error, eventually, TestApp};

const WITHIN: Duration = Duration::from_secs(1);

#[tokio::test]
async fn binding_goods_answers_the_binding_and_the_card_appears_within_a_second() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let (live_id, spus) = app.room_with_goods(&owner, &[("Tea", 30)]).await;
    assert!(app.listed(live_id).await.is_empty());

    let response = app.bind(&owner, live_id, spus[0]).await;

    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["live_id"], live_id);
    assert_eq!(body["spu_id"], spus[0]);
    assert_eq!(body["stock_snapshot"], 30);
    let code = body["tracking_code"].as_str().unwrap().to_owned();
    assert!(code.len() >= 6);
    assert!(eventually(WITHIN, || async { app.listed(live_id).await == spus }).await, "card listed within 1 s");
    let card = app.listed_card(live_id, spus[0]).await.unwrap();
    assert_eq!(card["tracking_code"], code.as_str());
    assert_eq!(card["stock_snapshot"], 30);
    let outbox: (String, Value) = sqlx::query_as("SELECT event_type, payload FROM outbox WHERE live_id = $1")
        .bind(live_id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(outbox.0, "goods_bound");
    assert_eq!(outbox.1["stock_snapshot"], 30, "the LiveRoomGoodsBinding event carries the stock snapshot");
}

#[tokio::test]
async fn binding_twice_is_a_conflict_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let (live_id, spus) = app.room_with_goods(&owner, &[("Tea", 30)]).await;
    assert_eq!(app.bind(&owner, live_id, spus[0]).await.status(), 201);
    assert_error(app.bind(&owner, live_id, spus[0]).await, 409, "conflict").await;
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox").fetch_one(&app.db).await.unwrap();
    assert_eq!(events, 1);
}

#[tokio::test]
async fn goods_without_stock_cannot_be_bound() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let (live_id, spus) = app.room_with_goods(&owner, &[("Empty", 0)]).await;
    assert_error(app.bind(&owner, live_id, spus[0]).await, 422, "validation").await;
}

#[tokio::test]
async fn unknown_rooms_and_goods_are_404_and_malformed_ids_400() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let (live_id, spus) = app.room_with_goods(&owner, &[("Tea", 3)]).await;
    assert_error(app.bind(&owner, 999_999, spus[0]).await, 404, "not_found").await;
    assert_error(app.bind(&owner, live_id, 999_999).await, 404, "not_found").await;
    let malformed = app.call("POST", "/api/live/abc/goods", Some(&owner), Some(json!({ "spu_id": spus[0] }))).await;
    assert_error(malformed, 400, "bad_request").await;
    let bad_body =
        app.call("POST", &format!("/api/live/{live_id}/goods"), Some(&owner), Some(json!({ "spu_id": "x" }))).await;
    assert_error(bad_body, 422, "validation").await;
    let not_json = reqwest::Client::new()
        .post(app.url(&format!("/api/live/{live_id}/goods")))
        .bearer_auth(&owner.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_error(not_json, 400, "bad_request").await;
    let huge = reqwest::Client::new()
        .post(app.url("/api/goods"))
        .bearer_auth(&owner.token)
        .header("content-type", "application/json")
        .body(format!("{{\"title\":\"{}\",\"skus\":[]}}", "x".repeat(200_000)))
        .send()
        .await
        .unwrap();
    assert_error(huge, 413, "payload_too_large").await;
    assert_error(
        app.call("DELETE", &format!("/api/live/{live_id}/goods/{}", spus[0]), Some(&owner), None).await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn unbinding_removes_the_card_and_closes_the_gap_in_the_order() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let (live_id, spus) = app.room_with_goods(&owner, &[("A", 3), ("B", 3), ("C", 3)]).await;
    for spu in &spus {
        app.bind(&owner, live_id, *spu).await;
    }
    let response = app.call("DELETE", &format!("/api/live/{live_id}/goods/{}", spus[1]), Some(&owner), None).await;
    assert_eq!(response.status(), 204);
    let expected = vec![spus[0], spus[2]];
    assert!(eventually(WITHIN, || async { app.listed(live_id).await == expected }).await);
    assert_eq!(app.bind(&owner, live_id, spus[1]).await.status(), 201, "it can be bound again, at the end");
    let expected = vec![spus[0], spus[2], spus[1]];
    assert!(eventually(WITHIN, || async { app.listed(live_id).await == expected }).await);
}

#[tokio::test]
async fn reordering_sets_the_display_order_and_needs_every_bound_product_once() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let (live_id, spus) = app.room_with_goods(&owner, &[("A", 3), ("B", 3), ("C", 3)]).await;
    for spu in &spus {
        app.bind(&owner, live_id, *spu).await;
    }
    let path = format!("/api/live/{live_id}/goods/positions");
    let order = vec![spus[2], spus[0], spus[1]];
    let response = app.call("PUT", &path, Some(&owner), Some(json!({ "spu_ids": order }))).await;
    assert_eq!(response.status(), 200);
    assert!(eventually(WITHIN, || async { app.listed(live_id).await == order }).await);
    for bad in
        [json!([spus[0], spus[1]]), json!([spus[0], spus[0], spus[1], spus[2]]), json!([spus[0], spus[1], 999_999])]
    {
        assert_error(app.call("PUT", &path, Some(&owner), Some(json!({ "spu_ids": bad }))).await, 422, "validation")
            .await;
    }
    assert_eq!(app.listed(live_id).await, order, "refused reorders change nothing");
}

#[tokio::test]
async fn explaining_marks_one_bound_product_and_can_be_cleared() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let (live_id, spus) = app.room_with_goods(&owner, &[("A", 3), ("B", 3), ("Unbound", 3)]).await;
    app.bind(&owner, live_id, spus[0]).await;
    app.bind(&owner, live_id, spus[1]).await;
    let path = format!("/api/live/{live_id}/explaining");
    let response = app.call("POST", &path, Some(&owner), Some(json!({ "spu_id": spus[1] }))).await;
    assert_eq!(response.status(), 200);
    let explaining = || async {
        let body: Value = app.get(&format!("/api/live/goods-list?live_id={live_id}")).await.json().await.unwrap();
        body["goods"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|g| g["explaining"] == true)
            .map(|g| g["spu_id"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    assert!(eventually(WITHIN, || async { explaining().await == vec![spus[1]] }).await);
    assert_error(app.call("POST", &path, Some(&owner), Some(json!({ "spu_id": spus[2] }))).await, 422, "validation")
        .await;
    assert_eq!(app.call("POST", &path, Some(&owner), Some(json!({ "spu_id": null }))).await.status(), 200);
    assert!(eventually(WITHIN, || async { explaining().await.is_empty() }).await);
}

#[tokio::test]
async fn a_stock_edit_shows_on_the_card_within_a_second() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let (live_id, _) = app.room_with_goods(&owner, &[]).await;
    let (spu, sku) = app.create_goods(&owner, "Tea", 30).await;
    app.bind(&owner, live_id, spu).await;
    let response =
        app.call("PUT", &format!("/api/goods/{spu}/skus/{sku}/stock"), Some(&owner), Some(json!({ "stock": 7 }))).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["stock"], 7);
    assert!(
        eventually(WITHIN, || async { app.listed_card(live_id, spu).await.is_some_and(|c| c["stock"] == 7) }).await
    );
    for bad in [json!({ "stock": -1 }), json!({ "stock": 10_000_001 }), json!({ "stock": "many" })] {
        let response = app.call("PUT", &format!("/api/goods/{spu}/skus/{sku}/stock"), Some(&owner), Some(bad)).await;
        assert_error(response, 422, "validation").await;
    }
}

#[tokio::test]
async fn creating_goods_validates_every_field_and_creates_nothing_on_error() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let sku = json!({ "spec": "std", "price_cents": 100, "stock": 1 });
    for body in [
        json!({ "title": "", "skus": [sku] }),
        json!({ "title": "T", "skus": [] }),
        json!({ "title": "T", "skus": [{ "spec": "a", "price_cents": -1, "stock": 1 }] }),
        json!({ "title": "T", "skus": [sku, sku] }),
        json!({ "title": "T", "cover_url": "javascript:alert(1)", "skus": [sku] }),
        json!({ "title": "x".repeat(101), "skus": [sku] }),
    ] {
        assert_error(app.call("POST", "/api/goods", Some(&owner), Some(body)).await, 422, "validation").await;
    }
    let spus: i64 = sqlx::query_scalar("SELECT count(*) FROM spus").fetch_one(&app.db).await.unwrap();
    assert_eq!(spus, 0);
}

#[tokio::test]
async fn html_in_a_title_is_shown_as_text_in_the_room() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let (live_id, spus) = app.room_with_goods(&owner, &[("<script>alert('x')</script>", 3)]).await;
    app.bind(&owner, live_id, spus[0]).await;
    let html = app.get(&format!("/live/{live_id}")).await.text().await.unwrap();
    assert!(!html.contains("<script>alert('x')</script>"));
    assert!(html.contains("&lt;script&gt;"));
}

#[tokio::test]
async fn a_room_can_be_created_and_read_by_anyone() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let response = app
        .call(
            "POST",
            "/api/live",
            Some(&owner),
            Some(json!({ "title": "Evening", "stream_url": "https://cdn.example/live.m3u8" })),
        )
        .await;
    assert_eq!(response.status(), 201);
    let room: Value = response.json().await.unwrap();
    let live_id = room["live_id"].as_i64().unwrap();
    let read: Value = app.get(&format!("/api/live/{live_id}")).await.json().await.unwrap();
    assert_eq!(read["title"], "Evening");
    assert_eq!(read["status"], "live");
    assert_eq!(read["stream_url"], "https://cdn.example/live.m3u8");
    assert_error(app.get("/api/live/777777").await, 404, "not_found").await;
    let bad =
        app.call("POST", "/api/live", Some(&owner), Some(json!({ "title": "X", "stream_url": "javascript:x" }))).await;
    assert_error(bad, 422, "validation").await;
}
