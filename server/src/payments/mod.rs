//! Payment, the last step of the source's chain (click → view → order →
//! payment). An unpaid order is handed to a payment provider ([`provider`]:
//! the trait every provider implements); the provider confirms
//! asynchronously through a signed callback, as real providers do, and the
//! callback settles the payment ([`settle`]): the order becomes `paid` once,
//! however often the callback comes, and a forged one changes nothing.
//!
//! The built-in provider is a local sandbox ([`sandbox`]): no real money;
//! it confirms within a second by posting its signed callback to this server.
//! Its signing secret is shared by every process ([`secret`]).

mod pay;
mod provider;
mod sandbox;
mod secret;
mod settle;

pub use pay::Payments;
pub use sandbox::{Confirmer, SandboxProvider, SIGNATURE_HEADER};
pub use secret::shared_secret;
pub use settle::Settled;
