//! The order's life after it is placed: paying through the sandbox provider
//! and its signed callback, cancelling, and expiring unpaid, with the stock
//! returned exactly once.

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::{
    helpers::{assert_error, eventually, TestApp, TestUser},
    orders::Shop,
};

const SECRET: &str = "test-sandbox-secret";

async fn shop(stock: i64, extra: &[(&str, &str)]) -> Shop {
    let mut vars = vec![("LIVE_PAYMENT_SANDBOX_SECRET", SECRET)];
    vars.extend_from_slice(extra);
    Shop::open_with(TestApp::spawn_with(&vars).await, stock).await
}

async fn placed(shop: &Shop, buyer: &TestUser, quantity: i64) -> Value {
    let response = shop.buy(buyer, quantity).await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn order(app: &TestApp, buyer: &TestUser, order_sn: &str) -> Value {
    let response = app.call("GET", &format!("/api/orders/{order_sn}"), Some(buyer), None).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn status_of(app: &TestApp, buyer: &TestUser, order_sn: &str) -> String {
    order(app, buyer, order_sn).await["status"].as_str().unwrap().to_owned()
}

fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp},v1={hex}")
}

async fn callback(app: &TestApp, signature: Option<String>, body: &Value) -> reqwest::Response {
    let mut request = reqwest::Client::new().post(app.url("/api/payments/sandbox/callback")).json(body);
    if let Some(signature) = signature {
        request = request.header("x-sandbox-signature", signature);
    }
    request.send().await.unwrap()
}

async fn outbox_events(app: &TestApp, kind: &str, order_sn: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM outbox WHERE event_type = $1 AND payload->>'order_sn' = $2")
        .bind(kind)
        .bind(order_sn)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_order_is_unpaid_until_the_sandbox_confirms_its_payment_and_then_paid_once() {
    let shop = shop(5, &[]).await;
    let app = &shop.app;
    let buyer = app.register("viewer").await;
    let receipt = placed(&shop, &buyer, 2).await;
    let order_sn = receipt["order_sn"].as_str().unwrap();
    assert_eq!(receipt["status"], "created");
    assert!(receipt["pay_by"].is_string(), "an unpaid order says when it expires: {receipt}");

    let pay = app.call("POST", &format!("/api/orders/{order_sn}/pay"), Some(&buyer), None).await;
    assert_eq!(pay.status(), 202);
    let started: Value = pay.json().await.unwrap();
    assert_eq!(started["status"], "created", "the provider confirms later, not in the answer");
    assert_eq!(started["provider"], "sandbox");
    let payment_id = started["payment_id"].as_str().unwrap().to_owned();
    // Paying again while the payment is in flight answers the same payment.
    let again: Value =
        app.call("POST", &format!("/api/orders/{order_sn}/pay"), Some(&buyer), None).await.json().await.unwrap();
    assert_eq!(again["payment_id"], payment_id.as_str());

    let paid = eventually(Duration::from_secs(3), || async { status_of(app, &buyer, order_sn).await == "paid" }).await;
    assert!(paid, "the sandbox confirms within a second or so");
    assert!(order(app, &buyer, order_sn).await["paid_at"].is_string());
    assert_eq!(outbox_events(app, "order_paid", order_sn).await, 1);
    let mine: Value = app.call("GET", "/api/orders", Some(&buyer), None).await.json().await.unwrap();
    assert_eq!(mine[0]["order_sn"], order_sn);
    assert_eq!(mine[0]["status"], "paid");

    // A paid order can be neither paid nor cancelled again.
    let pay = app.call("POST", &format!("/api/orders/{order_sn}/pay"), Some(&buyer), None).await;
    assert_error(pay, 409, "conflict").await;
    let cancel = app.call("POST", &format!("/api/orders/{order_sn}/cancel"), Some(&buyer), None).await;
    assert_error(cancel, 409, "conflict").await;
    assert_eq!(shop.pg_stock().await, 3, "paying returns nothing");
}

#[tokio::test]
async fn a_forged_or_repeated_payment_callback_changes_nothing() {
    let shop = shop(5, &[]).await;
    let app = &shop.app;
    let buyer = app.register("viewer").await;
    let receipt = placed(&shop, &buyer, 1).await;
    let order_sn = receipt["order_sn"].as_str().unwrap().to_owned();
    let total = receipt["total_cents"].as_i64().unwrap();
    // A payment the sandbox will not confirm by itself: its queue entry is gone.
    let started: Value =
        app.call("POST", &format!("/api/orders/{order_sn}/pay"), Some(&buyer), None).await.json().await.unwrap();
    let payment_id = started["payment_id"].as_str().unwrap().to_owned();
    sqlx::query("DELETE FROM sandbox_confirmations").execute(&app.db).await.unwrap();

    let notice = json!({ "payment_id": payment_id, "order_sn": order_sn, "amount_cents": total });
    let body = serde_json::to_vec(&notice).unwrap();
    let now = chrono::Utc::now().timestamp();
    assert_error(callback(app, None, &notice).await, 403, "forbidden").await;
    assert_error(callback(app, Some(sign("not-the-secret", now, &body)), &notice).await, 403, "forbidden").await;
    assert_error(callback(app, Some(sign(SECRET, now - 3600, &body)), &notice).await, 403, "forbidden").await;
    let cheaper = json!({ "payment_id": payment_id, "order_sn": order_sn, "amount_cents": 1 });
    let cheaper_body = serde_json::to_vec(&cheaper).unwrap();
    assert_error(callback(app, Some(sign(SECRET, now, &cheaper_body)), &cheaper).await, 409, "conflict").await;
    assert_eq!(status_of(app, &buyer, &order_sn).await, "created", "nothing a forger sent changed the order");

    let signature = sign(SECRET, now, &body);
    let first = callback(app, Some(signature.clone()), &notice).await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.json::<Value>().await.unwrap()["result"], "paid");
    let repeated = callback(app, Some(signature), &notice).await;
    assert_eq!(repeated.status(), 200, "a provider retrying hears success");
    assert_eq!(repeated.json::<Value>().await.unwrap()["result"], "already_settled");
    assert_eq!(status_of(app, &buyer, &order_sn).await, "paid");
    assert_eq!(outbox_events(app, "order_paid", &order_sn).await, 1, "one payment, one event");
}

#[tokio::test]
async fn a_cancelled_order_returns_its_stock_to_the_room_and_frees_the_buyers_limit() {
    let shop = shop(5, &[]).await;
    let app = &shop.app;
    let limit = json!({ "per_user_limit": 2 });
    let path = format!("/api/live/{}/skus/{}/sale", shop.live_id, shop.sku_id);
    assert_eq!(app.call("PUT", &path, Some(&shop.owner), Some(limit)).await.status(), 200);
    let buyer = app.register("viewer").await;
    let receipt = placed(&shop, &buyer, 2).await;
    let order_sn = receipt["order_sn"].as_str().unwrap();
    assert_error(shop.buy(&buyer, 1).await, 409, "purchase_limit").await;
    let stranger = app.register("viewer").await;
    let theirs = app.call("POST", &format!("/api/orders/{order_sn}/cancel"), Some(&stranger), None).await;
    assert_error(theirs, 404, "not_found").await;

    let cancel = app.call("POST", &format!("/api/orders/{order_sn}/cancel"), Some(&buyer), None).await;
    assert_eq!(cancel.status(), 200);
    assert_eq!(cancel.json::<Value>().await.unwrap()["status"], "cancelled");
    assert_eq!(shop.pg_stock().await, 5);
    assert!(eventually(Duration::from_secs(2), || async { shop.redis_stock().await == Some(5) }).await);
    let card = app.listed_card(shop.live_id, shop.spu_id).await.unwrap();
    assert!(
        eventually(Duration::from_secs(2), || async {
            app.listed_card(shop.live_id, shop.spu_id).await.unwrap()["stock"] == 5
        })
        .await,
        "the room's card shows the returned stock: {card}"
    );
    let again = app.call("POST", &format!("/api/orders/{order_sn}/cancel"), Some(&buyer), None).await;
    assert_error(again, 409, "conflict").await;
    assert_eq!(shop.pg_stock().await, 5, "a second cancel returns nothing");
    assert_eq!(shop.buy(&buyer, 2).await.status(), 201, "cancelled units no longer count toward the limit");
    assert_eq!(outbox_events(app, "order_cancelled", order_sn).await, 1);
}

#[tokio::test]
async fn unpaid_orders_expire_and_return_their_stock_exactly_once_while_two_processes_expire_them() {
    let shop = shop(10, &[("LIVE_ORDER_PAY_TIMEOUT_S", "1")]).await;
    let app = &shop.app;
    let buyer = app.register("viewer").await;
    let mut numbers = Vec::new();
    for _ in 0..6 {
        numbers.push(placed(&shop, &buyer, 1).await["order_sn"].as_str().unwrap().to_owned());
    }
    assert_eq!(shop.pg_stock().await, 4);
    // A second expirer racing the application's own, as another process would.
    let db = app.db.clone();
    let racer = tokio::spawn(async move {
        let mut expired = 0;
        for _ in 0..60 {
            expired += server::expire_due(&db).await.unwrap().len();
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        expired
    });
    let all_expired = eventually(Duration::from_secs(6), || async {
        let statuses: Vec<String> = sqlx::query_scalar("SELECT status FROM orders").fetch_all(&app.db).await.unwrap();
        statuses.iter().all(|s| s == "expired")
    })
    .await;
    let by_racer = racer.await.unwrap();
    assert!(all_expired);
    let by_app = app.metric("orders_expired_total").await as usize;
    assert_eq!(by_racer + by_app, 6, "each order expired by exactly one of the two");
    assert_eq!(shop.pg_stock().await, 10, "every unit back, none twice");
    for order_sn in &numbers {
        assert_eq!(outbox_events(app, "order_expired", order_sn).await, 1, "{order_sn} expired once");
    }
    // The racer (a bare `expire_due`) gives nothing back to Redis: the
    // orders it expired reach the gate through the reconciler (every 5 s).
    assert!(eventually(Duration::from_secs(8), || async { shop.redis_stock().await == Some(10) }).await);
    let pay = app.call("POST", &format!("/api/orders/{}/pay", numbers[0]), Some(&buyer), None).await;
    assert_error(pay, 409, "conflict").await;
    assert_eq!(shop.buy(&buyer, 10).await.status(), 201, "the returned units sell again");
}
