//! Statistics of what a room sells, fed by the order stream: the
//! `LiveOrderStatisticProcessor` consumer group ([`processor`]).

mod processor;

pub use processor::LiveOrderStatisticProcessor;
