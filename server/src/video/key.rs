//! Stream keys. A key is `{live_id}?key={secret}`: the part before `?` is
//! the RTMP stream name, which names the room's HLS folder, so the secret
//! never appears in a viewer's URL. Only the secret's SHA-256 is kept, the
//! key is shown once, and a new key replaces the old at once.

use app::ids::{LiveId, UserId};
use rand::{distributions::Alphanumeric, Rng};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::{error::Result, rooms::lock_owned_room};

const SECRET_LEN: usize = 40;

/// What an encoder publishes as: the room's id as the stream name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamKeyName(pub LiveId);

impl StreamKeyName {
    /// The stream name nginx reports (`name=`): a room id, nothing else.
    pub fn parse(name: &str) -> Option<Self> {
        if name.is_empty() || name.len() > 19 || !name.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        name.parse::<LiveId>().ok().map(Self)
    }
}

pub(super) fn digest(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Whether `secret` could be one we minted; others are never looked up.
pub(super) fn well_formed(secret: &str) -> bool {
    secret.len() == SECRET_LEN && secret.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Mints a new key for the owner's room; the old one stops working.
/// Returns the whole key, `{live_id}?key={secret}`.
pub async fn rotate(db: &PgPool, owner: UserId, live_id: LiveId) -> Result<String> {
    let secret: String = rand::thread_rng().sample_iter(&Alphanumeric).take(SECRET_LEN).map(char::from).collect();
    let mut tx = db.begin().await?;
    lock_owned_room(&mut tx, live_id, owner).await?;
    sqlx::query("UPDATE live_rooms SET stream_key_digest = $2 WHERE id = $1")
        .bind(live_id.get())
        .bind(digest(&secret))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(format!("{live_id}?key={secret}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_bare_room_id_names_a_stream() {
        assert_eq!(StreamKeyName::parse("42"), Some(StreamKeyName(LiveId::new(42).unwrap())));
        for bad in ["", "0", "-1", "42a", "4 2", "../42", "99999999999999999999", "42?key=x"] {
            assert_eq!(StreamKeyName::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_secret_is_looked_up_only_in_the_shape_we_mint() {
        assert!(well_formed(&"a".repeat(SECRET_LEN)));
        assert!(!well_formed(&"a".repeat(SECRET_LEN - 1)));
        assert!(!well_formed(&format!("{}!", "a".repeat(SECRET_LEN - 1))));
    }
}
