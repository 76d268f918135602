//! Logging and tracing: `tracing` with `RUST_LOG` as the filter, human-readable
//! or JSON lines (`LIVE_LOG_FORMAT=json`, each line with its span's fields, so
//! the order's XID and the link's trace id travel with it), and spans exported
//! over OTLP (HTTP/protobuf) when `OTEL_EXPORTER_OTLP_ENDPOINT` is set; unset,
//! nothing is exported and nothing complains.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::{trace::SdkTracerProvider, Resource};
use tracing_subscriber::{
    filter::{LevelFilter, Targets},
    fmt,
    layer::SubscriberExt,
    util::SubscriberInitExt,
    EnvFilter, Layer,
};

/// Keeps the span exporter of this process; [`Telemetry::shutdown`] flushes it.
pub struct Telemetry(Option<SdkTracerProvider>);

impl Telemetry {
    /// Sends the spans still buffered (at exit).
    pub fn shutdown(self) {
        if let Some(provider) = self.0 {
            if let Err(err) = provider.shutdown() {
                tracing::warn!(error = %err, "spans not flushed at exit");
            }
        }
    }
}

/// Installs the global subscriber once; later calls (tests) are no-ops.
pub fn init() -> Telemetry {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,tower_http=warn,sqlx=warn"));
    let json = std::env::var("LIVE_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let logs = if json {
        fmt::layer().json().with_current_span(true).with_span_list(false).with_filter(filter).boxed()
    } else {
        fmt::layer().with_target(false).with_filter(filter).boxed()
    };
    let provider = match std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT") {
        Ok(endpoint) if !endpoint.trim().is_empty() => exporter(endpoint.trim()),
        _ => None,
    };
    // Spans are exported whatever RUST_LOG says of the logs: this crate's
    // steps and the HTTP requests, not the libraries' internals.
    let span_filter = Targets::new()
        .with_target("server", LevelFilter::INFO)
        .with_target("app", LevelFilter::INFO)
        .with_target("tower_http", LevelFilter::DEBUG);
    let spans = provider
        .as_ref()
        .map(|p| tracing_opentelemetry::layer().with_tracer(p.tracer("live-commerce")).with_filter(span_filter));
    let installed = tracing_subscriber::registry().with(logs).with(spans).try_init().is_ok();
    Telemetry(provider.filter(|_| installed))
}

/// A batch exporter to `{endpoint}/v1/traces`; `None` (logged) if it cannot be built.
fn exporter(endpoint: &str) -> Option<SdkTracerProvider> {
    let built = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(format!("{}/v1/traces", endpoint.trim_end_matches('/')))
        .build();
    match built {
        Ok(exporter) => Some(
            SdkTracerProvider::builder()
                .with_batch_exporter(exporter)
                .with_resource(Resource::builder().with_service_name("live-commerce").build())
                .build(),
        ),
        Err(err) => {
            eprintln!("OTEL_EXPORTER_OTLP_ENDPOINT is set but no exporter could be built: {err}");
            None
        }
    }
}
