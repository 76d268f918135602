//! "Now explaining" as a viewer sees it. HLS puts viewers seconds behind the
//! streamer, so an `explaining` event carries the stream time the streamer
//! pressed it at, and the room lights the card up only when its own player
//! reaches that time; at once when no video is on screen. A replay follows
//! the recorded timeline instead.

use crate::ids::SpuId;

/// A mark waiting for the player to reach its stream time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pending {
    pub spu_id: Option<SpuId>,
    pub stream_time_ms: i64,
}

/// What to do with an `explaining` event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    /// Show it now.
    Now(Option<SpuId>),
    /// Show it when the player's stream clock reaches the time.
    Wait(Pending),
}

/// Decides on an event, given the stream time of the frame on screen (`None`:
/// no video on screen, or its clock unknown).
pub fn on_event(spu_id: Option<SpuId>, stream_time_ms: Option<i64>, on_screen_ms: Option<i64>) -> Mark {
    match (stream_time_ms, on_screen_ms) {
        (Some(at), Some(now)) if now < at => Mark::Wait(Pending { spu_id, stream_time_ms: at }),
        _ => Mark::Now(spu_id),
    }
}

/// Whether a waiting mark is due: the player reached it, or no video is on
/// screen any more (nothing to wait for).
pub fn due(pending: Pending, on_screen_ms: Option<i64>) -> bool {
    on_screen_ms.is_none_or(|now| now >= pending.stream_time_ms)
}

/// The stream time on screen from the wall time of the frame and the stream's epoch.
pub fn stream_ms(wall_ms: Option<i64>, epoch_ms: Option<i64>) -> Option<i64> {
    Some(wall_ms? - epoch_ms?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spu(id: i64) -> Option<SpuId> {
        Some(SpuId::new(id).unwrap())
    }

    #[test]
    fn a_mark_pressed_ahead_of_the_picture_waits_for_it() {
        let mark = on_event(spu(7), Some(12_000), Some(9_500));
        assert_eq!(mark, Mark::Wait(Pending { spu_id: spu(7), stream_time_ms: 12_000 }));
        let Mark::Wait(pending) = mark else { unreachable!() };
        assert!(!due(pending, Some(11_999)));
        assert!(due(pending, Some(12_000)));
    }

    #[test]
    fn without_video_or_a_stream_time_the_mark_shows_at_once() {
        assert_eq!(on_event(spu(7), Some(12_000), None), Mark::Now(spu(7)));
        assert_eq!(on_event(spu(7), None, Some(9_500)), Mark::Now(spu(7)));
        assert_eq!(on_event(None, Some(3_000), Some(9_500)), Mark::Now(None), "already on screen");
    }

    #[test]
    fn a_waiting_mark_is_shown_once_the_video_goes_away() {
        let pending = Pending { spu_id: spu(7), stream_time_ms: 12_000 };
        assert!(due(pending, None));
    }

    #[test]
    fn stream_time_needs_both_clocks() {
        assert_eq!(stream_ms(Some(1_000_500), Some(1_000_000)), Some(500));
        assert_eq!(stream_ms(None, Some(1)), None);
        assert_eq!(stream_ms(Some(1), None), None);
    }
}
