//! Accounts: registration and sign-in with argon2-hashed passwords, hashed a
//! bounded number at a time ([`password`]), sessions shared by the browser
//! cookie and the apps' bearer token ([`session`]), and the anti-abuse limits:
//! fixed windows ([`rate_limit`]) and the per-(account, address) sign-in
//! lockout ([`lockout`]) that spares the addresses an account signed in from
//! lately ([`own_addresses`]).

mod accounts;
mod lockout;
mod own_addresses;
mod password;
mod rate_limit;
mod session;
mod username;

pub use accounts::Accounts;
pub use lockout::Lockout;
pub use password::hash as hash_password;
pub use rate_limit::{RateLimiter, ORDERS_PER_ACCOUNT};
pub use session::TTL_DAYS as SESSION_TTL_DAYS;
