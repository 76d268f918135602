//! When to re-read the dashboard: a burst of order events becomes at most
//! one read per [`MIN_GAP_MS`] (the last one after the burst), with one read
//! in flight at a time so answers cannot arrive out of order.

// Only the browser re-reads the dashboard; the server build keeps this for its tests.
#![cfg_attr(not(feature = "hydrate"), allow(dead_code))]

/// The shortest time between two dashboard reads (at most two a second).
pub const MIN_GAP_MS: i64 = 500;

/// How often the dashboard is re-read with no event at all.
pub const REFRESH_EVERY_MS: i64 = 5_000;

/// What to do about a request to re-read the dashboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Read now.
    Fetch,
    /// Ask again (call [`Throttle::timer_fired`]) after this many milliseconds.
    WaitMs(i64),
    /// Nothing: a read already planned covers this request.
    Nothing,
}

/// Coalesces re-read requests: one read in flight at a time (so answers
/// cannot arrive out of order), reads at least [`MIN_GAP_MS`] apart, and a
/// request that arrives during a read gets a read after it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Throttle {
    last_start_ms: Option<i64>,
    in_flight: bool,
    timer_set: bool,
    /// A request arrived while a read was in flight: it may have missed it.
    pending: bool,
}

impl Throttle {
    /// Something changed (an event, the periodic tick).
    pub fn request(&mut self, now_ms: i64) -> Step {
        if self.in_flight {
            self.pending = true;
            return Step::Nothing;
        }
        if self.timer_set {
            return Step::Nothing;
        }
        match self.last_start_ms {
            Some(last) if now_ms - last < MIN_GAP_MS => {
                self.timer_set = true;
                Step::WaitMs(last + MIN_GAP_MS - now_ms)
            }
            _ => self.start(now_ms),
        }
    }

    /// The wait [`Step::WaitMs`] asked for is over.
    pub fn timer_fired(&mut self, now_ms: i64) -> Step {
        self.timer_set = false;
        self.request(now_ms)
    }

    /// The read answered (or failed).
    pub fn finished(&mut self, now_ms: i64) -> Step {
        self.in_flight = false;
        if std::mem::take(&mut self.pending) {
            self.request(now_ms)
        } else {
            Step::Nothing
        }
    }

    fn start(&mut self, now_ms: i64) -> Step {
        self.in_flight = true;
        self.last_start_ms = Some(now_ms);
        Step::Fetch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_request_reads_at_once() {
        let mut throttle = Throttle::default();
        assert_eq!(throttle.request(1_000), Step::Fetch);
    }

    #[test]
    fn a_burst_during_a_read_becomes_one_read_after_it() {
        let mut throttle = Throttle::default();
        assert_eq!(throttle.request(0), Step::Fetch);
        for t in [10, 20, 30, 40] {
            assert_eq!(throttle.request(t), Step::Nothing, "no second read while one is in flight");
        }
        // The read answered quickly: the next one waits out the gap.
        assert_eq!(throttle.finished(100), Step::WaitMs(400));
        assert_eq!(throttle.request(200), Step::Nothing, "the planned read covers it");
        assert_eq!(throttle.timer_fired(500), Step::Fetch);
        assert_eq!(throttle.finished(600), Step::Nothing, "nothing arrived during the second read");
    }

    #[test]
    fn reads_are_never_closer_than_the_gap_and_a_slow_read_is_followed_at_once() {
        let mut throttle = Throttle::default();
        assert_eq!(throttle.request(0), Step::Fetch);
        assert_eq!(throttle.finished(50), Step::Nothing);
        assert_eq!(throttle.request(300), Step::WaitMs(200));
        assert_eq!(throttle.timer_fired(500), Step::Fetch);
        assert_eq!(throttle.request(700), Step::Nothing);
        // This read took 900 ms: the gap is long over, read again now.
        assert_eq!(throttle.finished(1_400), Step::Fetch);
    }

    #[test]
    fn a_quiet_stream_reads_on_each_tick() {
        let mut throttle = Throttle::default();
        for t in [0, 5_000, 10_000] {
            assert_eq!(throttle.request(t), Step::Fetch);
            assert_eq!(throttle.finished(t + 80), Step::Nothing);
        }
    }
}
