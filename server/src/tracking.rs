//! Tracking codes: minted by the server per binding (the source's
//! `live_tracking_code`), carried by every deep link and order from that card.

use rand::{distributions::Alphanumeric, Rng};

const LEN: usize = 12;

/// A fresh, URL-safe, unguessable code.
pub fn mint() -> String {
    rand::thread_rng().sample_iter(&Alphanumeric).take(LEN).map(char::from).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn codes_are_url_safe_and_distinct() {
        let a = super::mint();
        let b = super::mint();
        assert_eq!(a.len(), super::LEN);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }
}
