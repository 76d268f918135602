//! The process-local sold-out flag: once the gate refuses a SKU in a room,
//! this process remembers what the counter had left (zero, once it is sold
//! out) and answers orders for more than that with `sold_out` without asking
//! Redis's counter or Postgres, for at most [`FLAG_TTL`]. The flag is dropped at once in this process when it gives
//! stock back (a release, a reconcile), and lives no longer than `FLAG_TTL`
//! anywhere, so every counter increase — in any process: a cancel, an
//! expiry, a restock, the sweeper — is heard within a second.

use std::time::Duration;

use app::ids::{LiveId, SkuId};
use moka::sync::Cache;

use crate::orders::Quantity;

/// How long a sold-out verdict is believed without asking the gate again.
pub const FLAG_TTL: Duration = Duration::from_secs(1);
/// Bounds the memory a flood of distinct SKUs can take.
const MAX_FLAGS: u64 = 100_000;

pub struct SoldOutFlags(Cache<(LiveId, SkuId), i64>);

impl Default for SoldOutFlags {
    fn default() -> Self {
        Self(Cache::builder().max_capacity(MAX_FLAGS).time_to_live(FLAG_TTL).build())
    }
}

impl SoldOutFlags {
    /// The gate refused this SKU: it had only `left`.
    pub fn raise(&self, live_id: LiveId, sku_id: SkuId, left: i64) {
        self.0.insert((live_id, sku_id), left.max(0));
    }

    /// Whether the gate would refuse one of these items (more than it had left).
    pub fn refuses(&self, live_id: LiveId, items: &[(SkuId, Quantity)]) -> bool {
        items.iter().any(|(sku, qty)| self.0.get(&(live_id, *sku)).is_some_and(|left| left < qty.wide()))
    }

    /// Stock came back for these SKUs (for all of the room's when `None`:
    /// a release by XID does not name its SKUs).
    pub fn lower(&self, live_id: LiveId, only: Option<&[SkuId]>) {
        match only {
            Some(skus) => skus.iter().for_each(|sku| self.0.invalidate(&(live_id, *sku))),
            None => {
                for (key, _) in self.0.iter().filter(|(key, _)| key.0 == live_id) {
                    self.0.invalidate(&*key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(live: i64, sku: i64) -> (LiveId, SkuId) {
        (LiveId::new(live).unwrap(), SkuId::new(sku).unwrap())
    }

    #[test]
    fn a_flag_is_per_room_and_sku_and_is_lowered_by_stock_coming_back() {
        let flags = SoldOutFlags::default();
        let (live, sku) = ids(1, 7);
        let (other_live, other_sku) = ids(2, 8);
        let one = |sku| [(sku, Quantity::parse(1).unwrap())];
        flags.raise(live, sku, 0);
        assert!(flags.refuses(live, &[(other_sku, Quantity::parse(1).unwrap()), (sku, Quantity::parse(1).unwrap())]));
        assert!(!flags.refuses(other_live, &one(sku)));
        flags.lower(live, Some(&[sku]));
        assert!(!flags.refuses(live, &one(sku)));
        flags.raise(live, sku, 0);
        flags.raise(other_live, other_sku, 0);
        flags.lower(live, None);
        assert!(!flags.refuses(live, &one(sku)));
        assert!(flags.refuses(other_live, &one(other_sku)), "another room's flag stays");
    }

    #[test]
    fn a_flag_refuses_only_more_than_was_left() {
        let flags = SoldOutFlags::default();
        let (live, sku) = ids(1, 7);
        flags.raise(live, sku, 1);
        assert!(!flags.refuses(live, &[(sku, Quantity::parse(1).unwrap())]), "one is still there");
        assert!(flags.refuses(live, &[(sku, Quantity::parse(2).unwrap())]));
    }

    #[test]
    fn a_flag_expires_within_its_ttl() {
        let flags = SoldOutFlags::default();
        let (live, sku) = ids(1, 7);
        flags.raise(live, sku, 0);
        std::thread::sleep(FLAG_TTL + Duration::from_millis(50));
        assert!(!flags.refuses(live, &[(sku, Quantity::parse(1).unwrap())]));
    }
}
