//! What a payment provider does for us: take a payment, and vouch for the
//! callbacks that confirm it. Real providers (Alipay, WeChat Pay, Stripe)
//! implement the same two steps; the built-in one is the local sandbox.

use crate::error::Result;

/// A payment handed to a provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Started {
    pub payment_id: String,
    pub order_sn: String,
    pub amount_cents: i64,
}

/// What a verified callback says: this payment succeeded for this amount.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Notice {
    pub payment_id: String,
    pub order_sn: String,
    pub amount_cents: i64,
}

#[async_trait::async_trait]
pub trait PaymentProvider: Send + Sync + 'static {
    /// The provider's name, as payments record it (`sandbox`).
    fn name(&self) -> &'static str;
    /// Hands the payment over; the provider confirms later through its
    /// callback. Idempotent per payment id (paying again re-sends it).
    async fn start(&self, payment: &Started) -> Result<()>;
    /// Verifies a callback's signature over its raw body; the notice it
    /// carries, or `Forbidden` for an unsigned, forged or stale one.
    fn verify(&self, signature: Option<&str>, body: &[u8]) -> Result<Notice>;
}
