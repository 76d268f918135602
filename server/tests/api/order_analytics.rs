//! An order never fails for its analytics fields: real tracers' trace ids are
//! kept, malformed tracking codes and trace ids are dropped and counted.

use serde_json::{json, Value};

use crate::{helpers::TestUser, orders::Shop};

async fn order_with(shop: &Shop, buyer: &TestUser, tracking_code: &str, trace_id: &str) -> reqwest::Response {
    let body = json!({
        "live_id": shop.live_id,
        "goods_items": [{ "sku_id": shop.sku_id, "quantity": 1 }],
        "tracking_code": tracking_code,
        "trace_id": trace_id,
    });
    reqwest::Client::new()
        .post(shop.app.url("/api/orders"))
        .bearer_auth(&buyer.token)
        .header("idempotency-key", uuid::Uuid::new_v4().to_string())
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// The order's stored tracking code and trace id, and those of its funnel row.
async fn recorded(
    shop: &Shop,
    order_sn: &str,
) -> ((Option<String>, Option<String>), Option<(Option<String>, Option<String>)>) {
    let order = sqlx::query_as("SELECT tracking_code, trace_id FROM orders WHERE order_sn = $1")
        .bind(order_sn)
        .fetch_one(&shop.app.db)
        .await
        .unwrap();
    let funnel = sqlx::query_as(
        "SELECT tracking_code, trace_id FROM funnel_events WHERE event = 'order' ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(&shop.app.db)
    .await
    .unwrap();
    (order, funnel)
}

#[tokio::test]
async fn orders_traced_with_w3c_skywalking_and_uuid_ids_are_placed_and_keep_the_id() {
    let shop = Shop::open(10).await;
    let buyer = shop.app.register("viewer").await;
    let code = shop.app.tracking_code(shop.live_id, shop.spu_id).await;
    for trace_id in [
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "2a1b3c4d5e6f4a7b8c9d.61.17326963541230001",
        "550e8400-e29b-41d4-a716-446655440000",
    ] {
        let response = order_with(&shop, &buyer, &code, trace_id).await;
        assert_eq!(response.status(), 201, "{trace_id}");
        let order_sn = response.json::<Value>().await.unwrap()["order_sn"].as_str().unwrap().to_owned();
        let expected = (Some(code.clone()), Some(trace_id.to_owned()));
        assert_eq!(recorded(&shop, &order_sn).await, (expected.clone(), Some(expected)), "{trace_id}");
    }
}

#[tokio::test]
async fn an_order_with_a_malformed_trace_id_and_tracking_code_is_placed_without_them_and_the_drops_are_counted() {
    let shop = Shop::open(10).await;
    let buyer = shop.app.register("viewer").await;

    let response = order_with(&shop, &buyer, "x&redirect=https://evil.example", &"t".repeat(129)).await;

    assert_eq!(response.status(), 201, "the order is placed");
    let order_sn = response.json::<Value>().await.unwrap()["order_sn"].as_str().unwrap().to_owned();
    assert_eq!(recorded(&shop, &order_sn).await, ((None, None), None), "neither field is stored");
    for field in ["tracking_code", "trace_id"] {
        let labels = [("source", "order"), ("field", field)];
        assert_eq!(shop.app.counter("analytics_fields_dropped_total", &labels).await, 1.0, "{field}");
    }
    assert_eq!(shop.pg_stock().await, 9, "the stock was taken");
}
