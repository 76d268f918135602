//! Prometheus metrics, one registry per running application: the request
//! counts and latencies `http` records, and the domain's own figures (what
//! the stock reconciler corrected, analytics fields dropped, beacons ignored,
//! orders by outcome, the statistics' catch-ups and view refreshes, the event
//! backlogs).
//! Served as text on `GET /metrics`.

use std::sync::Arc;

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use crate::links::{AnalyticsField, AnalyticsSource, IgnoredBeacon};

pub struct Metrics {
    registry: Registry,
    /// HTTP requests answered, by method, route and status.
    pub requests: IntCounterVec,
    /// HTTP latency by method and route.
    pub latency: HistogramVec,
    /// Units of gate stock the reconciler moved to match Postgres (absolute).
    pub stock_drift_corrected: IntCounter,
    /// Analytics fields (tracking code, trace id) dropped from an order or a
    /// beacon because they were malformed, by source and field.
    pub analytics_fields_dropped: IntCounterVec,
    /// Click/view beacons answered 204 but not counted, by reason.
    pub beacons_ignored: IntCounterVec,
    pub orders_placed: IntCounter,
    pub orders_sold_out: IntCounter,
    pub orders_paid: IntCounter,
    pub orders_expired: IntCounter,
    pub orders_cancelled: IntCounter,
    /// Committed orders the statistics reconciler counted because their event never arrived.
    pub stats_catch_ups: IntCounter,
    /// How long a refresh of `live_goods_sales` took.
    pub view_refresh_seconds: Histogram,
    /// Entries of a stream not yet delivered to a consumer group, by stream and group.
    pub stream_lag: IntGaugeVec,
    /// Failed order-event publishes waiting for a retry, or dead.
    pub fail_log_backlog: IntGaugeVec,
    /// Dead letters not yet replayed.
    pub dead_letters: IntGauge,
}

fn counter(registry: &Registry, name: &str, help: &str) -> IntCounter {
    registered(registry, IntCounter::new(name, help).expect("valid metric"))
}

fn registered<M: prometheus::core::Collector + Clone + 'static>(registry: &Registry, metric: M) -> M {
    registry.register(Box::new(metric.clone())).expect("each metric is registered once");
    metric
}

impl Metrics {
    pub fn new() -> Arc<Self> {
        let registry = Registry::new();
        let r = &registry;
        let requests = registered(
            r,
            IntCounterVec::new(
                Opts::new("http_requests_total", "HTTP requests answered, by route, method and status"),
                &["method", "route", "status"],
            )
            .expect("valid metric"),
        );
        let latency = registered(
            r,
            HistogramVec::new(
                HistogramOpts::new("http_request_duration_seconds", "HTTP request latency, by route and method")
                    .buckets(vec![0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0]),
                &["method", "route"],
            )
            .expect("valid metric"),
        );
        let stock_drift_corrected = registered(
            r,
            IntCounter::new(
                "stock_drift_corrected_total",
                "Units of gate stock the reconciler corrected to match Postgres",
            )
            .expect("valid metric"),
        );
        let analytics_fields_dropped = registered(
            r,
            IntCounterVec::new(
                Opts::new(
                    "analytics_fields_dropped_total",
                    "Malformed tracking codes or trace ids dropped, by source and field",
                ),
                &["source", "field"],
            )
            .expect("valid metric"),
        );
        let beacons_ignored = registered(
            r,
            IntCounterVec::new(
                Opts::new("funnel_beacons_ignored_total", "Click/view beacons answered but not counted, by reason"),
                &["reason"],
            )
            .expect("valid metric"),
        );
        let view_refresh_seconds = registered(
            r,
            Histogram::with_opts(
                HistogramOpts::new("live_goods_sales_refresh_seconds", "Duration of a live_goods_sales refresh")
                    .buckets(vec![0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0]),
            )
            .expect("valid metric"),
        );
        let stream_lag = registered(
            r,
            IntGaugeVec::new(
                Opts::new("stream_consumer_lag", "Stream entries not yet delivered to a consumer group"),
                &["stream", "group"],
            )
            .expect("valid metric"),
        );
        let fail_log_backlog = registered(
            r,
            IntGaugeVec::new(
                Opts::new("order_sync_fail_log_backlog", "Failed order-event publishes by state (pending, dead)"),
                &["state"],
            )
            .expect("valid metric"),
        );
        let dead_letters = registered(
            r,
            IntGauge::new("dead_letters_waiting", "Dead letters not yet replayed").expect("valid metric"),
        );
        Arc::new(Self {
            orders_placed: counter(r, "orders_placed_total", "Orders committed"),
            orders_sold_out: counter(r, "orders_sold_out_total", "Order attempts answered sold out"),
            orders_paid: counter(r, "orders_paid_total", "Orders paid (provider confirmed)"),
            orders_expired: counter(r, "orders_expired_total", "Unpaid orders expired, their stock returned"),
            orders_cancelled: counter(r, "orders_cancelled_total", "Unpaid orders cancelled by their buyer"),
            stats_catch_ups: counter(
                r,
                "stats_reconciler_catch_ups_total",
                "Committed orders counted by the statistics reconciler because their event never arrived",
            ),
            registry,
            requests,
            latency,
            stock_drift_corrected,
            analytics_fields_dropped,
            beacons_ignored,
            view_refresh_seconds,
            stream_lag,
            fail_log_backlog,
            dead_letters,
        })
    }

    /// Counts the analytics fields `source` carried malformed (and dropped).
    pub fn count_dropped(&self, source: AnalyticsSource, fields: &[AnalyticsField]) {
        for field in fields {
            self.analytics_fields_dropped.with_label_values(&[source.as_str(), field.as_str()]).inc();
        }
    }

    /// Counts a beacon answered but not recorded.
    pub fn beacon_ignored(&self, reason: IgnoredBeacon) {
        self.beacons_ignored.with_label_values(&[reason.as_str()]).inc();
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buf).expect("text encoding");
        String::from_utf8(buf).unwrap_or_default()
    }
}
