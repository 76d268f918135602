//! `TestApp`: starts the real application for one test, with its own database
//! and Redis key space, and offers fixtures and an HTTP client.

pub use crate::proxy::RedisProxy;
use serde_json::{json, Value};
use server::{AppState, Application, Config};
use sqlx::PgPool;

/// The longest a test's call waits for its answer (the slowest legitimate one,
/// an order waiting out another attempt's claim, takes about a minute).
const CALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(90);

pub struct TestApp {
    pub address: String,
    /// Where this test's data lives, for server processes that share it (fault tests).
    #[cfg_attr(not(feature = "faults"), allow(dead_code))]
    pub database_url: String,
    #[cfg_attr(not(feature = "faults"), allow(dead_code))]
    pub redis_prefix: String,
    pub db: PgPool,
    pub client: reqwest::Client,
    pub state: AppState,
    pub redis: redis::aio::ConnectionManager,
}

/// A signed-in account for API calls with a bearer token.
#[derive(Clone)]
pub struct TestUser {
    pub username: String,
    pub token: String,
}

pub struct Fixture {
    pub live_id: i64,
    pub spu_ids: Vec<i64>,
}

fn database_base() -> String {
    std::env::var("TEST_DATABASE_BASE").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
}

impl TestApp {
    /// A running application with an empty database.
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// A running application with extra environment variables set.
    pub async fn spawn_with(extra: &[(&str, &str)]) -> Self {
        server::startup::telemetry::init();
        let id = uuid::Uuid::new_v4().simple().to_string();
        let db_name = format!("lc_test_{id}");
        let redis_prefix = format!("lct:{id}:");
        let mut vars: Vec<(String, String)> = vec![
            ("DATABASE_URL".into(), format!("{}/{db_name}", database_base())),
            ("REDIS_URL".into(), std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into())),
            ("REDIS_KEY_PREFIX".into(), redis_prefix.clone()),
            ("LEPTOS_SITE_ADDR".into(), "127.0.0.1:0".into()),
            ("LIVE_DEMO_DATA".into(), "0".into()),
        ];
        for (k, v) in extra {
            vars.retain(|(key, _)| key != k);
            vars.push((k.to_string(), v.to_string()));
        }
        let config = Config::from_lookup(|key| vars.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()))
            .expect("test configuration");
        let app = Application::build(config).await.expect("application builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let db = app.db().clone();
        let state = app.state().clone();
        let redis = state.redis.conn.clone();
        tokio::spawn(app.run_until_stopped(std::future::pending()));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .expect("http client");
        let database_url = vars.iter().find(|(k, _)| k == "DATABASE_URL").map(|(_, v)| v.clone()).unwrap_or_default();
        let redis_prefix =
            vars.iter().find(|(k, _)| k == "REDIS_KEY_PREFIX").map(|(_, v)| v.clone()).unwrap_or_default();
        Self { address, database_url, redis_prefix, db, client, state, redis }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).timeout(CALL_TIMEOUT).send().await.expect("request answered")
    }

    /// A streamer with a live room and `goods` products bound in order, each
    /// with one SKU of the given price and stock.
    pub async fn seed_room(&self, title: &str, goods: &[(&str, i64, i32)]) -> Fixture {
        let streamer_id: i64 = sqlx::query_scalar(
            "INSERT INTO users (username, password_hash, role) VALUES ($1, 'x', 'streamer') RETURNING id",
        )
        .bind(format!("s{}", &uuid::Uuid::new_v4().simple().to_string()[..12]))
        .fetch_one(&self.db)
        .await
        .unwrap();
        let live_id: i64 = sqlx::query_scalar("INSERT INTO live_rooms (owner_id, title) VALUES ($1, $2) RETURNING id")
            .bind(streamer_id)
            .bind(title)
            .fetch_one(&self.db)
            .await
            .unwrap();
        let mut spu_ids = Vec::new();
        for (position, (name, price, stock)) in goods.iter().enumerate() {
            let spu_id: i64 = sqlx::query_scalar(
                "INSERT INTO spus (owner_id, title, cover_url) VALUES ($1, $2, '/demo/coffee.svg') RETURNING id",
            )
            .bind(streamer_id)
            .bind(name)
            .fetch_one(&self.db)
            .await
            .unwrap();
            sqlx::query("INSERT INTO skus (spu_id, spec, price_cents, stock) VALUES ($1, 'std', $2, $3)")
                .bind(spu_id)
                .bind(price)
                .bind(stock)
                .execute(&self.db)
                .await
                .unwrap();
            sqlx::query(
                "INSERT INTO live_room_goods (live_id, spu_id, position, stock_snapshot, tracking_code)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(live_id)
            .bind(spu_id)
            .bind(position as i32)
            .bind(stock)
            .bind(format!("tc{}", &uuid::Uuid::new_v4().simple().to_string()[..10]))
            .execute(&self.db)
            .await
            .unwrap();
            spu_ids.push(spu_id);
        }
        Fixture { live_id, spu_ids }
    }
}

/// Asserts the contract's error shape and code, returning the message.
pub async fn assert_error(response: reqwest::Response, status: u16, code: &str) -> String {
    assert_eq!(response.status().as_u16(), status, "status");
    let body: serde_json::Value = response.json().await.expect("a JSON error body");
    assert_eq!(body["error"]["code"], code, "error code in {body}");
    let message = body["error"]["message"].as_str().expect("a message").to_owned();
    assert!(!message.is_empty());
    message
}

impl TestApp {
    /// Registers an account through the API and returns it signed in.
    pub async fn register(&self, role: &str) -> TestUser {
        self.register_as(&format!("u{}", &uuid::Uuid::new_v4().simple().to_string()[..12]), role).await
    }

    /// Registers an account with this username.
    pub async fn register_as(&self, username: &str, role: &str) -> TestUser {
        let username = username.to_owned();
        let response = reqwest::Client::new()
            .post(self.url("/api/auth/register"))
            .json(&json!({ "username": username, "password": "secret-pass-1", "role": role }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "registration");
        let body: Value = response.json().await.unwrap();
        TestUser { username, token: body["token"].as_str().unwrap().to_owned() }
    }

    /// A JSON call with a bearer token (or none).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        user: Option<&TestUser>,
        body: Option<Value>,
    ) -> reqwest::Response {
        // Bounded, so a call the server never answers fails here, naming itself,
        // instead of holding the test until the runner stops it.
        let mut request = reqwest::Client::new().request(method.parse().unwrap(), self.url(path)).timeout(CALL_TIMEOUT);
        if let Some(user) = user {
            request = request.bearer_auth(&user.token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap_or_else(|err| panic!("{method} {path}: {err}"))
    }

    /// Creates a room and a product with one SKU per `(spec, price, stock)`, through the API.
    pub async fn room_with_goods(&self, owner: &TestUser, goods: &[(&str, i64)]) -> (i64, Vec<i64>) {
        let room = self.call("POST", "/api/live", Some(owner), Some(json!({ "title": "Test room" }))).await;
        assert_eq!(room.status(), 201);
        let live_id = room.json::<Value>().await.unwrap()["live_id"].as_i64().unwrap();
        let mut spus = Vec::new();
        for (title, stock) in goods {
            spus.push(self.create_goods(owner, title, *stock).await.0);
        }
        (live_id, spus)
    }

    /// Creates a product with one SKU; returns `(spu_id, sku_id)`.
    pub async fn create_goods(&self, owner: &TestUser, title: &str, stock: i64) -> (i64, i64) {
        let body = json!({ "title": title, "skus": [{ "spec": "std", "price_cents": 1990, "stock": stock }] });
        let response = self.call("POST", "/api/goods", Some(owner), Some(body)).await;
        assert_eq!(response.status(), 201, "create goods");
        let body: Value = response.json().await.unwrap();
        (body["spu_id"].as_i64().unwrap(), body["skus"][0]["sku_id"].as_i64().unwrap())
    }

    pub async fn bind(&self, owner: &TestUser, live_id: i64, spu_id: i64) -> reqwest::Response {
        self.call("POST", &format!("/api/live/{live_id}/goods"), Some(owner), Some(json!({ "spu_id": spu_id }))).await
    }

    /// The goods list's spu ids in display order.
    pub async fn listed(&self, live_id: i64) -> Vec<i64> {
        let body: Value = self.get(&format!("/api/live/goods-list?live_id={live_id}")).await.json().await.unwrap();
        body["goods"].as_array().unwrap().iter().map(|g| g["spu_id"].as_i64().unwrap()).collect()
    }

    /// The tracking code of a binding.
    pub async fn tracking_code(&self, live_id: i64, spu_id: i64) -> String {
        sqlx::query_scalar("SELECT tracking_code FROM live_room_goods WHERE live_id = $1 AND spu_id = $2")
            .bind(live_id)
            .bind(spu_id)
            .fetch_one(&self.db)
            .await
            .unwrap()
    }

    /// A counter's value on `GET /metrics` for the series with all `labels`
    /// (0 when it has not been counted yet).
    pub async fn counter(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let text = self.get("/metrics").await.text().await.unwrap();
        text.lines()
            .filter(|line| line.starts_with(&format!("{name}{{")))
            .find(|line| labels.iter().all(|(k, v)| line.contains(&format!("{k}=\"{v}\""))))
            .and_then(|line| line.rsplit(' ').next())
            .map_or(0.0, |value| value.parse().unwrap())
    }

    /// An unlabelled metric's value on `GET /metrics` (0 when absent).
    pub async fn metric(&self, name: &str) -> f64 {
        let text = self.get("/metrics").await.text().await.unwrap();
        text.lines()
            .find(|line| line.strip_prefix(name).is_some_and(|rest| rest.starts_with(' ')))
            .and_then(|line| line.rsplit(' ').next())
            .map_or(0.0, |value| value.parse().unwrap())
    }

    /// The goods list's entry for one product.
    pub async fn listed_card(&self, live_id: i64, spu_id: i64) -> Option<Value> {
        let body: Value = self.get(&format!("/api/live/goods-list?live_id={live_id}")).await.json().await.unwrap();
        body["goods"].as_array().unwrap().iter().find(|g| g["spu_id"] == spu_id).cloned()
    }
}

/// Polls `check` until it holds or `within` passes; returns whether it held.
pub async fn eventually<F, Fut>(within: std::time::Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A TCP port free on this machine right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// An nginx of the test's own, run from a temporary prefix holding its
/// `nginx.conf`; the process and the prefix (config, logs, output) go with it.
pub struct TempNginx {
    child: tokio::process::Child,
    pub dir: std::path::PathBuf,
}

impl TempNginx {
    pub const BINARY: &'static str = "/usr/sbin/nginx";

    /// A fresh prefix under the temporary folder, named `{kind}-{uuid}`.
    pub fn prefix(kind: &str) -> std::path::PathBuf {
        assert!(std::path::Path::new(Self::BINARY).exists(), "nginx is missing: run scripts/setup.sh");
        let dir = std::env::temp_dir().join(format!("{kind}-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Starts nginx on `dir/nginx.conf`, in the foreground of its own process.
    pub fn start(dir: std::path::PathBuf) -> Self {
        let child = tokio::process::Command::new(Self::BINARY)
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("nginx starts");
        Self { child, dir }
    }
}

impl Drop for TempNginx {
    /// Stops nginx with TERM, which its master passes on to its workers (a
    /// killed master leaves them running, listening), waits up to 2 s for it,
    /// then removes the prefix.
    fn drop(&mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status();
            for _ in 0..40 {
                if matches!(self.child.try_wait(), Ok(Some(_))) {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
