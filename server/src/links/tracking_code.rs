//! Tracking codes: minted by the server per binding (the source's
//! `live_tracking_code`), carried by every deep link and order from that card.

use std::fmt;

use rand::{distributions::Alphanumeric, Rng};

const LEN: usize = 12;

/// A binding's tracking code: URL-safe and unguessable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackingCode(String);

impl TrackingCode {
    /// A fresh code.
    pub fn mint() -> Self {
        Self(rand::thread_rng().sample_iter(&Alphanumeric).take(LEN).map(char::from).collect())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TrackingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_url_safe_and_distinct() {
        let (a, b) = (TrackingCode::mint(), TrackingCode::mint());
        assert_eq!(a.as_str().len(), LEN);
        assert!(a.as_str().chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }
}
