//! The process-local sold-out flag: once the gate's counter for a SKU in a
//! room reads zero, this process answers further orders for it with
//! `sold_out` without asking Redis's counter or Postgres, for at most
//! [`FLAG_TTL`]. The flag is dropped at once in this process when it gives
//! stock back (a release, a reconcile), and lives no longer than `FLAG_TTL`
//! anywhere, so every counter increase — in any process: a cancel, an
//! expiry, a restock, the sweeper — is heard within a second.

use std::time::Duration;

use app::ids::{LiveId, SkuId};
use moka::sync::Cache;

/// How long a sold-out verdict is believed without asking the gate again.
pub const FLAG_TTL: Duration = Duration::from_secs(1);
/// Bounds the memory a flood of distinct SKUs can take.
const MAX_FLAGS: u64 = 100_000;

pub struct SoldOutFlags(Cache<(LiveId, SkuId), ()>);

impl Default for SoldOutFlags {
    fn default() -> Self {
        Self(Cache::builder().max_capacity(MAX_FLAGS).time_to_live(FLAG_TTL).build())
    }
}

impl SoldOutFlags {
    /// The gate said this SKU has nothing left.
    pub fn raise(&self, live_id: LiveId, sku_id: SkuId) {
        self.0.insert((live_id, sku_id), ());
    }

    /// Whether any of these SKUs is flagged sold out in the room.
    pub fn any(&self, live_id: LiveId, skus: impl IntoIterator<Item = SkuId>) -> bool {
        skus.into_iter().any(|sku| self.0.contains_key(&(live_id, sku)))
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
        flags.raise(live, sku);
        assert!(flags.any(live, [other_sku, sku]));
        assert!(!flags.any(other_live, [sku]));
        flags.lower(live, Some(&[sku]));
        assert!(!flags.any(live, [sku]));
        flags.raise(live, sku);
        flags.raise(other_live, other_sku);
        flags.lower(live, None);
        assert!(!flags.any(live, [sku]));
        assert!(flags.any(other_live, [other_sku]), "another room's flag stays");
    }

    #[test]
    fn a_flag_expires_within_its_ttl() {
        let flags = SoldOutFlags::default();
        let (live, sku) = ids(1, 7);
        flags.raise(live, sku);
        std::thread::sleep(FLAG_TTL + Duration::from_millis(50));
        assert!(!flags.any(live, [sku]));
    }
}
