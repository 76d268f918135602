//! Keeps a viewer's room live: an `EventSource` on the room's event stream,
//! resumed from the position the page was rendered at. Stock events update a
//! card in place, unless the card already shows that product's stock at the
//! event's version or a newer one (events may arrive late or twice); binding,
//! unbinding, reordering, explaining and `resync` (the stream could not resume
//! where the browser left off) re-read the room's goods (from the server's
//! cache), so the tray always converges on the record whatever order events
//! arrive in. The browser reconnects by itself, sending `Last-Event-ID`.
//!
//! Which card shows "now explaining" and where the video plays from are the
//! room page's to decide ([`LiveHooks`]): an `explaining` event may wait for
//! the viewer's player to reach the moment it was pressed.

use leptos::prelude::*;

use crate::{
    events::{self, RoomStatusChanged, StockChanged},
    ids::{LiveId, SpuId},
    model::GoodsCard,
};

/// What the room page does with the events that are not about cards.
#[derive(Clone, Copy)]
pub struct LiveHooks {
    /// `explaining`: the product and the stream time it was pressed at.
    pub explaining: Callback<(Option<SpuId>, Option<i64>)>,
    /// `room_status`: the stream started, dropped or ended.
    pub status: Callback<RoomStatusChanged>,
    /// After a `resync`: the product being explained, as re-read.
    pub resynced: Callback<Option<SpuId>>,
}

/// Whether the room's event stream is connected (`data-events` on the room).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connection {
    Connecting,
    Open,
}

impl Connection {
    pub fn as_str(self) -> &'static str {
        match self {
            Connection::Connecting => "connecting",
            Connection::Open => "open",
        }
    }
}

/// What a `stock` event did to the cards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StockApplied {
    /// The product's card shows the new count.
    Updated,
    /// The card already shows this version or a newer one: nothing changed.
    Stale,
    /// No card shows the product, or the payload was unreadable: re-read the goods.
    Unmatched,
}

/// Applies a `stock` event's payload to the cards. An event written before
/// versions existed (`version` 0) applies as it always did.
pub fn apply_stock(cards: &mut [GoodsCard], payload: &str) -> StockApplied {
    let Ok(change) = events::parse::<StockChanged>(payload) else { return StockApplied::Unmatched };
    let mut applied = StockApplied::Unmatched;
    for card in cards.iter_mut().filter(|c| c.spu_id == change.spu_id) {
        if change.version != 0 && change.version <= card.stock_version {
            applied = StockApplied::Stale;
            continue;
        }
        card.stock = change.spu_stock.max(0);
        card.stock_version = change.version.max(card.stock_version);
        applied = StockApplied::Updated;
    }
    applied
}

/// The goods as re-read from the server, each card keeping the count it
/// shows when that is newer than the re-read one (a `stock` event can arrive
/// before the cache it was read from caught up).
pub fn merge_refreshed(current: &[GoodsCard], fresh: Vec<GoodsCard>) -> Vec<GoodsCard> {
    fresh
        .into_iter()
        .map(|mut card| {
            if let Some(shown) =
                current.iter().find(|c| c.spu_id == card.spu_id && c.stock_version > card.stock_version)
            {
                card.stock = shown.stock;
                card.stock_version = shown.stock_version;
            }
            card
        })
        .collect()
}

/// Follows the room's events for as long as the calling component lives.
#[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
pub fn follow_room(
    live_id: LiveId,
    last_event_id: String,
    goods: RwSignal<Vec<GoodsCard>>,
    connection: RwSignal<Connection>,
    hooks: LiveHooks,
) {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use crate::events::RoomEventKind;
        use send_wrapper::SendWrapper;
        use wasm_bindgen::{closure::Closure, JsCast};

        let url = format!("/api/live/{live_id}/events?last_event_id={last_event_id}");
        let Ok(source) = web_sys::EventSource::new(&url) else { return };

        let reread = move |resync: bool| {
            leptos::task::spawn_local(async move {
                if let Ok(Some(view)) = crate::rooms::get_room_view(live_id).await {
                    if resync {
                        hooks.resynced.run(view.goods.iter().find(|c| c.explaining).map(|c| c.spu_id));
                    }
                    goods.update(|cards| *cards = merge_refreshed(cards, view.goods));
                }
            });
        };
        let refresh = move || reread(false);
        let on_stock = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            let data = e.data().as_string().unwrap_or_default();
            let mut applied = StockApplied::Unmatched;
            goods.update(|cards| applied = apply_stock(cards, &data));
            if applied == StockApplied::Unmatched {
                refresh();
            }
        });
        let on_change = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            let kind = e.type_();
            let data = e.data().as_string().unwrap_or_default();
            // Only these two payloads are read; any other change re-reads the goods.
            if kind == RoomEventKind::Explaining.as_str() {
                if let Ok(mark) = events::parse::<events::Explaining>(&data) {
                    hooks.explaining.run((mark.spu_id, mark.stream_time_ms));
                }
            } else if kind == RoomEventKind::RoomStatus.as_str() {
                if let Ok(change) = events::parse::<RoomStatusChanged>(&data) {
                    hooks.status.run(change);
                    return;
                }
            }
            reread(kind == RoomEventKind::Resync.as_str());
        });
        let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| connection.set(Connection::Open));
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| connection.set(Connection::Connecting));
        for kind in RoomEventKind::ALL {
            let listener = match kind {
                RoomEventKind::Stock => &on_stock,
                // The owner's order notices change no card.
                RoomEventKind::Order
                | RoomEventKind::OrderPaid
                | RoomEventKind::OrderExpired
                | RoomEventKind::OrderCancelled => continue,
                RoomEventKind::GoodsBound
                | RoomEventKind::GoodsUnbound
                | RoomEventKind::GoodsReordered
                | RoomEventKind::Explaining
                | RoomEventKind::Sale
                | RoomEventKind::RoomStatus
                | RoomEventKind::Resync => &on_change,
            };
            let _ = source.add_event_listener_with_callback(kind.as_str(), listener.as_ref().unchecked_ref());
        }
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));

        let held = SendWrapper::new((source, on_stock, on_change, on_open, on_error));
        on_cleanup(move || held.0.close());
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::SpuId;

    fn card(spu: i64, stock: i64) -> GoodsCard {
        versioned(spu, stock, 0)
    }

    fn versioned(spu: i64, stock: i64, stock_version: i64) -> GoodsCard {
        GoodsCard {
            sale_starts_at_ms: None,
            per_user_limit: None,
            spu_id: SpuId::new(spu).unwrap(),
            title: "t".into(),
            cover_url: None,
            price_cents: 100,
            stock,
            stock_version,
            stock_snapshot: stock,
            explaining: false,
            tracking_code: "code".into(),
            position: 0,
        }
    }

    #[test]
    fn a_stock_event_updates_the_product_total_on_its_card() {
        let mut cards = vec![card(1, 10), card(2, 5)];
        let applied = apply_stock(&mut cards, r#"{"spu_id":2,"sku_id":9,"stock":1,"spu_stock":3,"version":1}"#);
        assert_eq!(applied, StockApplied::Updated);
        assert_eq!((cards[0].stock, cards[1].stock), (10, 3));
        assert_eq!(cards[1].stock_version, 1);
    }

    #[test]
    fn a_stock_event_for_an_unknown_card_or_garbage_changes_nothing() {
        let mut cards = vec![card(1, 10)];
        let unknown = apply_stock(&mut cards, r#"{"spu_id":7,"sku_id":9,"stock":1,"spu_stock":3,"version":1}"#);
        assert_eq!(unknown, StockApplied::Unmatched);
        assert_eq!(apply_stock(&mut cards, "not json"), StockApplied::Unmatched);
        assert_eq!(cards[0].stock, 10);
    }

    #[test]
    fn a_stock_event_older_than_the_card_never_lowers_or_raises_its_count() {
        // The page was rendered at version 7 (4 left); events 5 and 7 arrive late.
        let mut cards = vec![versioned(1, 4, 7)];
        let older = apply_stock(&mut cards, r#"{"spu_id":1,"sku_id":9,"stock":9,"spu_stock":9,"version":5}"#);
        let same = apply_stock(&mut cards, r#"{"spu_id":1,"sku_id":9,"stock":6,"spu_stock":6,"version":7}"#);
        assert_eq!((older, same), (StockApplied::Stale, StockApplied::Stale));
        assert_eq!((cards[0].stock, cards[0].stock_version), (4, 7));

        // A newer one applies, and after it the one in between is stale too.
        let newer = apply_stock(&mut cards, r#"{"spu_id":1,"sku_id":9,"stock":2,"spu_stock":2,"version":9}"#);
        let between = apply_stock(&mut cards, r#"{"spu_id":1,"sku_id":9,"stock":3,"spu_stock":3,"version":8}"#);
        assert_eq!((newer, between), (StockApplied::Updated, StockApplied::Stale));
        assert_eq!((cards[0].stock, cards[0].stock_version), (2, 9));
    }

    #[test]
    fn re_reading_the_goods_keeps_a_newer_count_the_card_already_shows() {
        let shown = vec![versioned(1, 2, 9), versioned(2, 5, 3)];
        let fresh = vec![versioned(1, 4, 7), versioned(2, 1, 4), versioned(3, 8, 1)];
        let merged = merge_refreshed(&shown, fresh);
        let counts: Vec<_> = merged.iter().map(|c| (c.stock, c.stock_version)).collect();
        assert_eq!(counts, [(2, 9), (1, 4), (8, 1)]);
    }
}
