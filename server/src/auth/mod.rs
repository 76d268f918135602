//! Accounts: registration and sign-in with argon2-hashed passwords
//! ([`password`]), sessions shared by the browser cookie and the apps' bearer
//! token ([`session`]), and the anti-abuse limits ([`rate_limit`]).

mod accounts;
mod password;
mod rate_limit;
mod session;

pub use accounts::Accounts;
pub use password::hash as hash_password;
pub use rate_limit::{RateLimiter, BEACONS_PER_ADDRESS, ORDERS_PER_ACCOUNT};
pub use session::TTL_DAYS as SESSION_TTL_DAYS;
