//! The flash-sale benchmark suite: the release server measured from outside
//! (wrk, plain HTTP clients) on the machine it runs on, each figure beside a
//! baseline measured in the same run, product and baseline alternated
//! (baseline, product, baseline, product, ...) and medians reported.
//!
//! Run it with `bash scripts/bench.sh`: the script builds the release, starts
//! the server on a fresh database and Redis key prefix, runs this binary and
//! cleans up. This binary only measures; it reads (the script sets them)
//! `BENCH_BASE_URL`, `BENCH_SERVER_PID`, `BENCH_ROOT` (the repository),
//! `DATABASE_URL`, `REDIS_URL`, `REDIS_KEY_PREFIX`, and optionally
//! `BENCH_DURATION_S` (6), `BENCH_ROUNDS` (3), `BENCH_USERS` (2000),
//! `BENCH_SAMPLES` (60), `BENCH_FIRST_TAP_RUNS` (5).
//!
//! Rows (BENCHMARKS.md says how to read them):
//! 1. hot-SKU orders created/s, 32 connections — pgbench's bare conditional `UPDATE`;
//! 2. sold-out answers/s, 50 connections — an axum handler answering the same bytes from memory;
//! 3. goods-list req/s, 64 connections — the same trivial handler;
//! 4. SSR room page req/s and p99, 64 connections — the same trivial handler;
//! 5. the room page's wasm + js (with what the js imports), raw / gzip / brotli — the 200 KB gzip budget;
//! 6. phone first tap (`end2end/bench/first-tap.mjs`, when present) — the 3 s target;
//! 7. order 201 → `stock` event on the room's stream — Redis PUBLISH → SUBSCRIBE;
//! 8. order 201 → counted on the owner's dashboard — Redis XADD → XREAD;
//!
//! plus zero oversell, checked in Postgres after the order runs.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    process::Stdio,
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{
    body::Bytes,
    extract::{Path as UrlPath, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::any,
    Router,
};
use futures::StreamExt;
use rand::RngCore;
use redis::AsyncCommands;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use tokio::{io::AsyncWriteExt, process::Command, sync::mpsc};

/// What the script hands over.
struct Env {
    base: String,
    server_pid: u32,
    root: PathBuf,
    database_url: String,
    redis_url: String,
    redis_prefix: String,
    duration_s: u64,
    rounds: usize,
    users: usize,
    samples: usize,
    tap_runs: usize,
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} must be set (run this through scripts/bench.sh)"))
}

fn var_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

impl Env {
    fn read() -> Self {
        Self {
            base: var("BENCH_BASE_URL").trim_end_matches('/').to_owned(),
            server_pid: var("BENCH_SERVER_PID").parse().expect("BENCH_SERVER_PID is a process id"),
            root: PathBuf::from(var("BENCH_ROOT")),
            database_url: var("DATABASE_URL"),
            redis_url: var("REDIS_URL"),
            redis_prefix: std::env::var("REDIS_KEY_PREFIX").unwrap_or_default(),
            duration_s: var_or("BENCH_DURATION_S", 6),
            rounds: var_or("BENCH_ROUNDS", 3),
            users: var_or("BENCH_USERS", 2000),
            samples: var_or("BENCH_SAMPLES", 60),
            tap_runs: var_or("BENCH_FIRST_TAP_RUNS", 5),
        }
    }

    fn wrk_script(&self) -> String {
        self.root.join("scripts/bench/wrk.lua").display().to_string()
    }
}

fn progress(what: &str) {
    eprintln!("[bench {}] {what}", chrono::Utc::now().format("%H:%M:%S"));
}

// ---------------------------------------------------------------------------
// The stack under test: a streamer's room with a hot SKU, a sold-out SKU, a
// scarce SKU (for the oversell race) and filler goods, and many buyers.

const HOT_STOCK: i64 = 5_000_000;
const SCARCE_STOCK: i64 = 100;

struct Sku {
    spu_id: i64,
    sku_id: i64,
    tracking_code: String,
}

struct Fixture {
    live_id: i64,
    owner_token: String,
    hot: Sku,
    sold_out: Sku,
    scarce: Sku,
    tokens: Vec<String>,
    tokens_file: PathBuf,
}

async fn api(
    client: &reqwest::Client,
    env: &Env,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Value,
) -> Value {
    let mut request = client.request(method, format!("{}{path}", env.base));
    if !token.is_empty() {
        request = request.bearer_auth(token);
    }
    if !body.is_null() {
        request = request.json(&body);
    }
    let answer = request.send().await.unwrap_or_else(|e| panic!("{path}: {e}"));
    let status = answer.status();
    let text = answer.text().await.unwrap_or_default();
    assert!(status.is_success(), "{path} answered {status}: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

async fn create_goods(client: &reqwest::Client, env: &Env, token: &str, live_id: i64, title: &str, stock: i64) -> Sku {
    let spec = json!([{"spec": "standard", "price_cents": 990, "stock": stock}]);
    let goods =
        api(client, env, reqwest::Method::POST, "/api/goods", token, json!({"title": title, "skus": spec})).await;
    let spu_id = goods["spu_id"].as_i64().expect("spu_id");
    let sku_id = goods["skus"][0]["sku_id"].as_i64().expect("sku_id");
    let path = format!("/api/live/{live_id}/goods");
    api(client, env, reqwest::Method::POST, &path, token, json!({"spu_id": spu_id})).await;
    Sku { spu_id, sku_id, tracking_code: String::new() }
}

/// The room and its goods go through the public API; the buyers go straight
/// into Postgres (a user row and a session whose token we mint, stored as its
/// SHA-256 as `auth::session` does), since registering 2,000 accounts through
/// argon2 would take minutes of the 2 cores.
async fn seed(env: &Env, client: &reqwest::Client, db: &PgPool) -> Fixture {
    let tag = std::process::id();
    let streamer = api(
        client,
        env,
        reqwest::Method::POST,
        "/api/auth/register",
        "",
        json!({"username": format!("bench_streamer_{tag}"), "password": "bench-pass-2026", "role": "streamer"}),
    )
    .await;
    let owner_token = streamer["token"].as_str().expect("token").to_owned();
    let room =
        api(client, env, reqwest::Method::POST, "/api/live", &owner_token, json!({"title": "Flash-sale bench"})).await;
    let live_id = room["live_id"].as_i64().expect("live_id");
    let mut hot = create_goods(client, env, &owner_token, live_id, "Hot SKU", HOT_STOCK).await;
    // Goods without stock cannot be bound: bound with one, then sold out by the owner.
    let mut sold_out = create_goods(client, env, &owner_token, live_id, "Sold out", 1).await;
    let path = format!("/api/goods/{}/skus/{}/stock", sold_out.spu_id, sold_out.sku_id);
    api(client, env, reqwest::Method::PUT, &path, &owner_token, json!({"stock": 0})).await;
    let mut scarce = create_goods(client, env, &owner_token, live_id, "Scarce", SCARCE_STOCK).await;
    // A room shows several cards: the pages and lists carry a realistic load.
    for n in 1..=3 {
        create_goods(client, env, &owner_token, live_id, &format!("Filler goods {n}"), 1000).await;
    }
    let list =
        api(client, env, reqwest::Method::GET, &format!("/api/live/goods-list?live_id={live_id}"), "", Value::Null)
            .await;
    for card in list["goods"].as_array().expect("goods") {
        let code = card["tracking_code"].as_str().unwrap_or_default().to_owned();
        let spu = card["spu_id"].as_i64();
        for sku in [&mut hot, &mut sold_out, &mut scarce] {
            if Some(sku.spu_id) == spu {
                sku.tracking_code = code.clone();
            }
        }
    }

    let ids: Vec<i64> = sqlx::query_scalar(
        "INSERT INTO users (username, password_hash, role)
         SELECT 'bench_' || $1::TEXT || '_' || g, 'no-password:bench', 'viewer' FROM generate_series(1, $2::INT) g
         RETURNING id",
    )
    .bind(tag.to_string())
    .bind(env.users as i32)
    .fetch_all(db)
    .await
    .expect("bench users");
    let tokens: Vec<String> = ids
        .iter()
        .map(|_| {
            let mut bytes = [0u8; 32];
            rand::thread_rng().fill_bytes(&mut bytes);
            bytes.iter().map(|b| format!("{b:02x}")).collect()
        })
        .collect();
    let hashes: Vec<Vec<u8>> = tokens.iter().map(|t| Sha256::digest(t.as_bytes()).to_vec()).collect();
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, expires_at)
         SELECT h, u, now() + interval '1 day' FROM UNNEST($1::BYTEA[], $2::BIGINT[]) AS t(h, u)",
    )
    .bind(hashes)
    .bind(ids)
    .execute(db)
    .await
    .expect("bench sessions");
    let tokens_file = std::env::temp_dir().join(format!("flash-sale-tokens-{tag}.txt"));
    std::fs::write(&tokens_file, tokens.join("\n")).expect("tokens file");
    Fixture { live_id, owner_token, hot, sold_out, scarce, tokens, tokens_file }
}

/// One order as an app places it; the status and when the answer arrived.
async fn order(client: &reqwest::Client, env: &Env, fx: &Fixture, sku: &Sku, token: &str) -> (StatusCode, Instant) {
    let key = format!("bench-{}-{}", std::process::id(), rand::thread_rng().next_u64());
    let answer = client
        .post(format!("{}/api/orders", env.base))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&json!({"live_id": fx.live_id, "goods_items": [{"sku_id": sku.sku_id, "quantity": 1}],
                      "tracking_code": sku.tracking_code, "trace_id": "bench"}))
        .send()
        .await
        .expect("order");
    let status = StatusCode::from_u16(answer.status().as_u16()).expect("status");
    let _ = answer.bytes().await;
    (status, Instant::now())
}

// ---------------------------------------------------------------------------
// The baseline server: axum answering canned bytes from memory, no I/O.

#[derive(Clone)]
struct Canned {
    status: StatusCode,
    content_type: String,
    body: Bytes,
}

async fn canned(
    State(bodies): State<Arc<HashMap<String, Canned>>>,
    UrlPath(name): UrlPath<String>,
    _: Bytes,
) -> Response {
    match bodies.get(&name) {
        Some(c) => (c.status, [(header::CONTENT_TYPE, c.content_type.clone())], c.body.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// What the product answers at `url`, kept so the baseline answers the same bytes.
async fn sample(answer: reqwest::Response) -> Canned {
    let status = StatusCode::from_u16(answer.status().as_u16()).expect("status");
    let content_type = answer
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_owned();
    Canned { status, content_type, body: answer.bytes().await.expect("body") }
}

async fn start_baseline(bodies: HashMap<String, Canned>) -> String {
    let app = Router::new().route("/same/{name}", any(canned)).with_state(Arc::new(bodies));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("baseline port");
    let addr = listener.local_addr().expect("baseline address");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("baseline server") });
    format!("http://{addr}")
}

// ---------------------------------------------------------------------------
// Load runs: wrk against either side, pgbench for the hot-SKU baseline.

/// One timed run.
#[derive(Clone, Debug, Default)]
struct Run {
    /// The counted answers per second (201, 409 sold_out, 200, or pgbench's tps).
    per_s: f64,
    p99_ms: f64,
    /// All answers per second, whatever their status.
    all_per_s: f64,
    /// The counted answers in all.
    counted: u64,
    /// 409 sold_out answers.
    sold_out: u64,
    statuses: String,
}

enum Load {
    /// `count`: the status counted ("201", "200"), or "sold_out" for 409 sold_out bodies.
    Wrk {
        url: String,
        conns: u32,
        count: &'static str,
        args: Vec<String>,
    },
    Pgbench {
        url: String,
        clients: u32,
        script: PathBuf,
    },
}

/// Numbers the wrk runs, so each order run's Idempotency-Keys are new.
static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

async fn run_wrk(env: &Env, url: &str, conns: u32, count: &str, args: &[String], seconds: u64) -> Run {
    let mut args = args.to_vec();
    if let Some(nonce) = args.get_mut(5) {
        nonce.push_str(&RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed).to_string());
    }
    let out = Command::new("wrk")
        .args(["-t2", &format!("-c{conns}"), &format!("-d{seconds}s"), "--timeout", "5s", "-s", &env.wrk_script(), url])
        .arg("--")
        .args(args)
        .output()
        .await
        .expect("wrk (scripts/bench.sh installs it)");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("WRK_JSON "))
        .unwrap_or_else(|| panic!("wrk printed no result for {url}: {text}\n{}", String::from_utf8_lossy(&out.stderr)));
    let v: Value = serde_json::from_str(line).expect("wrk result");
    let seconds = v["duration_us"].as_f64().unwrap_or(1.0) / 1e6;
    let counted = match count {
        "sold_out" => v["sold_out"].as_u64().unwrap_or(0),
        status => v["statuses"][status].as_u64().unwrap_or(0),
    };
    let mut statuses: Vec<String> =
        v["statuses"].as_object().into_iter().flatten().map(|(k, n)| format!("{k}:{n}")).collect();
    statuses.sort();
    let errors = v["socket_errors"].as_u64().unwrap_or(0);
    if errors > 0 {
        statuses.push(format!("socket errors:{errors}"));
    }
    Run {
        per_s: counted as f64 / seconds,
        p99_ms: v["p99_us"].as_f64().unwrap_or(0.0) / 1e3,
        all_per_s: v["requests"].as_f64().unwrap_or(0.0) / seconds,
        counted,
        sold_out: v["sold_out"].as_u64().unwrap_or(0),
        statuses: statuses.join(" "),
    }
}

async fn run_pgbench(env: &Env, url: &str, clients: u32, script: &Path) -> Run {
    let out = Command::new("pgbench")
        .args(["-n", "-c", &clients.to_string(), "-j", "2", "-T", &env.duration_s.to_string(), "-f"])
        .arg(script)
        .arg(url)
        .output()
        .await
        .expect("pgbench (scripts/bench.sh installs it)");
    let text = String::from_utf8_lossy(&out.stdout);
    let tps = text
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("pgbench printed no tps: {text}\n{}", String::from_utf8_lossy(&out.stderr)));
    let latency = text
        .lines()
        .find_map(|l| l.strip_prefix("latency average = "))
        .map(|l| l.trim().to_owned())
        .unwrap_or_default();
    Run { per_s: tps, all_per_s: tps, statuses: format!("latency average {latency}"), ..Run::default() }
}

async fn run_load(env: &Env, load: &Load) -> Run {
    match load {
        Load::Wrk { url, conns, count, args } => run_wrk(env, url, *conns, count, args, env.duration_s).await,
        Load::Pgbench { url, clients, script } => run_pgbench(env, url, *clients, script).await,
    }
}

/// The server's CPU time so far (user + system), in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces), from field 3 on.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Waits (at most 30 s) until the server is idle: what a run left behind
/// (event relays, statistics, cache refills) finishes before the next run, so
/// it does not steal the cores from the next measurement, product or baseline.
async fn settle(env: &Env) {
    let started = Instant::now();
    let mut last = cpu_ticks(env.server_pid);
    while started.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = cpu_ticks(env.server_pid);
        // Under 6 % of one core over half a second (clock ticks are 1/100 s).
        if let (Some(a), Some(b)) = (last, now) {
            if b - a <= 3 {
                return;
            }
        }
        last = now;
    }
    progress("the server did not go idle within 30 s; measuring anyway");
}

/// Baseline, product, baseline, product, ...: both sides see the same state
/// of the machine (page cache, other builds, thermal) as evenly as can be.
async fn alternate(env: &Env, label: &str, product: &Load, baseline: &Load) -> (Vec<Run>, Vec<Run>) {
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 1..=env.rounds {
        settle(env).await;
        let b = run_load(env, baseline).await;
        progress(&format!("{label} round {round} baseline: {:.0}/s [{}]", b.per_s, b.statuses));
        settle(env).await;
        let p = run_load(env, product).await;
        progress(&format!("{label} round {round} product: {:.0}/s p99 {:.1} ms [{}]", p.per_s, p.p99_ms, p.statuses));
        theirs.push(b);
        ours.push(p);
    }
    (ours, theirs)
}

fn median(mut xs: Vec<f64>) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    xs.sort_by(|a, b| a.total_cmp(b));
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

/// The p-th percentile (nearest rank) of durations, in ms.
fn percentile_ms(xs: &[Duration], p: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let mut v: Vec<f64> = xs.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    v.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

// ---------------------------------------------------------------------------
// Latency rows: order 201 → room stream, order 201 → dashboard.

/// Reads the room's event stream, stamping each event when its bytes arrive.
async fn read_events(client: reqwest::Client, url: String, tx: mpsc::UnboundedSender<(String, Value, Instant)>) {
    let answer = client.get(url).header("Accept", "text/event-stream").send().await.expect("event stream");
    assert!(answer.status().is_success(), "event stream answered {}", answer.status());
    let _ = tx.send(("open".into(), Value::Null, Instant::now()));
    let mut stream = answer.bytes_stream();
    let mut buf: Vec<u8> = Vec::new();
    while let Some(Ok(chunk)) = stream.next().await {
        let arrived = Instant::now();
        buf.extend_from_slice(&chunk);
        while let Some(end) = buf.windows(2).position(|w| w == b"\n\n") {
            let frame: Vec<u8> = buf.drain(..end + 2).collect();
            let (mut name, mut data) = (String::from("message"), String::new());
            for line in String::from_utf8_lossy(&frame).lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    name = v.trim().to_owned();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim());
                }
            }
            let data = serde_json::from_str(&data).unwrap_or(Value::Null);
            if tx.send((name, data, arrived)).is_err() {
                return;
            }
        }
    }
}

async fn hot_stock(db: &PgPool, sku_id: i64) -> i64 {
    sqlx::query_scalar("SELECT stock::BIGINT FROM skus WHERE id = $1").bind(sku_id).fetch_one(db).await.expect("stock")
}

/// The Redis baseline of row 7: PUBLISH on one connection → the message on a
/// subscribed one, the shortest path a pushed update can take through Redis.
struct PubSubProbe {
    publisher: redis::aio::MultiplexedConnection,
    messages: redis::aio::PubSubStream,
    channel: String,
}

impl PubSubProbe {
    async fn new(env: &Env) -> Self {
        let client = redis::Client::open(env.redis_url.as_str()).expect("redis url");
        let channel = format!("{}bench:pubsub:{}", env.redis_prefix, std::process::id());
        let mut pubsub = client.get_async_pubsub().await.expect("redis pubsub");
        pubsub.subscribe(&channel).await.expect("subscribe");
        let publisher = client.get_multiplexed_async_connection().await.expect("redis");
        Self { publisher, messages: pubsub.into_on_message(), channel }
    }

    async fn round_trip(&mut self) -> Duration {
        let started = Instant::now();
        let _: i64 = self.publisher.publish(&self.channel, "x").await.expect("publish");
        self.messages.next().await.expect("message");
        started.elapsed()
    }
}

/// The Redis baseline of row 8: XADD → XREAD BLOCK on another connection,
/// the transport the statistics consumer reads orders from.
struct StreamProbe {
    writer: redis::aio::MultiplexedConnection,
    reader: redis::aio::MultiplexedConnection,
    key: String,
    last: String,
}

impl StreamProbe {
    async fn new(env: &Env) -> Self {
        let client = redis::Client::open(env.redis_url.as_str()).expect("redis url");
        let config = redis::AsyncConnectionConfig::new().set_response_timeout(None);
        let writer = client.get_multiplexed_async_connection().await.expect("redis");
        let reader = client.get_multiplexed_async_connection_with_config(&config).await.expect("redis");
        Self {
            writer,
            reader,
            key: format!("{}bench:stream:{}", env.redis_prefix, std::process::id()),
            last: "0".into(),
        }
    }

    async fn round_trip(&mut self) -> Duration {
        let Self { writer, reader, key, last } = self;
        let options = redis::streams::StreamReadOptions::default().block(5000).count(1);
        let started = Instant::now();
        // The read names the last id seen, so it finds the entry whichever
        // connection's command reaches Redis first.
        let read = async {
            let reply: redis::RedisResult<redis::streams::StreamReadReply> =
                reader.xread_options(&[key.as_str()], &[last.as_str()], &options).await;
            reply
        };
        let add = async {
            let id: redis::RedisResult<String> = writer.xadd(key.as_str(), "*", &[("order", "x")]).await;
            id
        };
        let (read, added) = tokio::join!(read, add);
        let elapsed = started.elapsed();
        read.expect("xread");
        *last = added.expect("xadd");
        elapsed
    }

    async fn clean(&mut self) {
        let _: Result<i64, _> = self.writer.del(&self.key).await;
    }
}

struct Latencies {
    /// Orders answered 201.
    created: u64,
    product: Vec<Duration>,
    baseline: Vec<Duration>,
    missed: usize,
}

/// Row 7: from an order's 201 to the `stock` event showing it on the room's
/// stream (an event that beat the 201 counts as 0 ms).
async fn card_latency(env: &Env, client: &reqwest::Client, db: &PgPool, fx: &Fixture) -> Latencies {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let url = format!("{}/api/live/{}/events", env.base, fx.live_id);
    let reader = tokio::spawn(read_events(client.clone(), url, tx));
    let opened = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await;
    assert!(matches!(opened, Ok(Some((ref name, _, _))) if name == "open"), "the event stream did not open");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut probe = PubSubProbe::new(env).await;
    settle(env).await;
    let mut expected = hot_stock(db, fx.hot.sku_id).await;
    let mut out = Latencies { created: 0, product: Vec::new(), baseline: Vec::new(), missed: 0 };
    for i in 0..env.samples {
        out.baseline.push(probe.round_trip().await);
        let (status, answered) = order(client, env, fx, &fx.hot, &fx.tokens[i % fx.tokens.len()]).await;
        if status != StatusCode::CREATED {
            out.missed += 1;
            continue;
        }
        out.created += 1;
        expected -= 1;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        let seen = loop {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some((name, data, at))) => {
                    let ours = name == "stock"
                        && data["sku_id"].as_i64() == Some(fx.hot.sku_id)
                        && data["stock"].as_i64().is_some_and(|s| s <= expected);
                    if ours {
                        break Some(at);
                    }
                }
                _ => break None,
            }
        };
        match seen {
            Some(at) => out.product.push(at.saturating_duration_since(answered)),
            None => out.missed += 1,
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    reader.abort();
    out
}

/// Units of `sku_id` the owner's dashboard counts (its `sales`, which the
/// statistics consumer feeds from the order events).
async fn dashboard_units(client: &reqwest::Client, env: &Env, fx: &Fixture, sku_id: i64) -> i64 {
    let url = format!("{}/api/live/{}/dashboard", env.base, fx.live_id);
    let v: Value = client
        .get(url)
        .bearer_auth(&fx.owner_token)
        .send()
        .await
        .expect("dashboard")
        .json()
        .await
        .expect("dashboard json");
    v["sales"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["sku_id"].as_i64() == Some(sku_id))
        .and_then(|s| s["total_sales"].as_i64())
        .unwrap_or(0)
}

async fn sold_in_postgres(db: &PgPool, sku_id: i64) -> i64 {
    sqlx::query_scalar(
        "SELECT COALESCE(SUM(i.quantity), 0)::BIGINT FROM order_items i JOIN orders o ON o.id = i.order_id
          WHERE i.sku_id = $1 AND o.status NOT IN ('cancelled', 'expired')",
    )
    .bind(sku_id)
    .fetch_one(db)
    .await
    .expect("sold units")
}

/// Row 8: from an order's 201 to the owner's dashboard counting it, polled
/// every 5 ms (each poll is a full dashboard request).
async fn dashboard_latency(env: &Env, client: &reqwest::Client, db: &PgPool, fx: &Fixture) -> Latencies {
    let mut probe = StreamProbe::new(env).await;
    settle(env).await;
    // Start from a dashboard that has caught up with the record.
    let target = sold_in_postgres(db, fx.hot.sku_id).await;
    let started = Instant::now();
    let mut expected = dashboard_units(client, env, fx, fx.hot.sku_id).await;
    while expected < target && started.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        expected = dashboard_units(client, env, fx, fx.hot.sku_id).await;
    }
    let mut out = Latencies { created: 0, product: Vec::new(), baseline: Vec::new(), missed: 0 };
    for i in 0..env.samples {
        out.baseline.push(probe.round_trip().await);
        let token = &fx.tokens[(i + env.samples) % fx.tokens.len()];
        let (status, answered) = order(client, env, fx, &fx.hot, token).await;
        if status != StatusCode::CREATED {
            out.missed += 1;
            continue;
        }
        out.created += 1;
        expected += 1;
        let seen = loop {
            if dashboard_units(client, env, fx, fx.hot.sku_id).await >= expected {
                break Some(answered.elapsed());
            }
            if answered.elapsed() > Duration::from_secs(10) {
                break None;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        match seen {
            Some(latency) => out.product.push(latency),
            None => out.missed += 1,
        }
    }
    probe.clean().await;
    out
}

// ---------------------------------------------------------------------------
// Rows 5 and 6: the bundle the room page loads, and the phone's first tap.

/// Names of `/pkg/…` wasm and js files the page refers to (hashed names too).
fn pkg_refs(html: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for (at, _) in html.match_indices("/pkg/") {
        let name: String =
            html[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || "/._-".contains(*c)).collect();
        if (name.ends_with(".js") || name.ends_with(".wasm")) && !found.contains(&name) {
            found.push(name);
        }
    }
    found
}

/// `/pkg/…` paths of the scripts a bundled script imports statically
/// (`from"./x.js"`: the split build's loader, wasm-bindgen's snippets).
fn js_imports(script: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for (at, _) in script.match_indices("from\"./") {
        let name: String =
            script[at + 7..].chars().take_while(|c| c.is_ascii_alphanumeric() || "/._-".contains(*c)).collect();
        let path = format!("/pkg/{name}");
        if name.ends_with(".js") && !found.contains(&path) {
            found.push(path);
        }
    }
    found
}

/// Bytes after `program` (gzip -9 or brotli -q 11) compressed them.
async fn compressed(program: &str, args: &[&str], bytes: &[u8]) -> usize {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program} (scripts/bench.sh installs it): {e}"));
    let mut stdin = child.stdin.take().expect("stdin");
    let input = bytes.to_vec();
    let writer = tokio::spawn(async move {
        stdin.write_all(&input).await.expect("compressor input");
    });
    let out = child.wait_with_output().await.expect("compressor");
    writer.await.expect("compressor input");
    out.stdout.len()
}

struct Bundle {
    files: Vec<String>,
    raw: usize,
    gzip: usize,
    brotli: usize,
}

async fn bundle(env: &Env, client: &reqwest::Client, room_html: &str) -> Bundle {
    let mut files = Vec::new();
    let mut contents = Vec::new();
    let mut queue = pkg_refs(room_html);
    let mut next = 0;
    while let Some(path) = queue.get(next).cloned() {
        next += 1;
        let answer = client.get(format!("{}{path}", env.base)).send().await.expect("pkg file");
        if answer.status().is_success() {
            let bytes = answer.bytes().await.expect("pkg bytes").to_vec();
            // What a script imports statically loads with it (the split build's loader).
            if path.ends_with(".js") {
                for import in js_imports(&String::from_utf8_lossy(&bytes)) {
                    if !queue.contains(&import) {
                        queue.push(import);
                    }
                }
            }
            contents.push(bytes);
            files.push(path);
        } else {
            files.push(format!("{path} (answered {}: is the site built?)", answer.status()));
        }
    }
    if contents.is_empty() {
        // Nothing named in the page: every wasm and js file of the built site.
        let dir = env.root.join("target/site/pkg");
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".js") || name.ends_with(".wasm") {
                contents.push(std::fs::read(entry.path()).expect("pkg file"));
                files.push(format!("target/site/pkg/{name}"));
            }
        }
    }
    let mut out = Bundle { files, raw: 0, gzip: 0, brotli: 0 };
    for bytes in &contents {
        out.raw += bytes.len();
        out.gzip += compressed("gzip", &["-9", "-c"], bytes).await;
        out.brotli += compressed("brotli", &["-q", "11", "-c"], bytes).await;
    }
    out
}

/// `end2end/bench/first-tap.mjs`'s JSON line, or why there is none.
async fn first_tap(env: &Env, room_path: &str) -> Result<Value, String> {
    let script = env.root.join("end2end/bench/first-tap.mjs");
    if !script.exists() {
        return Err("n/a (script missing)".into());
    }
    let run = Command::new("node")
        .arg(script)
        .args([env.base.as_str(), room_path, &env.tap_runs.to_string()])
        .current_dir(&env.root)
        .kill_on_drop(true)
        .output();
    let out = match tokio::time::timeout(Duration::from_secs(300), run).await {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => return Err(format!("n/a (node: {e})")),
        Err(_) => return Err("n/a (timed out after 300 s)".into()),
    };
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .rev()
        .find_map(|l| serde_json::from_str::<Value>(l.trim()).ok().filter(|v| v.get("first_tap_ms_p50").is_some()))
        .ok_or_else(|| {
            let err = String::from_utf8_lossy(&out.stderr);
            format!("n/a (exit {:?}: {})", out.status.code(), err.lines().last().unwrap_or("no output"))
        })
}

// ---------------------------------------------------------------------------
// Zero oversell, from Postgres.

struct Oversell {
    pass: bool,
    lines: Vec<String>,
}

async fn oversell(db: &PgPool, env: &Env, checks: &[(&str, i64, i64, u64)]) -> Oversell {
    settle(env).await;
    let mut out = Oversell { pass: true, lines: Vec::new() };
    for &(name, sku_id, initial, created) in checks {
        // Read until two reads a second apart agree (the record is at rest).
        let mut last = (-1, -1);
        for _ in 0..30 {
            let now = (hot_stock(db, sku_id).await, sold_in_postgres(db, sku_id).await);
            if now == last {
                break;
            }
            last = now;
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let (stock, sold) = last;
        let balanced = sold + stock == initial && stock >= 0;
        // Every 201 a client saw is an order in the record (an order may exist
        // whose 201 a client gave up on, hence >=).
        let durable = sold >= created as i64;
        out.pass &= balanced && durable;
        out.lines.push(format!(
            "{name} SKU {sku_id}: initial {initial} = sold {sold} + remaining {stock}? {}; remaining >= 0? {}; \
             201s seen {created} <= sold {sold}? {}",
            if sold + stock == initial { "yes" } else { "NO" },
            if stock >= 0 { "yes" } else { "NO" },
            if durable { "yes" } else { "NO" },
        ));
    }
    out
}

// ---------------------------------------------------------------------------

fn fmt_rate(x: f64) -> String {
    if x.is_nan() {
        "n/a".into()
    } else if x >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

fn rounds_of(runs: &[Run], f: impl Fn(&Run) -> f64) -> String {
    runs.iter().map(|r| fmt_rate(f(r))).collect::<Vec<_>>().join(", ")
}

fn ratio(a: f64, b: f64) -> String {
    if a.is_nan() || b.is_nan() || b == 0.0 {
        "n/a".into()
    } else {
        format!("{:.2}x", a / b)
    }
}

#[tokio::main]
async fn main() {
    let env = Env::read();
    let began = Instant::now();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("http client");
    let db =
        sqlx::postgres::PgPoolOptions::new().max_connections(4).connect(&env.database_url).await.expect("postgres");

    progress("seeding: streamer, room, goods through the API; buyers in Postgres");
    let fx = seed(&env, &client, &db).await;
    let room_path = format!("/live/{}", fx.live_id);
    progress(&format!("room {room_path}, hot SKU {}, {} buyers", fx.hot.sku_id, fx.tokens.len()));

    // Stock changes reach caches and cards within a second (API.md).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // The product's answers, so the baseline answers the very same bytes.
    let mut bodies = HashMap::new();
    let sold_out_key = "bench-sample-sold-out";
    let sold_out = client
        .post(format!("{}/api/orders", env.base))
        .bearer_auth(&fx.tokens[0])
        .header("Idempotency-Key", sold_out_key)
        .json(&json!({"live_id": fx.live_id, "goods_items": [{"sku_id": fx.sold_out.sku_id, "quantity": 1}],
                      "tracking_code": fx.sold_out.tracking_code, "trace_id": "wrk-bench"}))
        .send()
        .await
        .expect("sold-out order");
    bodies.insert("sold_out".to_owned(), sample(sold_out).await);
    let goods_list_url = format!("{}/api/live/goods-list?live_id={}", env.base, fx.live_id);
    bodies.insert("goods_list".to_owned(), sample(client.get(&goods_list_url).send().await.expect("goods list")).await);
    let room_url = format!("{}{room_path}", env.base);
    bodies.insert("room".to_owned(), sample(client.get(&room_url).send().await.expect("room page")).await);
    for (name, c) in &bodies {
        progress(&format!("sample {name}: {} {} bytes", c.status, c.body.len()));
    }
    assert_eq!(bodies["sold_out"].status, StatusCode::CONFLICT, "the sold-out SKU must answer 409");
    let room_html = String::from_utf8_lossy(&bodies["room"].body).into_owned();
    let sizes: HashMap<String, usize> = bodies.iter().map(|(k, c)| (k.clone(), c.body.len())).collect();
    let baseline = start_baseline(bodies).await;

    progress("row 5: the room page's wasm + js");
    let bundle = bundle(&env, &client, &room_html).await;

    progress(&format!("row 7: order 201 → stock event, {} samples", env.samples));
    let card = card_latency(&env, &client, &db, &fx).await;
    progress(&format!("row 8: order 201 → dashboard, {} samples", env.samples));
    let dash = dashboard_latency(&env, &client, &db, &fx).await;

    // Row 1 with its pgbench baseline on a scratch database of the same Postgres.
    let scratch = format!("{}_pg", db_name(&env.database_url));
    let admin_url = with_db(&env.database_url, "postgres");
    let admin = PgPool::connect(&admin_url).await.expect("postgres admin");
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{scratch}\"")).execute(&admin).await.expect("drop scratch");
    sqlx::query(&format!("CREATE DATABASE \"{scratch}\"")).execute(&admin).await.expect("scratch database");
    let scratch_url = with_db(&env.database_url, &scratch);
    {
        let s = PgPool::connect(&scratch_url).await.expect("scratch");
        sqlx::query("CREATE TABLE bench_skus (id INT PRIMARY KEY, stock INT NOT NULL CHECK (stock >= 0))")
            .execute(&s)
            .await
            .expect("scratch table");
        sqlx::query("INSERT INTO bench_skus VALUES (1, 100000000)").execute(&s).await.expect("scratch row");
        s.close().await;
    }
    let nonce = format!("{:x}", rand::thread_rng().next_u32());
    // `wrk.lua`'s order mode; run_wrk makes the nonce unique per run.
    let order_args = |sku: &Sku, tag: &str| -> Vec<String> {
        vec![
            "order".into(),
            fx.tokens_file.display().to_string(),
            fx.live_id.to_string(),
            sku.sku_id.to_string(),
            sku.tracking_code.clone(),
            format!("{nonce}{tag}"),
        ]
    };
    progress("row 1: hot-SKU orders vs pgbench conditional UPDATE, 32 connections");
    let (hot, pg) = alternate(
        &env,
        "hot SKU",
        &Load::Wrk { url: format!("{}/api/orders", env.base), conns: 32, count: "201", args: order_args(&fx.hot, "h") },
        &Load::Pgbench {
            url: scratch_url.clone(),
            clients: 32,
            script: env.root.join("scripts/bench/hot-sku-update.sql"),
        },
    )
    .await;
    let hot_created: u64 = hot.iter().map(|r| r.counted).sum::<u64>() + card.created + dash.created;

    progress("zero oversell: 32 connections race for the scarce SKU until it sells out, then Postgres");
    settle(&env).await;
    // Runs of 3 s until buyers are told sold_out (at most 5): the race must
    // cross the point where the stock runs out, where overselling would happen.
    let (mut race_created, mut race_sold_out) = (0, 0);
    for _ in 0..5 {
        let url = format!("{}/api/orders", env.base);
        let race = run_wrk(&env, &url, 32, "201", &order_args(&fx.scarce, "race"), 3).await;
        progress(&format!("scarce race: [{}]", race.statuses));
        race_created += race.counted;
        race_sold_out += race.sold_out;
        if race_sold_out > 0 {
            break;
        }
    }
    let oversold = oversell(
        &db,
        &env,
        &[("hot", fx.hot.sku_id, HOT_STOCK, hot_created), ("scarce", fx.scarce.sku_id, SCARCE_STOCK, race_created)],
    )
    .await;

    progress("row 2: sold-out answers vs the trivial handler, 50 connections");
    let (so, so_base) = alternate(
        &env,
        "sold out",
        &Load::Wrk {
            url: format!("{}/api/orders", env.base),
            conns: 50,
            count: "sold_out",
            args: order_args(&fx.sold_out, "s"),
        },
        &Load::Wrk {
            url: format!("{baseline}/same/sold_out"),
            conns: 50,
            count: "sold_out",
            args: order_args(&fx.sold_out, "s"),
        },
    )
    .await;
    progress("row 3: goods-list vs the trivial handler, 64 connections");
    let get = |url: String| Load::Wrk { url, conns: 64, count: "200", args: vec!["get".into()] };
    let (gl, gl_base) =
        alternate(&env, "goods-list", &get(goods_list_url), &get(format!("{baseline}/same/goods_list"))).await;
    progress("row 4: SSR room page vs the trivial handler, 64 connections");
    let (room, room_base) = alternate(&env, "room page", &get(room_url), &get(format!("{baseline}/same/room"))).await;

    progress("row 6: phone first tap");
    let tap = first_tap(&env, &room_path).await;
    let measured = began.elapsed();

    // Clean up what lives outside the server's database and prefix.
    let _ = std::fs::remove_file(&fx.tokens_file);
    db.close().await;
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{scratch}\" WITH (FORCE)")).execute(&admin).await;

    // -----------------------------------------------------------------------
    let med = |runs: &[Run], f: fn(&Run) -> f64| median(runs.iter().map(f).collect());
    let per_s = |r: &Run| r.per_s;
    let p99 = |r: &Run| r.p99_ms;
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    println!();
    println!(
        "Flash-sale benchmark: {} rounds of {} s per side, alternated baseline/product, medians; {cores} cores; {:.0} s measuring",
        env.rounds,
        env.duration_s,
        measured.as_secs_f64()
    );
    println!();
    println!("| # | measure | product | baseline (same run) | ratio | target | met |");
    println!("|---|---|---|---|---|---|---|");
    let (h, b) = (med(&hot, per_s), med(&pg, per_s));
    println!(
        "| 1 | hot-SKU orders created/s (201), 32 conns | {} | {} (pgbench conditional UPDATE, 32 clients) | {} | ≥ 3x | {} |",
        fmt_rate(h),
        fmt_rate(b),
        ratio(h, b),
        yes(h >= 3.0 * b)
    );
    let (h, b) = (med(&so, per_s), med(&so_base, per_s));
    println!(
        "| 2 | sold-out answers/s (409 sold_out), 50 conns | {} | {} (axum, same {} B body) | {} | ≥ 0.6x | {} |",
        fmt_rate(h),
        fmt_rate(b),
        sizes["sold_out"],
        ratio(h, b),
        yes(h >= 0.6 * b)
    );
    let (h, b) = (med(&gl, per_s), med(&gl_base, per_s));
    println!(
        "| 3 | goods-list req/s (200), 64 conns | {} | {} (axum, same {} B body) | {} | ≥ 0.8x | {} |",
        fmt_rate(h),
        fmt_rate(b),
        sizes["goods_list"],
        ratio(h, b),
        yes(h >= 0.8 * b)
    );
    let (h, b) = (med(&room, per_s), med(&room_base, per_s));
    println!(
        "| 4a | SSR room page req/s (200), 64 conns | {} | {} (axum, same {} B body) | {} | ≥ 0.4x | {} |",
        fmt_rate(h),
        fmt_rate(b),
        sizes["room"],
        ratio(h, b),
        yes(h >= 0.4 * b)
    );
    let (h, b) = (med(&room, p99), med(&room_base, p99));
    println!(
        "| 4b | SSR room page p99 latency, 64 conns | {h:.1} ms | {b:.1} ms | {} | < 5 ms | {} |",
        ratio(h, b),
        yes(h < 5.0)
    );
    let kb = |n: usize| n as f64 / 1024.0;
    if bundle.gzip == 0 {
        println!("| 5 | room page wasm + js, gzip (raw / brotli) | n/a (site not built) | budget 200 KB gzip | – | ≤ 200 KB | – |");
    } else {
        println!(
            "| 5 | room page wasm + js, gzip (raw / brotli) | {:.1} KB ({:.1} / {:.1} KB) | budget 200 KB gzip | {:.2}x of budget | ≤ 200 KB | {} |",
            kb(bundle.gzip),
            kb(bundle.raw),
            kb(bundle.brotli),
            kb(bundle.gzip) / 200.0,
            yes(kb(bundle.gzip) <= 200.0)
        );
    }
    match &tap {
        Ok(v) => {
            let p50 = v["first_tap_ms_p50"].as_f64().unwrap_or(f64::NAN);
            println!(
                "| 6 | phone first tap p50 | {p50:.0} ms | target 3000 ms | {:.2}x of target | ≤ 3000 ms | {} |",
                p50 / 3000.0,
                yes(p50 <= 3000.0)
            );
        }
        Err(why) => println!("| 6 | phone first tap p50 | {why} | target 3000 ms | – | ≤ 3000 ms | – |"),
    }
    let (p50, p99v) = (percentile_ms(&card.product, 50.0), percentile_ms(&card.product, 99.0));
    let (b50, b99) = (percentile_ms(&card.baseline, 50.0), percentile_ms(&card.baseline, 99.0));
    println!(
        "| 7 | order 201 → room stock event, p50 / p99 | {p50:.1} / {p99v:.1} ms | {b50:.2} / {b99:.2} ms (Redis PUBLISH → SUBSCRIBE) | {} / {} | p99 ≤ 1000 ms (API.md) | {} |",
        ratio(p50, b50),
        ratio(p99v, b99),
        yes(card.missed == 0 && p99v <= 1000.0)
    );
    let (p50, p99v) = (percentile_ms(&dash.product, 50.0), percentile_ms(&dash.product, 99.0));
    let (b50, b99) = (percentile_ms(&dash.baseline, 50.0), percentile_ms(&dash.baseline, 99.0));
    println!(
        "| 8 | order 201 → counted on dashboard, p50 / p99 | {p50:.1} / {p99v:.1} ms | {b50:.2} / {b99:.2} ms (Redis XADD → XREAD) | {} / {} | – | – |",
        ratio(p50, b50),
        ratio(p99v, b99),
    );
    println!(
        "| – | zero oversell (Postgres, after the order runs) | {} | sum(order_items) + stock = initial, stock ≥ 0 | – | PASS | {} |",
        if oversold.pass { "PASS" } else { "FAIL" },
        yes(oversold.pass)
    );
    println!();
    println!("Rounds (baseline | product), per second unless stated:");
    println!("  1  pgbench {} | orders {}", rounds_of(&pg, per_s), rounds_of(&hot, per_s));
    println!("  2  axum {} | sold out {}", rounds_of(&so_base, per_s), rounds_of(&so, per_s));
    println!("  3  axum {} | goods-list {}", rounds_of(&gl_base, per_s), rounds_of(&gl, per_s));
    println!("  4  axum {} | room page {}", rounds_of(&room_base, per_s), rounds_of(&room, per_s));
    println!("  4  p99 ms: axum {} | room page {}", rounds_of(&room_base, p99), rounds_of(&room, p99));
    println!(
        "  hot-SKU runs, all answers/s: {} [{}]",
        rounds_of(&hot, |r| r.all_per_s),
        hot.iter().map(|r| r.statuses.as_str()).collect::<Vec<_>>().join(" | ")
    );
    println!("  5  files: {}", bundle.files.join(", "));
    if let Ok(v) = &tap {
        println!("  6  first-tap.mjs: {v}");
    }
    println!(
        "  7  {} samples, {} missed (no 201, or no stock event within 5 s); 8: {} samples, {} missed (10 s)",
        card.product.len(),
        card.missed,
        dash.product.len(),
        dash.missed
    );
    for line in &oversold.lines {
        println!("  oversell: {line}");
    }
    println!(
        "  oversell: the scarce SKU's race {} ({race_sold_out} sold_out answers)",
        if race_sold_out > 0 { "sold it out" } else { "did NOT sell it out: the check saw no sell-out" }
    );
    println!("ZERO OVERSELL: {}", if oversold.pass { "PASS" } else { "FAIL" });
    admin.close().await;
    if !oversold.pass {
        std::process::exit(1);
    }
}

fn yes(ok: bool) -> &'static str {
    if ok {
        "yes"
    } else {
        "no"
    }
}

/// The database name at the end of a Postgres URL.
fn db_name(url: &str) -> String {
    let path = url.rsplit('/').next().unwrap_or_default();
    path.split('?').next().unwrap_or_default().to_owned()
}

/// `url` pointing at database `name` instead.
fn with_db(url: &str, name: &str) -> String {
    let (head, tail) = url.rsplit_once('/').expect("a Postgres URL ends in /database");
    let query = tail.split_once('?').map(|(_, q)| format!("?{q}")).unwrap_or_default();
    format!("{head}/{name}{query}")
}
