//! Keeps a viewer's room live: an `EventSource` on the room's event stream,
//! resumed from the position the page was rendered at. Stock events update a
//! card in place; binding, unbinding, reordering and explaining re-read the
//! room's goods (from the server's cache), so the tray always converges on the
//! record whatever order events arrive in. The browser reconnects by itself,
//! sending `Last-Event-ID`.

use leptos::prelude::*;

use crate::{
    events::{RoomEvent, RoomEventKind},
    ids::LiveId,
    model::GoodsCard,
};

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

/// Applies a `stock` event's payload to the cards; `true` if a card changed.
pub fn apply_stock(cards: &mut [GoodsCard], payload: &str) -> bool {
    let Ok(RoomEvent::Stock(change)) = RoomEvent::decode(RoomEventKind::Stock.as_str(), payload) else {
        return false;
    };
    let mut changed = false;
    for card in cards.iter_mut().filter(|c| c.spu_id == change.spu_id) {
        card.stock = change.spu_stock.max(0);
        changed = true;
    }
    changed
}

/// Follows the room's events for as long as the calling component lives.
#[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
pub fn follow_room(
    live_id: LiveId,
    last_event_id: String,
    goods: RwSignal<Vec<GoodsCard>>,
    connection: RwSignal<Connection>,
) {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use send_wrapper::SendWrapper;
        use wasm_bindgen::{closure::Closure, JsCast};

        let url = format!("/api/live/{live_id}/events?last_event_id={last_event_id}");
        let Ok(source) = web_sys::EventSource::new(&url) else { return };

        let refresh = move || {
            leptos::task::spawn_local(async move {
                if let Ok(Some(view)) = crate::rooms::get_room_view(live_id).await {
                    goods.set(view.goods);
                }
            });
        };
        let on_stock = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            let data = e.data().as_string().unwrap_or_default();
            let mut applied = false;
            goods.update(|cards| applied = apply_stock(cards, &data));
            if !applied {
                refresh();
            }
        });
        let on_change = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_| refresh());
        let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| connection.set(Connection::Open));
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| connection.set(Connection::Connecting));
        for kind in RoomEventKind::ALL {
            let listener = match kind {
                RoomEventKind::Stock => &on_stock,
                // The owner's order notices change no card.
                RoomEventKind::Order => continue,
                RoomEventKind::GoodsBound
                | RoomEventKind::GoodsUnbound
                | RoomEventKind::GoodsReordered
                | RoomEventKind::Explaining
                | RoomEventKind::Sale
                | RoomEventKind::RoomStatus => &on_change,
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
        GoodsCard {
            sale_starts_at_ms: None,
            per_user_limit: None,
            spu_id: SpuId::new(spu).unwrap(),
            title: "t".into(),
            cover_url: None,
            price_cents: 100,
            stock,
            stock_snapshot: stock,
            explaining: false,
            tracking_code: "code".into(),
            position: 0,
        }
    }

    #[test]
    fn a_stock_event_updates_the_product_total_on_its_card() {
        let mut cards = vec![card(1, 10), card(2, 5)];
        assert!(apply_stock(&mut cards, r#"{"spu_id":2,"sku_id":9,"stock":1,"spu_stock":3}"#));
        assert_eq!((cards[0].stock, cards[1].stock), (10, 3));
    }

    #[test]
    fn a_stock_event_for_an_unknown_card_or_garbage_changes_nothing() {
        let mut cards = vec![card(1, 10)];
        assert!(!apply_stock(&mut cards, r#"{"spu_id":7,"sku_id":9,"stock":1,"spu_stock":3}"#));
        assert!(!apply_stock(&mut cards, "not json"));
        assert_eq!(cards[0].stock, 10);
    }
}
