//! HLS media playlists, as far as we read and write them: nginx's live
//! playlist (segment names and durations, discontinuities) and the replay's
//! VOD playlist built from the recorded segments. Hand-written because the
//! subset is a dozen lines each way; the m3u8 crates parse far more than
//! nginx writes.

/// One segment: its file name (`{unix_ms}.ts`, the wall time it started),
/// its duration and whether a new publish starts with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub name: String,
    pub duration_ms: i32,
    pub discontinuity: bool,
}

impl Segment {
    /// The wall time (Unix ms) the segment started, read from its name.
    pub fn started_ms(&self) -> Option<i64> {
        let digits = self.name.strip_suffix(".ts")?;
        if digits.is_empty() || digits.len() > 19 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    }
}

/// The segments of a media playlist, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MediaPlaylist {
    pub segments: Vec<Segment>,
}

impl MediaPlaylist {
    /// Reads a live playlist as nginx writes it. Lines it does not know are
    /// skipped; a segment whose name is not `{digits}.ts` is dropped.
    pub fn parse(text: &str) -> Self {
        let mut segments = Vec::new();
        let mut duration_ms = None;
        let mut discontinuity = false;
        for line in text.lines().map(str::trim) {
            if line == "#EXT-X-DISCONTINUITY" {
                discontinuity = true;
            } else if let Some(rest) = line.strip_prefix("#EXTINF:") {
                let seconds: f64 = rest.split(',').next().unwrap_or_default().trim().parse().unwrap_or(0.0);
                duration_ms = (seconds.is_finite() && seconds > 0.0 && seconds < 3600.0)
                    .then(|| (seconds * 1000.0).round() as i32)
                    .filter(|ms| *ms > 0);
            } else if !line.is_empty() && !line.starts_with('#') {
                let segment = Segment { name: line.to_owned(), duration_ms: duration_ms.unwrap_or(0), discontinuity };
                if duration_ms.is_some() && segment.started_ms().is_some() {
                    segments.push(segment);
                }
                duration_ms = None;
                discontinuity = false;
            }
        }
        Self { segments }
    }

    /// A finished VOD playlist of these segments, each addressed by `url`.
    pub fn render_vod(&self, url: impl Fn(&str) -> String) -> String {
        let target = self.segments.iter().map(|s| (s.duration_ms + 999) / 1000).max().unwrap_or(1).max(1);
        let mut out = format!(
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-TARGETDURATION:{target}\n#EXT-X-MEDIA-SEQUENCE:0\n"
        );
        for (i, segment) in self.segments.iter().enumerate() {
            if segment.discontinuity && i > 0 {
                out.push_str("#EXT-X-DISCONTINUITY\n");
            }
            out.push_str(&format!(
                "#EXTINF:{}.{:03},\n{}\n",
                segment.duration_ms / 1000,
                segment.duration_ms % 1000,
                url(&segment.name)
            ));
        }
        out.push_str("#EXT-X-ENDLIST\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What nginx-rtmp 1.2 wrote for a stream that was pushed, dropped and pushed again.
    const NGINX: &str = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:4\n#EXT-X-TARGETDURATION:1\n\
        #EXT-X-DISCONTINUITY\n#EXTINF:1.000,\n1796047808778.ts\n#EXTINF:0.619,\n1796047809719.ts\n\
        #EXT-X-DISCONTINUITY\n#EXTINF:1.000,\n1796047820000.ts\n#EXTINF:1.000,\n../../etc/passwd\n";

    #[test]
    fn reads_names_durations_and_breaks_and_drops_what_is_not_a_segment_of_ours() {
        let list = MediaPlaylist::parse(NGINX);
        assert_eq!(
            list.segments,
            vec![
                Segment { name: "1796047808778.ts".into(), duration_ms: 1000, discontinuity: true },
                Segment { name: "1796047809719.ts".into(), duration_ms: 619, discontinuity: false },
                Segment { name: "1796047820000.ts".into(), duration_ms: 1000, discontinuity: true },
            ]
        );
        assert_eq!(list.segments[0].started_ms(), Some(1_796_047_808_778));
    }

    #[test]
    fn the_replay_is_a_finished_playlist_that_keeps_the_breaks() {
        let vod = MediaPlaylist::parse(NGINX).render_vod(|name| format!("https://video.example/hls/7/{name}"));
        assert!(vod.starts_with("#EXTM3U\n"));
        assert!(vod.contains("#EXT-X-PLAYLIST-TYPE:VOD\n"));
        assert!(vod.contains("#EXTINF:0.619,\nhttps://video.example/hls/7/1796047809719.ts\n"));
        assert_eq!(vod.matches("#EXT-X-DISCONTINUITY").count(), 1, "only the break between publishes: {vod}");
        assert!(vod.ends_with("#EXT-X-ENDLIST\n"));
    }
}
