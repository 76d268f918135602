//! Goods: products (SPUs) and their SKUs ([`record`]), and the checks their
//! input passes first ([`input`], with [`text`] for every user-written field
//! of the platform). Stock lives in `stock`.

mod input;
mod record;
pub mod text;

pub use input::Stock;
pub use record::{create, find, owned_by, SkuRow};
