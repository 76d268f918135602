//! Every streamer endpoint against every kind of caller: anonymous (401, even
//! with a broken body), viewer (403), another streamer (403), the owner (2xx).

use serde_json::{json, Value};

use crate::helpers::{TestApp, TestUser};

struct Call {
    method: &'static str,
    path: String,
    body: Option<Value>,
    owner_status: u16,
}

async fn matrix(app: &TestApp, owner: &TestUser, calls: Vec<Call>) {
    let viewer = app.register("viewer").await;
    let stranger = app.register("streamer").await;
    for call in calls {
        let anonymous = app.call(call.method, &call.path, None, Some(json!("not even an object"))).await;
        assert_eq!(anonymous.status(), 401, "anonymous {} {}", call.method, call.path);
        for (who, user) in [("viewer", &viewer), ("another streamer", &stranger)] {
            let response = app.call(call.method, &call.path, Some(user), call.body.clone()).await;
            assert_eq!(response.status(), 403, "{who} {} {}", call.method, call.path);
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"]["code"], "forbidden");
        }
        let response = app.call(call.method, &call.path, Some(owner), call.body.clone()).await;
        assert_eq!(response.status(), call.owner_status, "owner {} {}", call.method, call.path);
    }
}

#[tokio::test]
async fn only_the_owner_may_change_a_room_or_its_goods() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let (live_id, spus) = app.room_with_goods(&owner, &[("A", 5), ("B", 5)]).await;
    let (spu_c, sku_c) = app.create_goods(&owner, "C", 5).await;
    let (a, b) = (spus[0], spus[1]);
    assert_eq!(app.bind(&owner, live_id, a).await.status(), 201);
    assert_eq!(app.bind(&owner, live_id, b).await.status(), 201);
    matrix(
        &app,
        &owner,
        vec![
            Call {
                method: "POST",
                path: format!("/api/live/{live_id}/goods"),
                body: Some(json!({ "spu_id": spu_c })),
                owner_status: 201,
            },
            Call {
                method: "PUT",
                path: format!("/api/live/{live_id}/goods/positions"),
                body: Some(json!({ "spu_ids": [spu_c, b, a] })),
                owner_status: 200,
            },
            Call {
                method: "POST",
                path: format!("/api/live/{live_id}/explaining"),
                body: Some(json!({ "spu_id": b })),
                owner_status: 200,
            },
            Call {
                method: "PUT",
                path: format!("/api/goods/{spu_c}/skus/{sku_c}/stock"),
                body: Some(json!({ "stock": 9 })),
                owner_status: 200,
            },
            Call { method: "DELETE", path: format!("/api/live/{live_id}/goods/{a}"), body: None, owner_status: 204 },
        ],
    )
    .await;
}

#[tokio::test]
async fn viewers_cannot_create_rooms_or_goods_and_anonymous_callers_get_401_first() {
    let app = TestApp::spawn().await;
    let viewer = app.register("viewer").await;
    for (path, body) in [
        ("/api/live", json!({ "title": "Mine" })),
        ("/api/goods", json!({ "title": "G", "skus": [{ "spec": "s", "price_cents": 1, "stock": 1 }] })),
    ] {
        assert_eq!(app.call("POST", path, Some(&viewer), Some(body.clone())).await.status(), 403, "{path}");
        assert_eq!(app.call("POST", path, None, Some(json!([1, 2]))).await.status(), 401, "{path}");
    }
}

#[tokio::test]
async fn a_streamer_cannot_bind_another_streamers_goods_to_their_room() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let other = app.register("streamer").await;
    let (live_id, _) = app.room_with_goods(&owner, &[]).await;
    let (foreign, _) = app.create_goods(&other, "Not yours", 5).await;
    assert_eq!(app.bind(&owner, live_id, foreign).await.status(), 403);
    assert!(app.listed(live_id).await.is_empty());
}
