//! Accounts: registration and sign-in with argon2-hashed passwords, sessions
//! shared by the browser cookie and the apps' bearer token, roles, and the
//! anti-abuse limits on sign-in.

pub mod accounts;
pub mod password;
pub mod rate_limit;
pub mod session;

pub use accounts::Accounts;
