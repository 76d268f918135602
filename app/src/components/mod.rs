//! Reusable pieces of the pages.

pub mod countdown;
pub mod dashboard;
pub mod dead_letters;
pub mod goods_card;
pub mod in_app;
pub mod notice;
pub mod order_actions;
pub mod order_status;
pub mod page_title;
pub mod player;
pub mod reason_text;
pub mod topbar;
