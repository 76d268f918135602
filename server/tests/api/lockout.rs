//! The sign-in lockout: counted per (account, address), so strangers cannot
//! lock the owner out; a 429 says how long to wait, and the wait doubles. The
//! app trusts the test's own address as a proxy, so `X-Forwarded-For` plays
//! the part of callers at other addresses.

use std::{net::IpAddr, time::Duration};

use serde_json::json;

use crate::helpers::{assert_error, RedisProxy, TestApp};

const TRUST_LOCALHOST: (&str, &str) = ("LIVE_TRUSTED_PROXIES", "127.0.0.1");
const RIGHT: &str = "secret-pass-1";
const WRONG: &str = "wrong-pass-1";

/// `POST /api/auth/login` from `from` (through the trusted local "proxy"), or
/// from 127.0.0.1 itself.
async fn login(app: &TestApp, from: Option<&str>, username: &str, password: &str) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(app.url("/api/auth/login"))
        .json(&json!({ "username": username, "password": password }));
    if let Some(addr) = from {
        request = request.header("x-forwarded-for", addr);
    }
    request.send().await.unwrap()
}

/// The `Retry-After` of a 429, in seconds.
fn retry_after(response: &reqwest::Response) -> u64 {
    let header = response.headers().get("retry-after").expect("a 429 says when to come back");
    header.to_str().unwrap().parse().expect("Retry-After in seconds")
}

#[tokio::test]
async fn a_strangers_wrong_passwords_from_other_addresses_never_lock_the_owner_out() {
    let app = TestApp::spawn_with(&[TRUST_LOCALHOST]).await;
    let owner = app.register("streamer").await; // from 127.0.0.1: the owner's own address

    // Six addresses guess five times each: each locks itself out, and together
    // they spend the budget strangers share.
    for i in 1..=6 {
        let stranger = format!("203.0.113.{i}");
        for _ in 0..5 {
            assert_eq!(login(&app, Some(&stranger), &owner.username, WRONG).await.status(), 401);
        }
        let locked = login(&app, Some(&stranger), &owner.username, RIGHT).await;
        assert_eq!(locked.status(), 429, "{stranger} locked itself out");
    }
    let newcomer = login(&app, Some("198.51.100.77"), &owner.username, RIGHT).await;
    assert_eq!(newcomer.status(), 429, "an address the account never used meets the per-account cap");
    assert!(retry_after(&newcomer) > 0);

    let owner_again = login(&app, None, &owner.username, RIGHT).await;
    assert_eq!(owner_again.status(), 200, "the owner's address that signed in before is never locked out by others");
    assert_eq!(login(&app, None, &owner.username, WRONG).await.status(), 401, "and keeps its own budget");
}

#[tokio::test]
async fn one_address_is_locked_out_with_a_retry_after_that_doubles_on_the_next_lock() {
    let app = TestApp::spawn().await;
    let user = app.register("viewer").await;

    for _ in 0..5 {
        assert_eq!(login(&app, None, &user.username, WRONG).await.status(), 401);
    }
    let first = login(&app, None, &user.username, RIGHT).await;
    let first_wait = retry_after(&first);
    assert!((25..=30).contains(&first_wait), "first lock about 30 s, got {first_wait}");
    let message = assert_error(first, 429, "rate_limited").await;
    assert!(message.contains(&first_wait.to_string()), "the message names the wait: {message}");

    // The lock runs out (its key expires); the address's strikes are remembered.
    let account = user.username.to_ascii_lowercase();
    let localhost: IpAddr = "127.0.0.1".parse().unwrap();
    let lock = app.state.redis.keys.sign_in_lock(&account, localhost);
    let _: () = redis::AsyncCommands::del(&mut app.redis.clone(), lock).await.unwrap();

    for _ in 0..5 {
        assert_eq!(login(&app, None, &user.username, WRONG).await.status(), 401);
    }
    let second = login(&app, None, &user.username, RIGHT).await;
    assert_eq!(second.status(), 429);
    let second_wait = retry_after(&second);
    assert!((55..=60).contains(&second_wait), "the next lock doubles to about 60 s, got {second_wait}");
}

#[tokio::test]
async fn concurrent_attempts_from_one_address_are_counted_exactly_right_ones_all_get_in_and_of_forty_wrong_five_are_checked(
) {
    let app = TestApp::spawn().await;
    let user = app.register("viewer").await;

    let right = (0..20).map(|_| login(&app, None, &user.username, RIGHT));
    let signed_in = futures::future::join_all(right).await;
    assert!(signed_in.iter().all(|r| r.status() == 200), "a right password is never held back by others in flight");

    let attempts = (0..40).map(|_| login(&app, None, &user.username, WRONG));
    let responses = futures::future::join_all(attempts).await;

    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 5, "exactly five were checked: {statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 35, "every other was refused: {statuses:?}");
    assert!(responses.iter().filter(|r| r.status() == 429).all(|r| retry_after(r) > 0));
}

#[tokio::test]
async fn while_redis_is_unreachable_the_lockout_lets_sign_in_through() {
    let proxy = RedisProxy::start().await;
    let app = TestApp::spawn_with(&[("REDIS_URL", &proxy.url())]).await;
    let user = app.register("streamer").await;
    for _ in 0..5 {
        assert_eq!(login(&app, None, &user.username, WRONG).await.status(), 401);
    }
    assert_eq!(login(&app, None, &user.username, RIGHT).await.status(), 429, "locked while Redis is up");

    proxy.cut();
    let through = tokio::time::timeout(Duration::from_secs(10), login(&app, None, &user.username, RIGHT)).await;
    assert_eq!(through.expect("an answer").status(), 200, "sign-in does not depend on the cache being up");
}

#[tokio::test]
async fn the_login_page_tells_a_locked_out_person_how_long_to_wait_in_chinese_and_english() {
    let app = TestApp::spawn().await;
    let user = app.register("viewer").await;
    for _ in 0..5 {
        assert_eq!(login(&app, None, &user.username, WRONG).await.status(), 401);
    }
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let form = [("username", user.username.as_str()), ("password", RIGHT)];

    // With JavaScript: the server function answers 429 with Retry-After.
    let scripted =
        client.post(app.url("/sfn/session/login")).header("origin", &app.address).form(&form).send().await.unwrap();
    assert_eq!(scripted.status(), 429);
    assert!((1..=30).contains(&retry_after(&scripted)));

    // Without: the form post comes back to the page, which says how long to wait.
    let login_page = app.url("/login");
    let posted = client
        .post(app.url("/sfn/session/login"))
        .header("origin", &app.address)
        .header("accept", "text/html")
        .header("referer", &login_page)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 302);
    let back = posted.headers()["location"].to_str().unwrap().to_owned();
    let page = |language: &'static str| {
        let client = client.clone();
        let back = back.clone();
        async move {
            let response = client.get(&back).header("accept-language", language).send().await.unwrap();
            response.text().await.unwrap()
        }
    };
    let waits = |html: &str, before: &str, after: &str| -> Option<u64> {
        let start = html.find(before)? + before.len();
        let end = start + html[start..].find(after)?;
        html[start..end].trim().parse().ok()
    };
    let english = page("en").await;
    let seconds = waits(&english, "Try again in ", " s.").unwrap_or_else(|| panic!("English wait in {english}"));
    assert!((1..=30).contains(&seconds), "{seconds}");
    let chinese = page("zh-CN").await;
    let seconds =
        waits(&chinese, "尝试次数过多，请", "秒后再试").unwrap_or_else(|| panic!("Chinese wait in {chinese}"));
    assert!((1..=30).contains(&seconds), "{seconds}");
}
