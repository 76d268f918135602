//! Starting the server: configuration from the environment ([`config`]), the
//! Postgres pool and migrations ([`db`]), the Redis client and every key name
//! ([`redis`]), demo data ([`demo`]), logging ([`telemetry`]), the background
//! loop helper ([`worker`]), the shared [`state`], and [`application`], which
//! wires it all and serves. [`commands`] are the command-line tasks.

pub mod application;
pub mod commands;
pub mod config;
pub mod db;
pub mod demo;
pub mod redis;
pub mod state;
pub mod telemetry;
pub mod worker;
