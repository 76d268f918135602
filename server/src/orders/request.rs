//! Checking an order request at the edge: item counts and quantities,
//! duplicates, the idempotency key, and the request's fingerprint. The
//! analytics fields (tracking code, trace id) never refuse an order: a
//! malformed one is dropped, and the caller counts it.

use std::sync::OnceLock;

use app::{
    deep_link::SourceType,
    error::{AppError, Reason},
    ids::SkuId,
    model::{OrderItem, OrderRequest},
};
use sha2::{Digest, Sha256};

use super::Quantity;
use crate::links::AnalyticsField;

const MAX_ITEMS: usize = 20;
const MAX_KEY_LEN: usize = 64;

/// A checked request: items as `(sku, quantity)`, in request order; the
/// request keeps only well-formed analytics fields.
#[derive(Clone, Debug)]
pub struct ValidOrder {
    pub request: OrderRequest,
    pub items: Vec<(SkuId, Quantity)>,
    /// Worked out when first asked for: a request refused as sold out never is.
    fingerprint: OnceLock<String>,
    /// The analytics fields the request carried malformed, now dropped.
    pub dropped: Vec<AnalyticsField>,
}

impl ValidOrder {
    pub fn sku_ids(&self) -> Vec<SkuId> {
        self.items.iter().map(|(s, _)| *s).collect()
    }

    /// The request's fingerprint: the SHA-256 of its canonical form (room,
    /// items, analytics fields), hex. The same key must come with the same one.
    pub fn fingerprint(&self) -> &str {
        self.fingerprint.get_or_init(|| {
            let request = &self.request;
            let mut canonical = serde_json::json!({
                "live_id": request.live_id,
                "goods_items": self.items.iter().map(|(s, q)| [s.get(), q.wide()]).collect::<Vec<_>>(),
                "tracking_code": request.tracking_code,
                "trace_id": request.trace_id,
            });
            // Only a replay's source joins the fingerprint, so a live order's
            // fingerprint is what it was before sources existed (keys still in flight).
            if request.source_type == SourceType::Replay {
                canonical["source_type"] = serde_json::json!(request.source_type);
            }
            format!("{:x}", Sha256::digest(canonical.to_string().as_bytes()))
        })
    }
}

/// The client's key for one purchase intent: the same key and body answer the
/// same order however often they are sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: Option<&str>) -> Result<Self, AppError> {
        let key = raw.map(str::trim).unwrap_or_default();
        if key.is_empty() {
            return Err(AppError::BadRequest("the Idempotency-Key header is required".into()));
        }
        if key.len() > MAX_KEY_LEN || key.chars().any(|c| c.is_control()) {
            return Err(AppError::BadRequest("Idempotency-Key must be at most 64 visible characters".into()));
        }
        Ok(Self(key.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub fn validate(mut request: OrderRequest) -> Result<ValidOrder, AppError> {
    if request.goods_items.is_empty() || request.goods_items.len() > MAX_ITEMS {
        return Err(AppError::Invalid(Reason::ItemCount { max: MAX_ITEMS }));
    }
    let mut items: Vec<(SkuId, Quantity)> = Vec::with_capacity(request.goods_items.len());
    for OrderItem { sku_id, quantity } in &request.goods_items {
        let quantity = Quantity::parse(*quantity)?;
        if items.iter().any(|(s, _)| s == sku_id) {
            return Err(AppError::Invalid(Reason::DuplicateSku { sku_id: sku_id.get() }));
        }
        items.push((*sku_id, quantity));
    }
    let mut dropped = Vec::new();
    request.tracking_code = AnalyticsField::TrackingCode.keep(request.tracking_code.take(), &mut dropped);
    request.trace_id = AnalyticsField::TraceId.keep(request.trace_id.take(), &mut dropped);
    Ok(ValidOrder { request, items, fingerprint: OnceLock::new(), dropped })
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::ids::LiveId;

    fn request(items: &[(i64, i64)]) -> OrderRequest {
        OrderRequest {
            live_id: LiveId::new(1).unwrap(),
            goods_items: items
                .iter()
                .map(|(s, q)| OrderItem { sku_id: SkuId::new(*s).unwrap(), quantity: *q })
                .collect(),
            tracking_code: None,
            trace_id: None,
            source_type: SourceType::Live,
        }
    }

    #[test]
    fn quantities_item_counts_and_duplicates_are_checked() {
        assert!(validate(request(&[(1, 1), (2, 99)])).is_ok());
        for bad in [vec![], vec![(1, 0)], vec![(1, 100)], vec![(1, 1), (1, 2)], (1..=21).map(|i| (i, 1)).collect()] {
            assert!(matches!(validate(request(&bad)), Err(AppError::Invalid(_))), "{bad:?}");
        }
    }

    #[test]
    fn the_fingerprint_is_the_same_for_the_same_request_only() {
        let a = validate(request(&[(1, 2)])).unwrap().fingerprint().to_owned();
        assert!(a.len() == 64 && a.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()), "{a}");
        assert_eq!(a, validate(request(&[(1, 2)])).unwrap().fingerprint().to_owned());
        assert_ne!(a, validate(request(&[(1, 3)])).unwrap().fingerprint().to_owned());
        let mut from_replay = request(&[(1, 2)]);
        from_replay.source_type = SourceType::Replay;
        assert_ne!(a, validate(from_replay).unwrap().fingerprint().to_owned());
    }

    #[test]
    fn an_order_keeps_real_tracers_trace_ids_and_drops_malformed_fields_instead_of_refusing() {
        let mut with_trace = request(&[(1, 1)]);
        with_trace.trace_id = Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into());
        with_trace.tracking_code = Some("tc_1".into());
        let valid = validate(with_trace.clone()).unwrap();
        assert_eq!(valid.request.trace_id, with_trace.trace_id);
        assert_eq!(valid.request.tracking_code, with_trace.tracking_code);
        assert!(valid.dropped.is_empty());

        let mut malformed = request(&[(1, 1)]);
        malformed.trace_id = Some("<script>".into());
        malformed.tracking_code = Some("a.b".into());
        let valid = validate(malformed).unwrap();
        assert_eq!((valid.request.trace_id, valid.request.tracking_code), (None, None));
        assert_eq!(valid.dropped, [AnalyticsField::TrackingCode, AnalyticsField::TraceId]);
    }

    #[test]
    fn the_idempotency_key_is_required_and_short() {
        assert!(IdempotencyKey::parse(None).is_err());
        assert!(IdempotencyKey::parse(Some("  ")).is_err());
        assert!(IdempotencyKey::parse(Some(&"k".repeat(65))).is_err());
        assert_eq!(IdempotencyKey::parse(Some("abc-1")).unwrap().as_str(), "abc-1");
    }
}
