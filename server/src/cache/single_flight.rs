//! One lock per key, so that concurrent cache misses on the same key load it
//! once: the first caller loads, the others wait and then find it cached.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::{Arc, Mutex},
};

use tokio::sync::OwnedMutexGuard;

pub struct KeyedLocks<K> {
    locks: Mutex<HashMap<K, Arc<tokio::sync::Mutex<()>>>>,
}

impl<K> Default for KeyedLocks<K> {
    fn default() -> Self {
        Self { locks: Mutex::new(HashMap::new()) }
    }
}

/// Held while loading; releases the key's lock (and forgets it when unused) on drop.
pub struct KeyGuard<'a, K: Eq + Hash + Clone> {
    owner: &'a KeyedLocks<K>,
    key: K,
    guard: Option<OwnedMutexGuard<()>>,
}

impl<K: Eq + Hash + Clone> KeyedLocks<K> {
    pub async fn lock(&self, key: K) -> KeyGuard<'_, K> {
        let lock = self.locks.lock().expect("lock poisoned").entry(key.clone()).or_default().clone();
        let guard = lock.lock_owned().await;
        KeyGuard { owner: self, key, guard: Some(guard) }
    }
}

impl<K: Eq + Hash + Clone> Drop for KeyGuard<'_, K> {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut locks = self.owner.locks.lock().expect("lock poisoned");
        if locks.get(&self.key).is_some_and(|l| Arc::strong_count(l) == 1) {
            locks.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_key_is_held_by_one_caller_at_a_time_and_forgotten_after() {
        let locks = KeyedLocks::<u32>::default();
        let first = locks.lock(1).await;
        let other_key = tokio::time::timeout(std::time::Duration::from_millis(50), locks.lock(2)).await;
        assert!(other_key.is_ok(), "other keys are independent");
        drop(other_key);
        let same_key = tokio::time::timeout(std::time::Duration::from_millis(50), locks.lock(1)).await;
        assert!(same_key.is_err(), "the same key waits");
        drop(first);
        assert!(locks.locks.lock().unwrap().is_empty());
    }
}
