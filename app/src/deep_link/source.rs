//! Where a tap came from: the live stream or its replay. It rides on the
//! goods link (`source_type=`), the beacons and the order, so the streamer's
//! funnel can tell what a replay sold.

use serde::{Deserialize, Serialize};

/// The `source_type` of a goods link, beacon or order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SourceType {
    /// A card tapped while the room was live (or before it was).
    #[default]
    Live,
    /// A card tapped while watching the room's replay.
    Replay,
}

impl SourceType {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceType::Live => "live",
            SourceType::Replay => "replay",
        }
    }

    /// A link's `source_type`: anything but `replay` is the live room, as
    /// links minted before replays existed say `live`.
    pub fn from_query(value: Option<&str>) -> Self {
        match value {
            Some("replay") => SourceType::Replay,
            _ => SourceType::Live,
        }
    }
}
