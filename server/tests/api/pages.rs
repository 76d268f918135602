use crate::helpers::TestApp;

#[tokio::test]
async fn the_home_page_links_every_live_room() {
    let app = TestApp::spawn().await;
    let a = app.seed_room("Morning picks", &[("Tea", 1_990, 3)]).await;
    let b = app.seed_room("Evening picks", &[]).await;

    let response = app.get("/").await;

    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains(&format!(r#"href="/live/{}""#, a.live_id)), "{html}");
    assert!(html.contains(&format!(r#"href="/live/{}""#, b.live_id)));
    assert!(html.contains("Morning picks"));
}

#[tokio::test]
async fn the_room_renders_every_card_in_the_first_html() {
    let app = TestApp::spawn().await;
    let room = app.seed_room("Room", &[("Tea", 1_990, 30), ("Pot", 12_000, 5)]).await;

    let response = app.get(&format!("/live/{}", room.live_id)).await;

    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    for spu in &room.spu_ids {
        assert!(
            html.contains(&format!(r#"data-testid="goods-card" data-spu-id="{spu}""#)),
            "card {spu} missing from {html}"
        );
    }
    assert!(html.contains("¥19.90"), "price in yuan");
    assert!(!html.contains("<template"), "cards must not arrive in streamed chunks");
}

#[tokio::test]
async fn the_room_page_carries_its_room_for_the_browser_and_no_title_ends_the_script() {
    let app = TestApp::spawn().await;
    let hostile = "Tea </title></script><script>alert(1)</script>";
    let room = app.seed_room(hostile, &[(hostile, 1_990, 30), ("Pot", 12_000, 5)]).await;

    let response = app.get(&format!("/live/{}", room.live_id)).await;

    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(!html.contains("<script>alert(1)"), "a title ended its element: {html}");
    assert!(html.contains("<title>Tea &lt;/title&gt;"), "{html}");
    let opening = html.find(r#"id="room-data">"#).expect("the page carries its room") + r#"id="room-data">"#.len();
    let carried = &html[opening..opening + html[opening..].find("</script>").unwrap()];
    let carried: serde_json::Value = serde_json::from_str(carried).unwrap();
    assert_eq!(carried["room"]["live_id"], room.live_id);
    assert_eq!(carried["room"]["title"], hostile);
    let spus: Vec<i64> = carried["goods"].as_array().unwrap().iter().map(|c| c["spu_id"].as_i64().unwrap()).collect();
    assert_eq!(spus, room.spu_ids);
    assert_eq!(carried["goods"][0]["title"], hostile);
    assert!(!html.contains("data-session"), "an anonymous viewer's room asks nobody who is signed in");
}

#[tokio::test]
async fn a_room_page_requested_with_a_session_tells_the_browser_to_ask_who_is_signed_in() {
    let app = TestApp::spawn().await;
    let room = app.seed_room("Room", &[("Tea", 1_990, 30)]).await;
    let viewer = app.register("viewer").await;

    let with_token = app.call("GET", &format!("/live/{}", room.live_id), Some(&viewer), None).await;
    assert_eq!(with_token.status(), 200);
    let html = with_token.text().await.unwrap();
    assert!(html.contains(r#"id="room-data" data-session="""#), "{html}");
    // Signed-out parts are the same HTML: the top bar's "my orders" arrives after hydration.
    assert!(!html.contains(r#"data-testid="nav-orders""#));

    let with_cookie = reqwest::Client::new()
        .get(app.url(&format!("/live/{}", room.live_id)))
        .header("cookie", format!("lc_session={}", viewer.token))
        .send()
        .await
        .unwrap();
    assert!(with_cookie.text().await.unwrap().contains("data-session"));
}

#[tokio::test]
async fn an_unknown_or_malformed_room_is_a_friendly_404() {
    let app = TestApp::spawn().await;
    for path in ["/live/424242", "/live/abc", "/live/0"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        let html = response.text().await.unwrap();
        assert!(html.contains(r#"data-testid="not-found""#), "{path}: {html}");
    }
}

#[tokio::test]
async fn an_unknown_page_is_404() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/no/such/page").await.status(), 404);
}

#[tokio::test]
async fn accept_language_picks_the_locale_and_the_cookie_overrides_it() {
    let app = TestApp::spawn().await;
    let room = app.seed_room("Room", &[("Tea", 1_990, 30)]).await;
    let path = app.url(&format!("/live/{}", room.live_id));
    let client = reqwest::Client::new();

    let english = client.get(&path).header("accept-language", "en-US,en;q=0.9").send().await.unwrap();
    let html = english.text().await.unwrap();
    assert!(html.contains(r#"lang="en""#) && html.contains("30 left") && html.contains("CN¥19.90"), "{html}");

    let chinese = client.get(&path).header("accept-language", "zh-TW,zh;q=0.9,en;q=0.8").send().await.unwrap();
    let html = chinese.text().await.unwrap();
    assert!(html.contains("剩 30 件"), "a Chinese browser listing English second still gets Chinese");

    let switched = client
        .get(&path)
        .header("accept-language", "zh-CN")
        .header("cookie", "i18n_pref_locale=en")
        .send()
        .await
        .unwrap();
    assert!(switched.text().await.unwrap().contains("30 left"), "the switch's cookie wins");
}

#[tokio::test]
async fn demo_data_is_seeded_once_however_often_the_server_starts() {
    let app = TestApp::spawn_with(&[("LIVE_DEMO_DATA", "1")]).await;
    server::startup::demo::seed(&app.db).await.unwrap();
    server::startup::demo::seed(&app.db).await.unwrap();
    let rooms: i64 = sqlx::query_scalar("SELECT count(*) FROM live_rooms").fetch_one(&app.db).await.unwrap();
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(&app.db).await.unwrap();
    assert_eq!((rooms, users), (1, 2));
    let bound: i64 = sqlx::query_scalar("SELECT count(*) FROM live_room_goods").fetch_one(&app.db).await.unwrap();
    assert!(bound >= 3);
}

#[tokio::test]
async fn the_login_page_shows_the_demo_accounts_only_while_demo_data_is_on() {
    let without = TestApp::spawn().await;
    let html = without.get("/login").await.text().await.unwrap();
    assert!(html.contains("login-form") && !html.contains("demo_streamer"), "no demo hint without demo data");

    let with = TestApp::spawn_with(&[("LIVE_DEMO_DATA", "1")]).await;
    let html = with.get("/login").await.text().await.unwrap();
    assert!(html.contains(r#"data-testid="demo-hint""#) && html.contains("demo_streamer"), "{html}");
}
