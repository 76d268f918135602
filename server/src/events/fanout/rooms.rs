//! The rooms this process's viewers follow: for each, an in-process broadcast
//! of the room's new entries, the shared reader's position in the room's
//! stream, and how many viewers hold it. A room is followed while it has a
//! viewer here; the reader reads exactly the rooms listed.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
};

use app::ids::LiveId;
use tokio::sync::{broadcast, Notify};

use super::{position::EntryId, Told};

/// How many entries a room's broadcast holds for a viewer that is behind;
/// one further behind re-reads from its own position.
const BROADCAST_BUFFER: usize = 256;

struct Feed {
    tx: broadcast::Sender<Arc<Told>>,
    /// Every entry up to here was broadcast; the reader reads after it.
    position: EntryId,
    viewers: usize,
}

#[derive(Default)]
pub struct Rooms {
    feeds: Mutex<HashMap<LiveId, Feed>>,
    /// Wakes the reader when a room is followed anew.
    added: Arc<Notify>,
}

/// One viewer's hold on a room; the room is dropped with its last one.
pub struct Membership {
    rooms: Arc<Rooms>,
    live_id: LiveId,
    /// Every entry after `position`, as the reader broadcasts it.
    pub rx: broadcast::Receiver<Arc<Told>>,
    /// Where the broadcast starts: entries up to here went out before joining.
    pub position: EntryId,
}

impl Membership {
    pub fn live_id(&self) -> LiveId {
        self.live_id
    }
}

impl Drop for Membership {
    fn drop(&mut self) {
        let mut feeds = self.rooms.lock();
        if let Some(feed) = feeds.get_mut(&self.live_id) {
            feed.viewers -= 1;
            if feed.viewers == 0 {
                feeds.remove(&self.live_id);
            }
        }
    }
}

impl Rooms {
    fn lock(&self) -> MutexGuard<'_, HashMap<LiveId, Feed>> {
        // A panic while holding the lock leaves the map consistent: every
        // change under it is a single insert, remove or field update.
        self.feeds.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// What wakes the reader when a room is followed anew.
    pub fn added(&self) -> Arc<Notify> {
        self.added.clone()
    }

    /// Joins the room if this process follows it already.
    pub fn join_followed(self: &Arc<Self>, live_id: LiveId) -> Option<Membership> {
        let mut feeds = self.lock();
        let feed = feeds.get_mut(&live_id)?;
        feed.viewers += 1;
        Some(Membership { rooms: self.clone(), live_id, rx: feed.tx.subscribe(), position: feed.position })
    }

    /// Joins the room, following it from `newest` (the stream's newest id,
    /// read just before) if no viewer here follows it yet.
    pub fn join(self: &Arc<Self>, live_id: LiveId, newest: EntryId) -> Membership {
        let mut feeds = self.lock();
        let feed = feeds.entry(live_id).or_insert_with(|| {
            self.added.notify_one();
            Feed { tx: broadcast::channel(BROADCAST_BUFFER).0, position: newest, viewers: 0 }
        });
        feed.viewers += 1;
        Membership { rooms: self.clone(), live_id, rx: feed.tx.subscribe(), position: feed.position }
    }

    /// The rooms to read and the position to read each after.
    pub fn followed(&self) -> Vec<(LiveId, EntryId)> {
        self.lock().iter().map(|(live_id, feed)| (*live_id, feed.position)).collect()
    }

    /// Broadcasts the room's entries newer than its position, in order, and
    /// moves the position past them. Entries of a room no longer followed, or
    /// already told, are dropped.
    pub fn deliver(&self, live_id: LiveId, entries: impl IntoIterator<Item = Told>) {
        let mut feeds = self.lock();
        let Some(feed) = feeds.get_mut(&live_id) else { return };
        for told in entries {
            if told.id > feed.position {
                feed.position = told.id;
                // No receiver left is fine: the room is dropped with its last viewer.
                let _ = feed.tx.send(Arc::new(told));
            }
        }
    }
}
