//! Keeps the dashboard current: an `EventSource` on the room's event stream
//! (the owner's session cookie makes the server include the owner-only order
//! events), a re-read of the dashboard whenever an order is placed, paid,
//! expires or is cancelled, and one every few seconds so the 60-second window
//! slides while nothing happens. Re-reads go through a
//! [`Throttle`](super::throttle::Throttle).

use leptos::prelude::*;

use crate::{ids::LiveId, live_center::Dashboard, live_updates::Connection};

/// Follows the room's events for as long as the calling component lives,
/// keeping `dashboard` current and `connection` telling whether the stream is open.
#[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
pub fn follow_dashboard(live_id: LiveId, dashboard: RwSignal<Dashboard>, connection: RwSignal<Connection>) {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| browser::follow(live_id, dashboard, connection));
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::{cell::RefCell, rc::Rc, time::Duration};

    use leptos::prelude::*;
    use send_wrapper::SendWrapper;
    use wasm_bindgen::{closure::Closure, JsCast};

    use super::super::throttle::{Step, Throttle, REFRESH_EVERY_MS};
    use crate::{
        components::countdown::now_ms, events::RoomEventKind, ids::LiveId, live_center::Dashboard,
        live_updates::Connection,
    };

    /// The throttle and what a read writes to, shared by the event handlers.
    #[derive(Clone)]
    struct Reader {
        live_id: LiveId,
        dashboard: RwSignal<Dashboard>,
        throttle: Rc<RefCell<Throttle>>,
    }

    impl Reader {
        fn request(&self) {
            let step = self.throttle.borrow_mut().request(now_ms());
            self.act(step);
        }

        fn act(&self, step: Step) {
            match step {
                Step::Nothing => {}
                Step::WaitMs(ms) => {
                    let reader = self.clone();
                    set_timeout(
                        move || {
                            let step = reader.throttle.borrow_mut().timer_fired(now_ms());
                            reader.act(step);
                        },
                        Duration::from_millis(ms.max(0) as u64),
                    );
                }
                Step::Fetch => {
                    let reader = self.clone();
                    leptos::task::spawn_local(async move {
                        // A failed read keeps what is shown; the next event or tick reads again.
                        if let Ok(fresh) = crate::live_center::get_dashboard(reader.live_id).await {
                            reader.dashboard.set(fresh);
                        }
                        let step = reader.throttle.borrow_mut().finished(now_ms());
                        reader.act(step);
                    });
                }
            }
        }
    }

    pub(super) fn follow(live_id: LiveId, dashboard: RwSignal<Dashboard>, connection: RwSignal<Connection>) {
        let reader = Reader { live_id, dashboard, throttle: Rc::default() };
        let tick = {
            let reader = reader.clone();
            set_interval_with_handle(move || reader.request(), Duration::from_millis(REFRESH_EVERY_MS as u64)).ok()
        };
        let url = format!("/api/live/{live_id}/events");
        let Ok(source) = web_sys::EventSource::new(&url) else {
            // No stream (an old browser): the periodic reads still keep the figures current.
            on_cleanup(move || {
                if let Some(tick) = tick {
                    tick.clear();
                }
            });
            return;
        };
        let on_order = {
            let reader = reader.clone();
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_: web_sys::MessageEvent| reader.request())
        };
        // (Re)connected: whatever happened while the stream was down is read now.
        let on_open = {
            let reader = reader.clone();
            Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
                connection.set(Connection::Open);
                reader.request();
            })
        };
        let on_error =
            Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| connection.set(Connection::Connecting));
        for kind in RoomEventKind::ALL {
            let wanted = match kind {
                RoomEventKind::Order
                | RoomEventKind::OrderPaid
                | RoomEventKind::OrderExpired
                | RoomEventKind::OrderCancelled
                | RoomEventKind::Resync => true,
                // Goods, stock and room changes move no dashboard figure.
                RoomEventKind::GoodsBound
                | RoomEventKind::GoodsUnbound
                | RoomEventKind::GoodsReordered
                | RoomEventKind::Explaining
                | RoomEventKind::Stock
                | RoomEventKind::Sale
                | RoomEventKind::RoomStatus => false,
            };
            if wanted {
                let _ = source.add_event_listener_with_callback(kind.as_str(), on_order.as_ref().unchecked_ref());
            }
        }
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));

        let held = SendWrapper::new((source, on_order, on_open, on_error, tick));
        on_cleanup(move || {
            held.0.close();
            if let Some(tick) = &held.4 {
                tick.clear();
            }
        });
    }
}
