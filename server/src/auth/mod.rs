//! Accounts: registration and sign-in with argon2-hashed passwords, hashed a
//! bounded number at a time ([`password`]), sessions shared by the browser
//! cookie and the apps' bearer token ([`session`]), known to each process
//! for up to a minute and dropped everywhere within a second of a sign-out
//! ([`session_cache`]), the anti-abuse limits and
//! quotas: fixed windows ([`rate_limit`]) and the per-(account, address)
//! sign-in lockout ([`lockout`]) that spares the addresses an account signed
//! in from lately ([`own_addresses`]); and who may run the global operations
//! ([`operators`]).

mod accounts;
mod lockout;
mod operators;
mod own_addresses;
mod password;
mod rate_limit;
mod session;
mod session_cache;
mod username;

pub use accounts::Accounts;
pub use lockout::Lockout;
pub use operators::Operators;
pub use password::hash as hash_password;
pub use rate_limit::{
    Limit, RateLimiter, BEACONS_PER_ADDRESS, GOODS_PER_ACCOUNT, ORDERS_PER_ACCOUNT, ROOMS_PER_ACCOUNT,
};
pub use session::TTL_DAYS as SESSION_TTL_DAYS;
