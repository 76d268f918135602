//! One JSON reader for what the browser decodes. A server function's answer
//! is read from bytes (`serde_json::from_slice`), while leptos' default codec
//! reads a resource's value carried in the page from a string
//! (`serde_json::from_str`): each DTO read both ways had two decoders in the
//! WASM, one per reader. [`Json`] is the pages' resource codec and
//! [`crate::events::parse`] reads the same way, so one decoder per type
//! serves the page's data, the server functions and the live events.
//!
//! Hand-written because it is the ten lines of `codee`'s own JSON codec with
//! the other reader; nothing published reads a string through the slice reader.

use std::future::Future;

use leptos::{
    prelude::Resource,
    server::codee::{Decoder, Encoder},
};
use serde::{de::DeserializeOwned, Serialize};

/// `Resource::new` with [`Json`] as its codec: what every page loads.
#[track_caller]
pub fn resource<T, S, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Resource<T, Json>
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    S: Send + Sync + Clone + PartialEq + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}

/// The JSON codec of the pages' resources: written as leptos writes it, read
/// through the byte reader the server functions use.
pub struct Json;

impl<T: Serialize> Encoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(value: &T) -> Result<String, Self::Error> {
        serde_json::to_string(value)
    }
}

impl<T: DeserializeOwned> Decoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(text: &str) -> Result<T, Self::Error> {
        read(text)
    }
}

/// Reads JSON text through the byte reader (see the module's doc).
pub fn read<T: DeserializeOwned>(text: &str) -> Result<T, serde_json::Error> {
    serde_json::from_slice(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SessionUser;

    #[test]
    fn what_it_writes_it_reads_back() {
        let user: SessionUser = serde_json::from_value(serde_json::json!({
            "user_id": 7, "username": "小王", "role": "streamer"
        }))
        .unwrap();
        let text = <Json as Encoder<SessionUser>>::encode(&user).unwrap();
        let back: SessionUser = <Json as Decoder<SessionUser>>::decode(&text).unwrap();
        assert_eq!(back, user);
        assert!(read::<SessionUser>("{\"user_id\": 7}").is_err());
    }
}
