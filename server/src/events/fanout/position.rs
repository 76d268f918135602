//! Positions in a room's stream: entry ids (`{ms}-{seq}`), parsed once where a
//! viewer's `Last-Event-ID` enters and compared as numbers; and what the
//! stream says of a position, so one the stream cannot resume from (trimmed
//! away, or never handed out) is told `resync` instead of silence.

use std::fmt;

use redis::aio::ConnectionLike;

use crate::error::Result;

/// A stream entry id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryId {
    ms: u64,
    seq: u64,
}

impl EntryId {
    /// Before every entry: a stream that never had one is at `0-0`.
    pub const ZERO: EntryId = EntryId { ms: 0, seq: 0 };

    /// Reads `{ms}-{seq}` (or `{ms}`); anything else, `$`, `>` or `+` included, is `None`.
    pub fn parse(text: &str) -> Option<Self> {
        let (ms, seq) = text.split_once('-').unwrap_or((text, "0"));
        let number = |part: &str| {
            (!part.is_empty() && part.bytes().all(|b| b.is_ascii_digit())).then(|| part.parse::<u64>().ok()).flatten()
        };
        Some(Self { ms: number(ms)?, seq: number(seq)? })
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// What `XINFO STREAM` tells of a room's stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamBounds {
    /// The oldest entry still kept.
    pub first: Option<EntryId>,
    /// The newest id ever handed out (entries after it are new).
    pub last: EntryId,
    /// Whether entries were ever removed (trimmed) from the stream.
    pub trimmed: bool,
}

impl StreamBounds {
    /// A stream that does not exist (yet, or any more: Redis lost it).
    const ABSENT: StreamBounds = StreamBounds { first: None, last: EntryId::ZERO, trimmed: false };

    pub async fn read(conn: &mut impl ConnectionLike, key: &str) -> Result<Self> {
        let info: std::collections::HashMap<String, redis::Value> =
            match redis::cmd("XINFO").arg("STREAM").arg(key).query_async(conn).await {
                Ok(info) => info,
                Err(err) if err.to_string().contains("no such key") => return Ok(Self::ABSENT),
                Err(err) => return Err(err.into()),
            };
        let number = |field: &str| info.get(field).and_then(|v| redis::from_redis_value_ref::<u64>(v).ok());
        let first = info
            .get("first-entry")
            .and_then(|v| redis::from_redis_value_ref::<Option<(String, redis::Value)>>(v).ok())
            .flatten()
            .and_then(|(id, _)| EntryId::parse(&id));
        let last = info
            .get("last-generated-id")
            .and_then(|v| redis::from_redis_value_ref::<String>(v).ok())
            .and_then(|id| EntryId::parse(&id))
            .unwrap_or(EntryId::ZERO);
        let trimmed = number("entries-added").unwrap_or(0) > number("length").unwrap_or(0);
        Ok(Self { first, last, trimmed })
    }

    /// Whether everything after `position` is still in the stream: it is not
    /// ahead of the newest id, and not before what trimming removed.
    pub fn resumes(&self, position: EntryId) -> bool {
        if position > self.last {
            return false;
        }
        !self.trimmed || self.first.map_or(position == self.last, |first| position >= first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(text: &str) -> EntryId {
        EntryId::parse(text).unwrap()
    }

    #[test]
    fn only_stream_ids_are_accepted_as_resume_points() {
        assert_eq!(id("1700000000000-3").to_string(), "1700000000000-3");
        assert_eq!(id("0-0"), EntryId::ZERO);
        assert_eq!(id("12"), id("12-0"));
        for bad in ["", "-", "abc", "1-2-3", "1700000000000-x", "$", ">", "+", "-1", "99999999999999999999999-0"] {
            assert_eq!(EntryId::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn ids_order_as_numbers_not_as_text() {
        assert!(id("9-0") < id("10-0"));
        assert!(id("10-2") < id("10-10"));
    }

    #[test]
    fn a_position_resumes_unless_it_is_ahead_of_the_stream_or_was_trimmed_away() {
        let untrimmed = StreamBounds { first: Some(id("5-0")), last: id("9-0"), trimmed: false };
        assert!(untrimmed.resumes(EntryId::ZERO), "a page rendered before the first event misses nothing");
        assert!(untrimmed.resumes(id("7-0")));
        assert!(!untrimmed.resumes(id("9-1")), "ahead of the newest id");

        let trimmed = StreamBounds { first: Some(id("5-0")), last: id("9-0"), trimmed: true };
        assert!(trimmed.resumes(id("5-0")));
        assert!(!trimmed.resumes(id("4-0")), "entries after it were trimmed");

        let emptied = StreamBounds { first: None, last: id("9-0"), trimmed: true };
        assert!(emptied.resumes(id("9-0")));
        assert!(!emptied.resumes(id("8-0")));

        assert!(StreamBounds::ABSENT.resumes(EntryId::ZERO));
        assert!(!StreamBounds::ABSENT.resumes(id("3-0")), "Redis lost the stream");
    }
}
