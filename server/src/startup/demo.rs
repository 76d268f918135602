//! Demo data: a streamer, a viewer, a live room and goods with SKUs and stock,
//! seeded idempotently at start-up when `LIVE_DEMO_DATA` is on. Several
//! processes may start at once: an advisory lock makes one of them seed.

use anyhow::Context;
use sqlx::{PgPool, Postgres, Transaction};

use crate::{auth::hash_password, links::TrackingCode};

/// Printed at start-up so a person can sign in straight away.
pub const STREAMER: (&str, &str) = ("demo_streamer", "demo-pass-2026");
pub const VIEWER: (&str, &str) = ("demo_viewer", "demo-pass-2026");

const SEED_LOCK: i64 = 0x6c69_7665_5345_4544; // "liveSEED"

struct DemoGoods {
    title: &'static str,
    description: &'static str,
    cover: &'static str,
    skus: &'static [(&'static str, i64, i32)],
}

const GOODS: &[DemoGoods] = &[
    DemoGoods {
        title: "无线降噪蓝牙耳机 Pro",
        description: "主动降噪，40 小时续航，佩戴轻盈。直播间专享价。",
        cover: "/demo/earbuds.svg",
        skus: &[("曜石黑", 29_900, 120), ("珍珠白", 29_900, 80)],
    },
    DemoGoods {
        title: "冻干咖啡粉 24 颗装",
        description: "三秒速溶，冷热皆宜，每颗 2 克。",
        cover: "/demo/coffee.svg",
        skus: &[("经典美式 24 颗", 5_990, 500), ("拿铁风味 24 颗", 6_990, 300)],
    },
    DemoGoods {
        title: "保湿修护面霜 50ml",
        description: "神经酰胺配方，敏感肌可用。",
        cover: "/demo/cream.svg",
        skus: &[("50ml", 18_900, 60)],
    },
    DemoGoods {
        title: "秋冬加厚羊毛围巾",
        description: "100% 羊毛，180×30 cm。",
        cover: "/demo/scarf.svg",
        skus: &[("燕麦色", 12_900, 40), ("雾霾蓝", 12_900, 40), ("酒红色", 12_900, 25)],
    },
    DemoGoods {
        title: "限量款潮玩盲盒",
        description: "整盒 6 只，随机隐藏款。限量发售。",
        cover: "/demo/blindbox.svg",
        skus: &[("单只", 6_900, 10)],
    },
];

/// Seeds the demo accounts, room and goods unless they are there already.
pub async fn seed(db: &PgPool) -> anyhow::Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(SEED_LOCK).execute(&mut *tx).await?;
    let streamer = ensure_user(&mut tx, STREAMER, "streamer").await?;
    ensure_user(&mut tx, VIEWER, "viewer").await?;
    let has_room: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM live_rooms WHERE owner_id = $1)")
        .bind(streamer)
        .fetch_one(&mut *tx)
        .await?;
    if !has_room {
        seed_room(&mut tx, streamer).await.context("seeding the demo room")?;
    }
    tx.commit().await?;
    Ok(())
}

async fn ensure_user(
    tx: &mut Transaction<'_, Postgres>,
    (name, pass): (&str, &str),
    role: &str,
) -> anyhow::Result<i64> {
    if let Some(id) = sqlx::query_scalar("SELECT id FROM users WHERE lower(username) = lower($1)")
        .bind(name)
        .fetch_optional(&mut **tx)
        .await?
    {
        return Ok(id);
    }
    let id = sqlx::query_scalar("INSERT INTO users (username, password_hash, role) VALUES ($1, $2, $3) RETURNING id")
        .bind(name)
        .bind(hash_password(pass)?)
        .bind(role)
        .fetch_one(&mut **tx)
        .await?;
    Ok(id)
}

async fn seed_room(tx: &mut Transaction<'_, Postgres>, streamer: i64) -> anyhow::Result<()> {
    let live_id: i64 = sqlx::query_scalar("INSERT INTO live_rooms (owner_id, title) VALUES ($1, $2) RETURNING id")
        .bind(streamer)
        .bind("双十二预热 · 好物直播间")
        .fetch_one(&mut **tx)
        .await?;
    for (position, goods) in GOODS.iter().enumerate() {
        let spu_id: i64 = sqlx::query_scalar(
            "INSERT INTO spus (owner_id, title, description, cover_url) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(streamer)
        .bind(goods.title)
        .bind(goods.description)
        .bind(goods.cover)
        .fetch_one(&mut **tx)
        .await?;
        for (spec, price, stock) in goods.skus {
            sqlx::query("INSERT INTO skus (spu_id, spec, price_cents, stock) VALUES ($1, $2, $3, $4)")
                .bind(spu_id)
                .bind(spec)
                .bind(price)
                .bind(stock)
                .execute(&mut **tx)
                .await?;
        }
        let snapshot: i32 = goods.skus.iter().map(|s| s.2).sum();
        sqlx::query(
            "INSERT INTO live_room_goods (live_id, spu_id, position, stock_snapshot, tracking_code) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(live_id)
        .bind(spu_id)
        .bind(position as i32)
        .bind(snapshot)
        .bind(TrackingCode::mint().as_str())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
