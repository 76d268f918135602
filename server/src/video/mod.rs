//! Live video: a streamer pushes RTMP (OBS) to nginx's RTMP module with the
//! room's stream key; nginx asks us before it accepts ([`ingest`]), tells us
//! when the stream stops, and writes HLS that viewers play. The room's
//! `stream_status` follows the stream and every change reaches viewers as a
//! `room_status` event. The HLS segments are recorded as they are written
//! ([`recording`]), so an ended room replays them as a VOD playlist, and every
//! "now explaining" change is kept with its stream time ([`timeline`]).
//!
//! The stream clock: milliseconds since the room's first publish
//! (`live_rooms.stream_epoch`). nginx names each HLS segment by the wall time
//! it started (`hls_fragment_naming system`), so a player knows the stream
//! time of the frame it shows, and the explaining mark lands when the viewer
//! sees the moment the streamer pressed it.

mod ingest;
mod key;
mod playlist;
mod recording;
mod timeline;
mod urls;

pub(crate) use ingest::announce;
pub use ingest::{publish, publish_done, Publish};
pub use key::{rotate, StreamKeyName};
pub use recording::{record_segments, recorded_segments, replay_playlist};
pub use timeline::{explaining_timeline, log_explaining, stream_time_ms};
pub use urls::VideoUrls;
