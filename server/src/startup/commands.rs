//! The command-line tasks beside serving: rebuilding what Redis holds from
//! Postgres, with the same environment variables as the server.

use super::{config::Config, db, redis::Redis};
use crate::{cache::RoomCache, stock};

/// `server rebuild-cache`: rebuilds every room's goods cache in Redis from Postgres.
pub async fn rebuild_cache(config: Config) -> anyhow::Result<()> {
    let db = db::connect_and_migrate(&config.database_url).await?;
    let redis = Redis::connect(&config.redis_url, &config.redis_key_prefix).await?;
    let rooms = RoomCache::new(db, redis, config.video.clone()).rebuild_all().await?;
    println!("rebuilt the goods cache of {rooms} rooms from Postgres");
    Ok(())
}

/// `server reconcile-stock`: resets Redis's gate stock from Postgres and reports drift.
pub async fn reconcile_stock(config: Config) -> anyhow::Result<()> {
    let db = db::connect_and_migrate(&config.database_url).await?;
    let redis = Redis::connect(&config.redis_url, &config.redis_key_prefix).await?;
    let drift = stock::reconcile(&db, &stock::Gate::new(redis)).await?;
    for d in &drift {
        println!("live {} sku {}: redis {:?} -> {}", d.live_id, d.sku_id, d.redis, d.expected);
    }
    println!("{} SKU counters reset from Postgres", drift.len());
    Ok(())
}
