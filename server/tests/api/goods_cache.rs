//! The goods detail cache never puts back a value older than a change: a load
//! paused between its Postgres read and its Redis write (a fault point) while
//! the stock changes cannot cache what it read.

use std::time::Duration;

use serde_json::{json, Value};
use server::Fault;

use crate::helpers::TestApp;

const POINT: &str = "goods_cache_write";

#[tokio::test]
async fn a_load_that_read_the_product_before_a_stock_change_cannot_cache_the_old_stock() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let (spu, sku) = app.create_goods(&owner, "Tea", 30).await;
    let faults = app.state.goods_cache.faults.clone();
    let path = format!("/api/goods/{spu}");

    // A viewer's miss loads stock 30 from Postgres and stops before writing Redis.
    faults.arm(POINT, Fault::Pause);
    let slow_load = tokio::spawn({
        let (client, url) = (reqwest::Client::new(), app.url(&path));
        async move { client.get(url).send().await.unwrap().json::<Value>().await.unwrap() }
    });
    tokio::time::timeout(Duration::from_secs(10), faults.paused(POINT)).await.expect("the load reached the point");
    faults.disarm(POINT);

    // The streamer changes the stock; its invalidation runs while the load is paused.
    let changed =
        app.call("PUT", &format!("/api/goods/{spu}/skus/{sku}/stock"), Some(&owner), Some(json!({ "stock": 7 }))).await;
    assert_eq!(changed.status(), 200);
    faults.resume(POINT);
    let served = tokio::time::timeout(Duration::from_secs(10), slow_load).await.expect("the load finished").unwrap();
    assert_eq!(served["skus"][0]["stock"], 30, "the paused load answers what it read");

    for _ in 0..3 {
        let body: Value = app.get(&path).await.json().await.unwrap();
        assert_eq!(body["skus"][0]["stock"], 7, "the detail shows the new stock, not the load's old one");
    }
}
