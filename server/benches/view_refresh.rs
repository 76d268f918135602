//! Refreshing `live_goods_sales` at one million stream rows, beside its
//! baseline measured in the same run: the same view computed the way the
//! source names it, `GROUP BY` straight over `live_order_stream`, which every
//! refresh must read whole. Product and baseline alternate, three rounds each.
//!
//! Run: `cargo bench -p server --bench view_refresh` (Postgres on
//! 127.0.0.1:5432, or `BENCH_DATABASE_BASE`); it creates and drops its own
//! database. `BENCH_ROWS` changes the size (default 1,000,000).

use std::time::{Duration, Instant};

use sqlx::PgPool;

const ROUNDS: usize = 3;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Adds `rows` stream rows (20 rooms, 200 SKUs, 50,000 buyers), as the consumer would.
async fn add_rows(db: &PgPool, from: i64, rows: i64) {
    sqlx::query(
        "INSERT INTO live_order_stream (order_sn, live_id, user_id, sku_id, order_quantity, amount_cents, ordered_at)
         SELECT '2026112' || lpad(g::text, 12, '0'), g % 20 + 1, g % 50000 + 1, g % 200 + 1, 1 + g % 3, 990, now()
           FROM generate_series($1::BIGINT, $2::BIGINT) g",
    )
    .bind(from)
    .bind(from + rows - 1)
    .execute(db)
    .await
    .expect("stream rows");
}

async fn timed(db: &PgPool, sql: &str) -> Duration {
    let started = Instant::now();
    sqlx::query(sql).execute(db).await.expect(sql);
    started.elapsed()
}

#[tokio::main]
async fn main() {
    let rows: i64 = std::env::var("BENCH_ROWS").ok().and_then(|r| r.parse().ok()).unwrap_or(1_000_000);
    let base = std::env::var("BENCH_DATABASE_BASE").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let name = format!("lc_bench_{}", std::process::id());
    let url = format!("{base}/{name}");
    let db = server::startup::db::connect_and_migrate(&url).await.expect("bench database");

    let filled = Instant::now();
    add_rows(&db, 1, rows).await;
    println!("{rows} stream rows written (rollup kept by trigger) in {:.1} s", filled.elapsed().as_secs_f64());
    sqlx::query(
        "CREATE MATERIALIZED VIEW baseline_goods_sales AS
         SELECT live_id, sku_id, SUM(order_quantity)::BIGINT AS total_sales, COUNT(DISTINCT user_id) AS uv
           FROM live_order_stream GROUP BY live_id, sku_id",
    )
    .execute(&db)
    .await
    .expect("baseline view");
    sqlx::query("CREATE UNIQUE INDEX ON baseline_goods_sales (live_id, sku_id)").execute(&db).await.unwrap();
    sqlx::query("ANALYZE").execute(&db).await.unwrap();

    let (mut ours, mut baseline) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        // What arrives between two refreshes: 1 % more orders.
        add_rows(&db, rows + 1 + round as i64 * rows / 100, rows / 100).await;
        let started = Instant::now();
        server::refresh_view(&db, Duration::ZERO).await.expect("refresh").expect("this process refreshes");
        ours.push(started.elapsed());
        baseline.push(timed(&db, "REFRESH MATERIALIZED VIEW CONCURRENTLY baseline_goods_sales").await);
    }
    let same: bool = sqlx::query_scalar(
        "SELECT NOT EXISTS (SELECT * FROM live_goods_sales EXCEPT SELECT * FROM baseline_goods_sales)
            AND NOT EXISTS (SELECT * FROM baseline_goods_sales EXCEPT SELECT * FROM live_goods_sales)",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    let (ours, baseline) = (median(ours), median(baseline));
    println!();
    println!("| refresh of live_goods_sales at {rows} rows | median of {ROUNDS} | ");
    println!("|---|---|");
    println!("| rollup-backed view (ours) | {:.0} ms |", ours.as_secs_f64() * 1e3);
    println!("| GROUP BY over the stream (baseline) | {:.0} ms |", baseline.as_secs_f64() * 1e3);
    println!("| ratio (baseline / ours) | {:.1}x |", baseline.as_secs_f64() / ours.as_secs_f64());
    println!("\nthe two views hold the same rows: {same}");
    db.close().await;
    let admin = PgPool::connect(&format!("{base}/postgres")).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).execute(&admin).await.unwrap();
    assert!(same, "the view must equal the source's GROUP BY");
}
