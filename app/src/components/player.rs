//! The room's video stage: plays the live stream (or the replay) in a
//! `<video>`, through `app/js/live_player.js` (native HLS on Safari and iOS,
//! hls.js from our own origin elsewhere, loaded only once the page has
//! hydrated and only when there is video). It shows starting / live /
//! reconnecting / ended over the picture, starts muted with a tap to unmute,
//! and keeps the stream clock of the frame on screen, which the cards follow.

use leptos::prelude::*;
use leptos_i18n::I18nContext;

use crate::{i18n::*, locale::text, model::StreamStatus};

/// hls.js as `scripts/setup.sh` copies it from the npm package.
pub const HLS_JS: &str = "/vendor/hls.light-1.7.4.min.js";

/// What the media element reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlayerState {
    /// Nothing to play.
    Idle,
    Starting,
    Playing,
    Buffering,
    Ended,
    Failed,
}

impl PlayerState {
    pub fn parse(s: &str) -> Self {
        match s {
            "starting" => Self::Starting,
            "playing" => Self::Playing,
            "buffering" => Self::Buffering,
            "ended" => Self::Ended,
            "failed" => Self::Failed,
            _ => Self::Idle,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Starting => "starting",
            Self::Playing => "playing",
            Self::Buffering => "buffering",
            Self::Ended => "ended",
            Self::Failed => "failed",
        }
    }

    /// Whether video is on screen (or about to continue), so marks wait for it.
    pub fn showing(self) -> bool {
        matches!(self, Self::Playing | Self::Buffering)
    }
}

/// The stage's shared state: what it plays and where the picture is.
#[derive(Clone, Copy)]
pub struct Stage {
    /// The playlist to play (`None`: the poster).
    pub source: RwSignal<Option<String>>,
    /// Whether `source` is a finished recording (positions map through the replay).
    pub replay: RwSignal<bool>,
    pub state: RwSignal<PlayerState>,
    /// Wall time (Unix ms) at the ingest of the frame on screen, for live video.
    pub wall_ms: RwSignal<Option<i64>>,
    /// Seconds into the media, as last read.
    pub position: RwSignal<f64>,
    /// A seek the page asks for (seconds into the media).
    pub seek_to: RwSignal<Option<f64>>,
}

impl Stage {
    pub fn new(source: Option<String>, replay: bool) -> Self {
        Self {
            source: RwSignal::new(source),
            replay: RwSignal::new(replay),
            state: RwSignal::new(PlayerState::Idle),
            wall_ms: RwSignal::new(None),
            position: RwSignal::new(0.0),
            seek_to: RwSignal::new(None),
        }
    }
}

/// The overlay text for the room's stream status and the player's state (an
/// ended room without a recording says so with the page's own banner).
fn status_text(
    i18n: I18nContext<Locale>,
    status: StreamStatus,
    state: PlayerState,
    has_source: bool,
) -> Option<String> {
    let text = match (status, state) {
        (StreamStatus::Reconnecting, _) => t_string!(i18n, stream_reconnecting).to_string(),
        (_, PlayerState::Failed) => t_string!(i18n, stream_failed).to_string(),
        (StreamStatus::Offline, _) if !has_source => t_string!(i18n, stream_offline).to_string(),
        (_, PlayerState::Starting | PlayerState::Buffering) if has_source => {
            t_string!(i18n, stream_starting).to_string()
        }
        _ => return None,
    };
    Some(text)
}

#[component]
pub fn VideoStage(stage: Stage, status: RwSignal<StreamStatus>) -> impl IntoView {
    let i18n = use_i18n();
    let video = NodeRef::<leptos::html::Video>::new();
    let muted = RwSignal::new(true);
    #[cfg(feature = "hydrate")]
    drive(stage, video, muted);
    let overlay = move || status_text(i18n, status.get(), stage.state.get(), stage.source.read().is_some());
    view! {
        <video
            node_ref=video
            data-testid="video"
            data-player=move || stage.state.get().as_str()
            poster="/poster.svg"
            muted
            playsinline
        ></video>
        {move || overlay().map(|text| view! { <div class="stream-status" data-testid="stream-status" role="status">{text}</div> })}
        {move || (muted.get() && stage.state.get() == PlayerState::Playing).then(|| view! {
            <button class="unmute" data-testid="unmute" on:click=move |_| muted.set(false)>
                {text(i18n, |l| td_string!(l, tap_to_unmute))}
            </button>
        })}
    }
}

#[cfg(feature = "hydrate")]
mod glue {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen(module = "/js/live_player.js")]
    extern "C" {
        pub fn attach(video: &JsValue, url: &str, hls_src: &str, on_state: &js_sys::Function) -> JsValue;
        #[wasm_bindgen(js_name = wallClock)]
        pub fn wall_clock(handle: &JsValue) -> f64;
        #[wasm_bindgen(js_name = currentTime)]
        pub fn current_time(handle: &JsValue) -> f64;
        pub fn seek(handle: &JsValue, seconds: f64);
        pub fn unmute(handle: &JsValue);
        pub fn detach(handle: &JsValue);
    }
}

/// The player attached to the element, if any: its handle, and the state
/// callback it calls, dropped with it (detach stops the calls first).
#[cfg(feature = "hydrate")]
struct Attached {
    handle: wasm_bindgen::JsValue,
    _on_state: wasm_bindgen::closure::Closure<dyn FnMut(String)>,
}

/// The stage's one player slot, shared by the effects below (browser only,
/// hence the `SendWrapper`).
#[cfg(feature = "hydrate")]
#[derive(Clone)]
struct Slot(send_wrapper::SendWrapper<std::rc::Rc<std::cell::RefCell<Option<Attached>>>>);

#[cfg(feature = "hydrate")]
impl Slot {
    fn handle(&self) -> Option<wasm_bindgen::JsValue> {
        self.0.borrow().as_ref().map(|a| a.handle.clone())
    }

    /// Detaches the current player and puts `next` (or nothing) in its place.
    fn replace(&self, next: Option<Attached>) {
        if let Some(old) = self.0.borrow_mut().take() {
            glue::detach(&old.handle);
        }
        *self.0.borrow_mut() = next;
    }
}

/// Attaches the player to the element whenever the source changes, reads its
/// clock four times a second, and carries out seeks and unmuting.
#[cfg(feature = "hydrate")]
fn drive(stage: Stage, video: NodeRef<leptos::html::Video>, muted: RwSignal<bool>) {
    use wasm_bindgen::{closure::Closure, JsCast, JsValue};

    let slot = Slot(send_wrapper::SendWrapper::new(Default::default()));
    let attaching = slot.clone();
    Effect::new(move |_| {
        let source = stage.source.get();
        let Some(element) = video.get() else { return };
        attaching.replace(None);
        stage.wall_ms.set(None);
        let Some(url) = source else {
            stage.state.set(PlayerState::Idle);
            return;
        };
        let on_state = Closure::<dyn FnMut(String)>::new(move |s: String| stage.state.set(PlayerState::parse(&s)));
        let element: JsValue = element.into();
        let handle = glue::attach(&element, &url, HLS_JS, on_state.as_ref().unchecked_ref());
        attaching.replace(Some(Attached { handle, _on_state: on_state }));
    });
    let ticking = slot.clone();
    if let Ok(interval) = set_interval_with_handle(
        move || {
            let Some(h) = ticking.handle() else { return };
            let wall = glue::wall_clock(&h);
            stage.wall_ms.set(wall.is_finite().then_some(wall as i64));
            stage.position.set(glue::current_time(&h));
        },
        std::time::Duration::from_millis(250),
    ) {
        on_cleanup(move || interval.clear());
    }
    let seeking = slot.clone();
    Effect::new(move |_| {
        if let (Some(seconds), Some(h)) = (stage.seek_to.get(), seeking.handle()) {
            glue::seek(&h, seconds);
        }
    });
    let unmuting = slot.clone();
    Effect::new(move |_| {
        if !muted.get() {
            if let Some(h) = unmuting.handle() {
                glue::unmute(&h);
            }
        }
    });
    on_cleanup(move || slot.replace(None));
}
