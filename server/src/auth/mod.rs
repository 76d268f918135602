//! Accounts: registration and sign-in with argon2-hashed passwords
//! ([`password`]), sessions shared by the browser cookie and the apps' bearer
//! token ([`session`]), the anti-abuse limits and quotas ([`rate_limit`]),
//! and who may run the global operations ([`operators`]).

mod accounts;
mod operators;
mod password;
mod rate_limit;
mod session;

pub use accounts::Accounts;
pub use operators::Operators;
pub use password::hash as hash_password;
pub use rate_limit::{Limit, RateLimiter, GOODS_PER_ACCOUNT, ORDERS_PER_ACCOUNT, ROOMS_PER_ACCOUNT};
pub use session::TTL_DAYS as SESSION_TTL_DAYS;
