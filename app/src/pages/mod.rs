//! One module per page.

pub mod console;
pub mod console_room;
pub mod goods;
pub mod home;
pub mod lazy;
pub mod login;
pub mod not_found;
pub mod orders;
pub mod room;
