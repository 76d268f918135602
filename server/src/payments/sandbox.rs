//! The local sandbox payment provider: no real money, for demos, tests and
//! development. It stands for an outside provider and behaves like one: a
//! payment it is handed is confirmed a moment later by an HTTP callback to
//! `POST /api/payments/sandbox/callback`, signed with HMAC-SHA256 over
//! `"{timestamp}.{body}"` (the scheme Stripe and others use), header
//! `X-Sandbox-Signature: t=<unix seconds>,v1=<hex>`. Its queue of
//! confirmations to send lives in Postgres (`sandbox_confirmations`), so a
//! confirmation survives a restart, and its [`Confirmer`] is safe to run in
//! every process (`FOR UPDATE SKIP LOCKED`).

use std::time::Duration;

use app::error::AppError;
use chrono::Utc;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use sqlx::PgPool;

use super::provider::{Notice, PaymentProvider, Started};
use crate::{
    error::Result,
    startup::worker::{Step, Worker},
};

pub const SIGNATURE_HEADER: &str = "x-sandbox-signature";
/// How long after a payment the sandbox confirms it.
const CONFIRM_AFTER: Duration = Duration::from_millis(300);
/// A callback signed longer ago than this is refused (a replayed capture).
const TOLERANCE_S: i64 = 300;
const BATCH: i64 = 20;

type HmacSha256 = Hmac<Sha256>;

pub struct SandboxProvider {
    db: PgPool,
    secret: Vec<u8>,
}

impl SandboxProvider {
    pub fn new(db: PgPool, secret: Vec<u8>) -> Self {
        Self { db, secret }
    }
}

/// The signature header for `body` signed at `timestamp`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    let digest: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp},v1={digest}")
}

fn forged() -> crate::error::Error {
    AppError::Forbidden("the payment callback's signature does not verify".into()).into()
}

/// Checks `header` against `body`, in constant time, within the tolerance.
fn verify_signature(secret: &[u8], header: Option<&str>, body: &[u8], now_s: i64) -> Result<()> {
    let header = header.ok_or_else(forged)?;
    let mut timestamp = None;
    let mut digest = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", v)) => digest = decode_hex(v),
            _ => {}
        }
    }
    let (Some(timestamp), Some(digest)) = (timestamp, digest) else { return Err(forged()) };
    if (now_s - timestamp).abs() > TOLERANCE_S {
        return Err(forged());
    }
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    mac.verify_slice(&digest).map_err(|_| forged())
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok()).collect()
}

#[async_trait::async_trait]
impl PaymentProvider for SandboxProvider {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    async fn start(&self, payment: &Started) -> Result<()> {
        sqlx::query(
            "INSERT INTO sandbox_confirmations (payment_id, due_at)
             VALUES ($1, now() + make_interval(secs => $2)) ON CONFLICT (payment_id) DO NOTHING",
        )
        .bind(&payment.payment_id)
        .bind(CONFIRM_AFTER.as_secs_f64())
        .execute(&self.db)
        .await?;
        Ok(())
    }

    fn verify(&self, signature: Option<&str>, body: &[u8]) -> Result<Notice> {
        verify_signature(&self.secret, signature, body, Utc::now().timestamp())?;
        serde_json::from_slice(body)
            .map_err(|_| AppError::BadRequest("the callback body is not a notice".into()).into())
    }
}

/// Sends the sandbox's due confirmations to the callback endpoint.
pub struct Confirmer {
    pub db: PgPool,
    pub secret: Vec<u8>,
    pub callback_url: String,
    pub client: reqwest::Client,
}

impl Confirmer {
    async fn send(&self, notice: &Notice) -> anyhow::Result<reqwest::StatusCode> {
        let body = serde_json::to_vec(notice)?;
        let signature = sign(&self.secret, Utc::now().timestamp(), &body);
        let response = self
            .client
            .post(&self.callback_url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature)
            .body(body)
            .timeout(Duration::from_secs(5))
            .send()
            .await?;
        Ok(response.status())
    }
}

#[async_trait::async_trait]
impl Worker for Confirmer {
    fn name(&self) -> &'static str {
        "sandbox-payments"
    }

    fn period(&self) -> Duration {
        Duration::from_millis(100)
    }

    async fn step(&mut self) -> anyhow::Result<Step> {
        let mut tx = self.db.begin().await?;
        let due: Vec<(String, String, i64, i32)> = sqlx::query_as(
            "SELECT c.payment_id, p.order_sn, p.amount_cents, c.attempts FROM sandbox_confirmations c
               JOIN payments p ON p.payment_id = c.payment_id
              WHERE c.sent_at IS NULL AND c.due_at <= now()
              ORDER BY c.due_at LIMIT $1 FOR UPDATE OF c SKIP LOCKED",
        )
        .bind(BATCH)
        .fetch_all(&mut *tx)
        .await?;
        for (payment_id, order_sn, amount_cents, attempts) in &due {
            let notice =
                Notice { payment_id: payment_id.clone(), order_sn: order_sn.clone(), amount_cents: *amount_cents };
            let delivered = match self.send(&notice).await {
                // A 4xx will not change on a retry; the server logged why.
                Ok(status) => status.is_success() || status.is_client_error(),
                Err(err) => {
                    tracing::warn!(error = %err, %payment_id, "sandbox callback not delivered; will retry");
                    false
                }
            };
            let backoff = 2f64.powi((*attempts).min(8)) * 0.5;
            sqlx::query(
                "UPDATE sandbox_confirmations SET attempts = attempts + 1,
                        sent_at = CASE WHEN $2 THEN now() END,
                        due_at = CASE WHEN $2 THEN due_at ELSE now() + make_interval(secs => $3) END
                  WHERE payment_id = $1",
            )
            .bind(payment_id)
            .bind(delivered)
            .bind(backoff)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(if due.len() as i64 == BATCH { Step::Busy } else { Step::Idle })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_its_body_secret_and_time() {
        let body = br#"{"payment_id":"pay_1","order_sn":"2026112900000001","amount_cents":100}"#;
        let header = sign(b"secret", 1_000, body);
        assert!(verify_signature(b"secret", Some(&header), body, 1_010).is_ok());
        assert!(verify_signature(b"other", Some(&header), body, 1_010).is_err(), "another secret");
        assert!(verify_signature(b"secret", Some(&header), b"{}", 1_010).is_err(), "another body");
        assert!(verify_signature(b"secret", Some(&header), body, 1_000 + 301).is_err(), "too old");
        assert!(verify_signature(b"secret", None, body, 1_000).is_err(), "unsigned");
        assert!(verify_signature(b"secret", Some("t=1000,v1=zz"), body, 1_000).is_err(), "garbage");
    }
}
