//! Where the stream goes in and comes out: the RTMP ingest URL streamers are
//! given, the public HLS base viewers play from, and the HLS origin this
//! process reads playlists from (the same unless nginx is reached otherwise
//! from here).

use app::ids::LiveId;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VideoUrls {
    /// `LIVE_RTMP_URL`: the server field of a streamer's encoder.
    pub rtmp: String,
    /// `LIVE_HLS_URL`: the public base of the HLS output, one folder per room.
    pub hls: String,
    /// `LIVE_HLS_ORIGIN`: the same output as this process reaches it.
    pub hls_origin: String,
    /// `LIVE_RTMP_HOOK_SECRET`: when set, nginx's calls must carry it
    /// (`?secret=`); when not, they must come from this machine.
    pub hook_secret: Option<String>,
}

impl Default for VideoUrls {
    fn default() -> Self {
        Self {
            rtmp: "rtmp://127.0.0.1:1935/live".into(),
            hls: "http://127.0.0.1:8088/hls".into(),
            hls_origin: "http://127.0.0.1:8088/hls".into(),
            hook_secret: None,
        }
    }
}

impl VideoUrls {
    /// The room's live HLS playlist.
    pub fn playback(&self, live_id: LiveId) -> String {
        format!("{}/{live_id}/index.m3u8", self.hls.trim_end_matches('/'))
    }

    /// The live playlist as this process fetches it.
    pub fn origin_playlist(&self, live_id: LiveId) -> String {
        format!("{}/{live_id}/index.m3u8", self.hls_origin.trim_end_matches('/'))
    }

    /// One recorded segment, for the replay playlist.
    pub fn segment(&self, live_id: LiveId, name: &str) -> String {
        format!("{}/{live_id}/{name}", self.hls.trim_end_matches('/'))
    }

    /// The replay (VOD) playlist, served by this app.
    pub fn replay(live_id: LiveId) -> String {
        format!("/api/live/{live_id}/replay.m3u8")
    }
}
