//! The analytics fields an order or a beacon carries (the binding's tracking
//! code and the tap's trace id), checked leniently: a malformed field is
//! dropped and counted, never a reason to refuse an order.

use app::deep_link::{valid_trace_id, valid_tracking_code};

/// One of the analytics fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnalyticsField {
    /// Server-minted per binding: `[A-Za-z0-9_-]{1,64}`.
    TrackingCode,
    /// Minted by the client's tracer (W3C, SkyWalking, UUID ...).
    TraceId,
}

impl AnalyticsField {
    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            AnalyticsField::TrackingCode => "tracking_code",
            AnalyticsField::TraceId => "trace_id",
        }
    }

    fn is_valid(self, value: &str) -> bool {
        match self {
            AnalyticsField::TrackingCode => valid_tracking_code(value),
            AnalyticsField::TraceId => valid_trace_id(value),
        }
    }

    /// The value when it is well-formed, `None` when it is absent or blank,
    /// and `Err(self)` when it is there but malformed.
    pub fn check(self, value: Option<String>) -> Result<Option<String>, AnalyticsField> {
        match value {
            Some(v) if v.trim().is_empty() => Ok(None),
            Some(v) if self.is_valid(&v) => Ok(Some(v)),
            Some(_) => Err(self),
            None => Ok(None),
        }
    }

    /// [`check`](Self::check), noting a malformed field in `dropped`.
    pub fn keep(self, value: Option<String>, dropped: &mut Vec<AnalyticsField>) -> Option<String> {
        self.check(value).unwrap_or_else(|field| {
            dropped.push(field);
            None
        })
    }
}

/// Where a dropped field came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnalyticsSource {
    Order,
    Beacon,
}

impl AnalyticsSource {
    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            AnalyticsSource::Order => "order",
            AnalyticsSource::Beacon => "beacon",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_field_is_dropped_and_noted_and_a_blank_one_is_simply_absent() {
        let mut dropped = Vec::new();
        let skywalking = Some("2a1b3c4d.61.17326963541230001".to_owned());
        assert_eq!(AnalyticsField::TraceId.keep(skywalking.clone(), &mut dropped), skywalking);
        assert_eq!(AnalyticsField::TraceId.keep(Some(" ".into()), &mut dropped), None);
        assert_eq!(AnalyticsField::TraceId.keep(None, &mut dropped), None);
        assert!(dropped.is_empty());
        assert_eq!(AnalyticsField::TrackingCode.keep(Some("a.b".into()), &mut dropped), None);
        assert_eq!(AnalyticsField::TraceId.keep(Some("<script>".into()), &mut dropped), None);
        assert_eq!(dropped, [AnalyticsField::TrackingCode, AnalyticsField::TraceId]);
    }
}
