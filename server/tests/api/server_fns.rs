//! The console's server functions answer errors with the status the same
//! error has in the `/api` contract, and keep the body the client decodes.

use serde_json::Value;

use crate::helpers::{TestApp, TestUser};

/// A form-encoded server-function call with a signed-in cookie (or none), same-site.
async fn call_server_fn(
    app: &TestApp,
    endpoint: &str,
    user: Option<&TestUser>,
    form: &[(&str, String)],
) -> reqwest::Response {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut request = client.post(app.url(&format!("/sfn/{endpoint}"))).header("origin", &app.address).form(form);
    if let Some(user) = user {
        request = request.header("cookie", format!("lc_session={}", user.token));
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn an_anonymous_console_call_is_401_and_the_client_still_reads_why() {
    let app = TestApp::spawn().await;
    let response = call_server_fn(&app, "console/overview", None, &[]).await;
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key("serverfnerror"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, Value::String("Unauthorized".into()));
}

#[tokio::test]
async fn binding_in_another_streamers_room_is_403_and_unknown_goods_404() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let other = app.register("streamer").await;
    let (live_id, spus) = app.room_with_goods(&owner, &[("Tea", 5)]).await;
    let form = [("live_id", live_id.to_string()), ("spu_id", spus[0].to_string())];

    let response = call_server_fn(&app, "console/bind", Some(&other), &form).await;
    assert_eq!(response.status(), 403);
    let bound: i64 = sqlx::query_scalar("SELECT count(*) FROM live_room_goods").fetch_one(&app.db).await.unwrap();
    assert_eq!(bound, 0, "a refused bind changes nothing");

    let unknown = [("live_id", live_id.to_string()), ("spu_id", "999999".to_string())];
    assert_eq!(call_server_fn(&app, "console/bind", Some(&owner), &unknown).await.status(), 404);
    assert_eq!(call_server_fn(&app, "console/bind", Some(&owner), &form).await.status(), 200);
}

#[tokio::test]
async fn a_form_post_without_javascript_still_goes_back_to_the_page() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = app.url("/console");
    let response = client
        .post(app.url("/sfn/console/overview"))
        .header("origin", &app.address)
        .header("accept", "text/html")
        .header("referer", &page)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302, "the browser is sent back, not shown an error code");
    let location = response.headers()["location"].to_str().unwrap();
    assert!(location.starts_with(&format!("{page}?")), "back to the page: {location}");
    assert!(location.contains("__err="), "with the error for the page to show: {location}");
}

#[tokio::test]
async fn a_cross_site_post_to_every_server_function_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    let (live_id, spus) = app.room_with_goods(&owner, &[("Tea", 5)]).await;
    let mut paths: Vec<&str> = leptos::server_fn::axum::server_fn_paths()
        .filter(|(_, method)| *method == axum::http::Method::POST)
        .map(|(path, _)| path)
        .collect();
    paths.sort_unstable();
    assert!(paths.len() >= 20, "every server function is registered: {paths:?}");
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let form = [("live_id", live_id.to_string()), ("spu_id", spus[0].to_string())];

    for path in &paths {
        let response = client
            .post(app.url(path))
            .header("origin", "https://evil.example")
            .header("cookie", format!("lc_session={}", owner.token))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{path} answered a cross-site post");
    }

    let bound: i64 = sqlx::query_scalar("SELECT count(*) FROM live_room_goods").fetch_one(&app.db).await.unwrap();
    assert_eq!(bound, 0, "nothing was bound");
    let me = app.call("GET", "/api/orders/20260101000000000001", Some(&owner), None).await;
    assert_eq!(me.status(), 404, "the session was not signed out");
}

#[tokio::test]
async fn a_server_function_called_with_malformed_arguments_is_a_400_not_a_server_error() {
    let app = TestApp::spawn().await;
    let owner = app.register("streamer").await;
    for form in
        [vec![("live_id", "not-a-number".to_string()), ("spu_id", "1".to_string())], vec![("spu_id", "1".to_string())]]
    {
        let response = call_server_fn(&app, "console/bind", Some(&owner), &form).await;
        assert_eq!(response.status(), 400, "{form:?}");
        assert!(response.headers().contains_key("serverfnerror"));
        let body: Value = response.json().await.unwrap();
        assert!(body.get("BadRequest").is_some(), "the client reads a bad request: {body}");
    }
}
