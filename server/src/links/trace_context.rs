//! The link's trace id as an OpenTelemetry trace (S7): every step of the
//! chain click → view → order → payment runs in a span whose parent is the
//! trace the link's `trace_id` names, so a collector shows them as one trace.
//! A W3C id (the 32 hex digits the `DeepLinkRouter` mints, or a whole
//! `traceparent`) is the OTLP trace id itself; any other id (SkyWalking's
//! `segment.thread.timestamp`, a UUID) is hashed into one. The id as sent is
//! kept on the span as `live.trace_id` either way.

use opentelemetry::{
    trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState},
    Context,
};
use sha2::{Digest, Sha256};
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The OTLP trace id a link's trace id stands for.
pub fn otel_trace_id(trace_id: &str) -> TraceId {
    w3c_trace_id(trace_id).unwrap_or_else(|| {
        let digest = Sha256::digest(trace_id.as_bytes());
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        TraceId::from_bytes(bytes)
    })
}

/// 32 hex digits, alone or as the trace-id field of a `traceparent`.
fn w3c_trace_id(value: &str) -> Option<TraceId> {
    let hex = match value.split('-').collect::<Vec<_>>().as_slice() {
        [hex] => *hex,
        ["00", hex, span, flags] if span.len() == 16 && flags.len() == 2 => *hex,
        _ => return None,
    };
    let valid = hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    let id = TraceId::from_hex(&hex.to_ascii_lowercase()).ok().filter(|_| valid)?;
    (id != TraceId::INVALID).then_some(id)
}

/// The remote parent every span of the link's chain hangs from.
fn parent(trace_id: &str) -> Context {
    let digest = Sha256::digest(format!("span:{trace_id}").as_bytes());
    let mut span = [0u8; 8];
    span.copy_from_slice(&digest[..8]);
    let remote = SpanContext::new(
        otel_trace_id(trace_id),
        SpanId::from_bytes(span),
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    );
    Context::new().with_remote_span_context(remote)
}

/// The caller's trace from a W3C `traceparent` header (its own parent span),
/// if the header is well-formed.
pub fn from_traceparent(header: &str) -> Option<Context> {
    use opentelemetry::propagation::TextMapPropagator;
    let carrier = std::collections::HashMap::from([("traceparent".to_owned(), header.to_owned())]);
    let context = opentelemetry_sdk::propagation::TraceContextPropagator::new().extract(&carrier);
    context.span().span_context().is_valid().then_some(context)
}

/// A span for one step of the chain, in the link's trace when there is one
/// (else in whatever trace the current span is). Enter it (or instrument the
/// step's future with it) after this returns, not before: the parent is set
/// before the span starts.
pub fn chain_span(step: &'static str, trace_id: Option<&str>) -> Span {
    let span = tracing::info_span!("chain", otel.name = step, live.trace_id = tracing::field::Empty);
    if let Some(trace_id) = trace_id {
        span.record("live.trace_id", trace_id);
        // Without the OpenTelemetry layer (no exporter configured) there is
        // nothing to attach to; the log lines still carry the id.
        let _ = span.set_parent(parent(trace_id));
    }
    span
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_w3c_id_is_the_trace_id_itself_and_any_other_is_hashed_the_same_way_every_time() {
        let w3c = "4bf92f3577b34da6a3ce929d0e0e4736";
        assert_eq!(otel_trace_id(w3c).to_string(), w3c);
        assert_eq!(otel_trace_id(&format!("00-{w3c}-00f067aa0ba902b7-01")).to_string(), w3c);
        let skywalking = "a1b2c3.45.16700000000001";
        assert_eq!(otel_trace_id(skywalking), otel_trace_id(skywalking));
        assert_ne!(otel_trace_id(skywalking), otel_trace_id("another.1.2"));
        assert_ne!(otel_trace_id(&"0".repeat(32)), TraceId::INVALID, "the all-zero id is not a trace; it is hashed");
    }

    #[test]
    fn a_traceparent_header_names_its_trace_and_a_malformed_one_none() {
        let header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let context = from_traceparent(header).unwrap();
        assert_eq!(context.span().span_context().trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert!(from_traceparent("00-nope-01").is_none());
    }
}
