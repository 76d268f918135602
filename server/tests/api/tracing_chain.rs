//! Full-chain tracing (S7): a server process exporting spans over OTLP to a
//! collector the test runs, and one trace from the card's click to the paid
//! order, named by the link's trace id.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{body::Bytes, extract::State, routing::post as route_post, Router};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use serde_json::{json, Value};

use crate::{
    helpers::eventually,
    processes::{fresh_database, post, ServerProcess},
};

/// `(trace id in hex, span name, parent span id in hex)` of every span received.
type Received = Arc<Mutex<Vec<(String, String, String)>>>;

async fn collect(State(received): State<Received>, body: Bytes) -> &'static [u8] {
    let request = ExportTraceServiceRequest::decode(body).expect("an OTLP protobuf export");
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let mut spans = received.lock().unwrap();
    for resource in request.resource_spans {
        for scope in resource.scope_spans {
            for span in scope.spans {
                spans.push((hex(&span.trace_id), span.name, hex(&span.parent_span_id)));
            }
        }
    }
    // An empty ExportTraceServiceResponse.
    b""
}

/// A local OTLP/HTTP collector; returns its base URL.
async fn collector(received: Received) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new().route("/v1/traces", route_post(collect)).with_state(received);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::test]
async fn one_trace_runs_from_the_cards_click_to_the_paid_order() {
    let received: Received = Arc::default();
    let endpoint = collector(received.clone()).await;
    let (database_url, prefix) = fresh_database();
    let server = ServerProcess::start_with(
        &database_url,
        &prefix,
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint), ("OTEL_BSP_SCHEDULE_DELAY", "200"), ("LIVE_RATE_LIMITS", "off")],
    )
    .await;
    let base = &server.base;
    let register = |name: &str, role: &str| {
        post(base, "/api/auth/register", None, json!({ "username": name, "password": "secret-pass-1", "role": role }))
    };
    let id = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let owner = register(&format!("s{id}"), "streamer").await["token"].as_str().unwrap().to_owned();
    let viewer = register(&format!("v{id}"), "viewer").await["token"].as_str().unwrap().to_owned();
    let live_id = post(base, "/api/live", Some(&owner), json!({ "title": "Traced" })).await["live_id"].clone();
    let goods = json!({ "title": "Tea", "skus": [{ "spec": "std", "price_cents": 500, "stock": 5 }] });
    let goods = post(base, "/api/goods", Some(&owner), goods).await;
    let (spu_id, sku_id) = (goods["spu_id"].clone(), goods["skus"][0]["sku_id"].clone());
    let binding = post(base, &format!("/api/live/{live_id}/goods"), Some(&owner), json!({ "spu_id": spu_id })).await;
    let code = binding["tracking_code"].as_str().unwrap().to_owned();

    // The trace id the DeepLinkRouter mints per tap: 32 hex digits.
    let trace_id = format!("{:032x}", rand::random::<u128>());
    for event in ["click", "view"] {
        let beacon = json!({ "event": event, "live_id": live_id, "spu_id": spu_id, "tracking_code": code, "trace_id": trace_id });
        post(base, "/api/track", None, beacon).await;
    }
    let order: Value = reqwest::Client::new()
        .post(format!("{base}/api/orders"))
        .bearer_auth(&viewer)
        .header("idempotency-key", "traced-1")
        .json(&json!({ "live_id": live_id, "goods_items": [{ "sku_id": sku_id, "quantity": 1 }],
                       "tracking_code": code, "trace_id": trace_id }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let order_sn = order["order_sn"].as_str().unwrap().to_owned();
    post(base, &format!("/api/orders/{order_sn}/pay"), Some(&viewer), json!({})).await;

    let steps = ["live.click", "live.view", "live.order", "live.pay", "live.payment_confirmed", "live.stats"];
    let whole = eventually(Duration::from_secs(15), || async {
        let spans = received.lock().unwrap().clone();
        steps.iter().all(|step| spans.iter().any(|(t, name, _)| *t == trace_id && name == step))
    })
    .await;
    let spans = received.lock().unwrap().clone();
    let in_trace: Vec<&String> = spans.iter().filter(|(t, _, _)| *t == trace_id).map(|(_, n, _)| n).collect();
    assert!(whole, "every step of the chain in the link's trace; found {in_trace:?}");
    assert!(in_trace.iter().any(|n| *n == "commit"), "the order's own steps are in it too: {in_trace:?}");
    // A caller's traceparent is honoured on the request span.
    let caller = "4bf92f3577b34da6a3ce929d0e0e4736";
    reqwest::Client::new()
        .get(format!("{base}/api/live/goods-list?live_id={live_id}"))
        .header("traceparent", format!("00-{caller}-00f067aa0ba902b7-01"))
        .send()
        .await
        .unwrap();
    let honoured = eventually(Duration::from_secs(10), || async {
        received.lock().unwrap().iter().any(|(t, _, parent)| t == caller && parent == "00f067aa0ba902b7")
    })
    .await;
    assert!(honoured, "the request span joins the caller's trace under its span");
    drop(server);
}
