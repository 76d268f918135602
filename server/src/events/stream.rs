//! The two Redis Streams and the shape of their entries, encoded and decoded
//! here only: `event_id` (the outbox id, the same however often the entry is
//! published), `type`, `live_id` and `payload` (JSON).

use app::{
    events::{DecodeError, OrderEvent, RoomEvent},
    ids::LiveId,
};
use redis::streams::StreamId;

/// Which Redis Stream an event goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Goods bound, unbound, reordered, explained, stock and sale changes.
    Room,
    /// Orders created.
    Orders,
}

impl Stream {
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Room => "room",
            Stream::Orders => "orders",
        }
    }

    /// The name the outbox's `stream` column holds; anything else is a bug in a migration.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "room" => Some(Stream::Room),
            "orders" => Some(Stream::Orders),
            _ => None,
        }
    }
}

/// Streams are trimmed to about this many entries; consumers are far behind
/// only when something is broken, and the outbox stays the record.
pub const STREAM_MAXLEN: usize = 100_000;

/// One stream entry, its payload still text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub event_id: i64,
    pub kind: String,
    pub live_id: LiveId,
    pub payload: String,
}

impl Entry {
    /// The fields `XADD` writes.
    pub fn fields(&self) -> [(&'static str, String); 4] {
        [
            ("event_id", self.event_id.to_string()),
            ("type", self.kind.clone()),
            ("live_id", self.live_id.to_string()),
            ("payload", self.payload.clone()),
        ]
    }

    /// Reads an entry; `None` when a field is missing or malformed.
    pub fn read(entry: &StreamId) -> Option<Self> {
        let text = |field: &str| entry.get::<String>(field);
        Some(Self {
            event_id: text("event_id")?.parse().ok()?,
            kind: text("type")?,
            live_id: text("live_id")?.parse().ok()?,
            payload: text("payload")?,
        })
    }

    /// Appends `XADD stream MAXLEN ~ STREAM_MAXLEN * fields` to a pipeline.
    pub fn add_to(&self, pipe: &mut redis::Pipeline, stream_key: &str) {
        pipe.xadd_maxlen(stream_key, redis::streams::StreamMaxlen::Approx(STREAM_MAXLEN), "*", &self.fields());
    }
}

/// An event that travels on one of the streams.
pub trait StreamEvent: Sized + Send + Sync + 'static {
    const STREAM: Stream;
    fn kind_name(&self) -> &'static str;
    fn payload_json(&self) -> String;
    fn decode(kind: &str, payload: &str) -> Result<Self, DecodeError>;
}

impl StreamEvent for RoomEvent {
    const STREAM: Stream = Stream::Room;
    fn kind_name(&self) -> &'static str {
        self.kind().as_str()
    }
    fn payload_json(&self) -> String {
        RoomEvent::payload_json(self)
    }
    fn decode(kind: &str, payload: &str) -> Result<Self, DecodeError> {
        RoomEvent::decode(kind, payload)
    }
}

impl StreamEvent for OrderEvent {
    const STREAM: Stream = Stream::Orders;
    fn kind_name(&self) -> &'static str {
        self.kind().as_str()
    }
    fn payload_json(&self) -> String {
        OrderEvent::payload_json(self)
    }
    fn decode(kind: &str, payload: &str) -> Result<Self, DecodeError> {
        OrderEvent::decode(kind, payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_reads_back_what_it_wrote() {
        let entry = Entry { event_id: 7, kind: "stock".into(), live_id: LiveId::new(3).unwrap(), payload: "{}".into() };
        let written = StreamId {
            id: "1-0".into(),
            map: entry.fields().into_iter().map(|(k, v)| (k.to_owned(), redis::Value::BulkString(v.into()))).collect(),
            ..Default::default()
        };
        assert_eq!(Entry::read(&written), Some(entry));
    }
}
