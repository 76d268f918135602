//! The caps on open event streams: at most `LIVE_SSE_MAX_CONNECTIONS` in this
//! process and `LIVE_SSE_MAX_PER_ADDRESS` from one client address; past either
//! a stream is refused with 429 `rate_limited`. A stream's slot is held by its
//! response body and freed when the connection closes. The per-address cap is
//! generous by default: a carrier-grade NAT puts hundreds of one room's
//! viewers behind one address.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex, MutexGuard},
};

/// The open event streams of this process.
pub struct EventSlots {
    max_total: usize,
    max_per_address: usize,
    open: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
}

/// Which cap refused a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Full {
    Process,
    Address,
}

/// One open stream's slot, freed on drop.
pub struct Slot {
    slots: Arc<EventSlots>,
    address: IpAddr,
}

impl EventSlots {
    pub fn new(max_total: usize, max_per_address: usize) -> Arc<Self> {
        Arc::new(Self { max_total, max_per_address, open: Mutex::default() })
    }

    fn open(&self) -> MutexGuard<'_, Open> {
        // Every change under the lock is a pair of counter updates done together.
        self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Takes a slot for a stream from `address`, unless a cap is reached.
    pub fn take(self: &Arc<Self>, address: IpAddr) -> Result<Slot, Full> {
        let mut open = self.open();
        if open.total >= self.max_total {
            return Err(Full::Process);
        }
        let from_address = open.by_address.entry(address).or_default();
        if *from_address >= self.max_per_address {
            return Err(Full::Address);
        }
        *from_address += 1;
        open.total += 1;
        Ok(Slot { slots: self.clone(), address })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.slots.open();
        open.total -= 1;
        if let Some(count) = open.by_address.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                open.by_address.remove(&self.address);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, last])
    }

    #[test]
    fn each_cap_refuses_past_its_value_and_a_dropped_slot_frees_its_place() {
        let slots = EventSlots::new(3, 2);
        let a1 = slots.take(ip(2)).unwrap();
        let _a2 = slots.take(ip(2)).unwrap();
        assert_eq!(slots.take(ip(2)).err(), Some(Full::Address));
        let _b1 = slots.take(ip(3)).unwrap();
        assert_eq!(slots.take(ip(4)).err(), Some(Full::Process));
        drop(a1);
        assert!(slots.take(ip(2)).is_ok());
        assert!(slots.open().by_address.len() <= 2, "no address is kept once its streams closed");
    }
}
