//! The Postgres pool: creates the database when it does not exist yet and
//! applies the migrations in `server/migrations` at start-up.

use std::time::Duration;

use anyhow::Context;
use sqlx::{
    migrate::MigrateDatabase,
    postgres::{PgConnectOptions, PgPoolOptions},
    PgPool, Postgres,
};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connects to `url`, creating the database first if needed, and migrates it.
pub async fn connect_and_migrate(url: &str) -> anyhow::Result<PgPool> {
    if !Postgres::database_exists(url).await.context("checking that the database exists")? {
        // Two processes may race to create it; losing that race is fine.
        if let Err(err) = Postgres::create_database(url).await {
            if !Postgres::database_exists(url).await.unwrap_or(false) {
                return Err(err).context("creating the database");
            }
        }
    }
    let options: PgConnectOptions = url.parse().context("DATABASE_URL is not a Postgres URL")?;
    let pool = PgPoolOptions::new()
        .max_connections(32)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(3))
        .connect_with(options)
        .await
        .context("connecting to Postgres")?;
    MIGRATOR.run(&pool).await.context("running migrations")?;
    Ok(pool)
}
