use serde_json::{json, Value};

use crate::helpers::{assert_error, TestApp};

#[tokio::test]
async fn registering_returns_the_account_a_token_and_an_http_only_session_cookie() {
    let app = TestApp::spawn().await;
    let response = app
        .call("POST", "/api/auth/register", None, Some(json!({ "username": "alice_1", "password": "secret-pass-1" })))
        .await;
    assert_eq!(response.status(), 201);
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("lc_session=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["username"], "alice_1");
    assert_eq!(body["role"], "viewer", "role defaults to viewer");
    assert!(body["user_id"].as_i64().unwrap() > 0);
    assert_eq!(body["token"].as_str().unwrap().len(), 64);
    let stored: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE username = 'alice_1'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(stored.starts_with("$argon2id$"), "passwords are stored as argon2id hashes");
}

#[tokio::test]
async fn a_taken_username_is_a_conflict_whatever_its_case() {
    let app = TestApp::spawn().await;
    let body = json!({ "username": "Bob_2", "password": "secret-pass-1" });
    assert_eq!(app.call("POST", "/api/auth/register", None, Some(body)).await.status(), 201);
    let again = json!({ "username": "bob_2", "password": "another-pass" });
    assert_error(app.call("POST", "/api/auth/register", None, Some(again)).await, 409, "conflict").await;
}

#[tokio::test]
async fn bad_registrations_are_refused_and_create_nothing() {
    let app = TestApp::spawn().await;
    for body in [
        json!({ "username": "ab", "password": "secret-pass-1" }),
        json!({ "username": "has space", "password": "secret-pass-1" }),
        json!({ "username": "carol", "password": "short" }),
        json!({ "username": "carol", "password": "secret-pass-1", "role": "admin" }),
        json!({ "username": "carol" }),
    ] {
        assert_error(app.call("POST", "/api/auth/register", None, Some(body)).await, 422, "validation").await;
    }
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(&app.db).await.unwrap();
    assert_eq!(users, 0);
}

#[tokio::test]
async fn login_with_the_right_password_signs_in_and_a_wrong_one_is_401() {
    let app = TestApp::spawn().await;
    let user = app.register("streamer").await;
    let ok = app
        .call("POST", "/api/auth/login", None, Some(json!({ "username": user.username, "password": "secret-pass-1" })))
        .await;
    assert_eq!(ok.status(), 200);
    assert!(ok.headers().contains_key("set-cookie"));
    let body: Value = ok.json().await.unwrap();
    assert_eq!(body["role"], "streamer");
    let bad = app
        .call("POST", "/api/auth/login", None, Some(json!({ "username": user.username, "password": "wrong-pass-1" })))
        .await;
    assert_error(bad, 401, "unauthorized").await;
    let unknown = app
        .call("POST", "/api/auth/login", None, Some(json!({ "username": "nobody_here", "password": "whatever1" })))
        .await;
    assert_error(unknown, 401, "unauthorized").await;
}

#[tokio::test]
async fn the_token_authenticates_until_logout() {
    let app = TestApp::spawn().await;
    let user = app.register("streamer").await;
    assert_eq!(app.call("POST", "/api/live", Some(&user), Some(json!({ "title": "R" }))).await.status(), 201);
    assert_eq!(app.call("POST", "/api/auth/logout", Some(&user), None).await.status(), 204);
    let after = app.call("POST", "/api/live", Some(&user), Some(json!({ "title": "R" }))).await;
    assert_error(after, 401, "unauthorized").await;
}

#[tokio::test]
async fn repeated_wrong_passwords_lock_the_account_for_a_while_even_with_the_right_one() {
    let app = TestApp::spawn().await;
    let user = app.register("viewer").await;
    let attempt = |password: &'static str| {
        let body = json!({ "username": user.username, "password": password });
        app.call("POST", "/api/auth/login", None, Some(body))
    };
    for _ in 0..5 {
        assert_eq!(attempt("wrong-pass-1").await.status(), 401);
    }
    assert_error(attempt("secret-pass-1").await, 429, "rate_limited").await;
}

#[tokio::test]
async fn one_address_may_sign_in_at_least_120_times_a_minute() {
    let app = TestApp::spawn().await;
    let user = app.register("viewer").await;
    for i in 0..125 {
        let body = json!({ "username": user.username, "password": "secret-pass-1" });
        let status = app.call("POST", "/api/auth/login", None, Some(body)).await.status();
        assert_eq!(status, 200, "login {i} from one address was throttled");
    }
}

#[tokio::test]
async fn a_cookie_session_write_from_another_site_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let user = app.register("streamer").await;
    let cookie = format!("lc_session={}", user.token);
    let post = |origin: Option<&str>| {
        let mut request = reqwest::Client::new()
            .post(app.url("/api/live"))
            .header("cookie", &cookie)
            .json(&json!({ "title": "CSRF" }));
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send()
    };
    assert_error(post(Some("https://evil.example")).await.unwrap(), 403, "forbidden").await;
    assert_error(post(None).await.unwrap(), 403, "forbidden").await;
    let rooms: i64 = sqlx::query_scalar("SELECT count(*) FROM live_rooms").fetch_one(&app.db).await.unwrap();
    assert_eq!(rooms, 0);
    assert_eq!(post(Some(&app.address)).await.unwrap().status(), 201, "same-site cookie writes pass");
}

#[tokio::test]
async fn bearer_calls_need_no_csrf_defence() {
    let app = TestApp::spawn().await;
    let user = app.register("streamer").await;
    let response = reqwest::Client::new()
        .post(app.url("/api/live"))
        .bearer_auth(&user.token)
        .header("origin", "https://some-app.example")
        .json(&json!({ "title": "From the app" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}
