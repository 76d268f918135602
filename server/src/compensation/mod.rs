//! Compensation: what makes a failure lose nothing. Level 1 (releasing a hold
//! the moment its attempt fails) lives in the order path; here are the
//! background loops, each safe in several processes at once: the fail-log
//! retrier ([`fail_log`], level 2) and the [`sweeper`] of attempts that died
//! half-way. Reconciling the gate with the record is `stock`'s.

mod fail_log;
mod sweeper;

pub use fail_log::{failures_of, publish_or_log, retry_now, Retrier};
pub use sweeper::{sweep, Sweeper};
