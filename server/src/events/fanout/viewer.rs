//! One viewer's event stream: first what it missed (one `XRANGE` from its
//! resume position up to where the room's broadcast starts), then the room's
//! broadcast. A viewer that falls behind the broadcast re-reads from its own
//! last id; one whose last id was trimmed away meanwhile is told `resync`.
//! The owner also gets the owner's events.

use std::{sync::Arc, time::Duration};

use app::events::Audience;
use tokio::sync::{broadcast::error::RecvError, mpsc};

use super::{position::EntryId, rooms::Membership, Fanout, Told};
use crate::error::Result;

/// How many entries one catch-up read takes at a time.
const PAGE: usize = 200;
/// How long to wait before re-reading after Redis failed a catch-up.
const RETRY: Duration = Duration::from_secs(1);

pub struct Viewer {
    pub fanout: Fanout,
    pub membership: Membership,
    pub owner: bool,
    pub tx: mpsc::Sender<Arc<Told>>,
    /// The last entry this viewer was told (or had seen before connecting).
    pub last: EntryId,
}

impl Viewer {
    /// Runs until the viewer leaves or the server stops.
    pub async fn run(mut self) {
        let start = self.membership.position;
        if self.last < start && !self.catch_up(Some(start)).await {
            return;
        }
        loop {
            let received = tokio::select! {
                received = self.membership.rx.recv() => received,
                () = self.tx.closed() => return,
                () = self.fanout.stop.cancelled() => return,
            };
            let told = match received {
                Ok(told) => told,
                Err(RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "viewer behind the room's broadcast; re-reading from its position");
                    if !self.catch_up(None).await {
                        return;
                    }
                    continue;
                }
                Err(RecvError::Closed) => return,
            };
            if !self.tell(told).await {
                return;
            }
        }
    }

    /// Tells the viewer an entry it has not seen (and may see); `false` once it left.
    async fn tell(&mut self, told: Arc<Told>) -> bool {
        if told.id <= self.last {
            return true;
        }
        self.last = told.id;
        if told.audience == Audience::Owner && !self.owner {
            return true;
        }
        self.tx.send(told).await.is_ok()
    }

    /// Reads the room's entries after `last`, up to `until` (or the newest),
    /// retrying while Redis fails; `false` once the viewer left.
    async fn catch_up(&mut self, until: Option<EntryId>) -> bool {
        loop {
            let told = match self.read_on(until).await {
                Ok(Page::Entries(more)) => more,
                Ok(Page::Resync(newest)) => {
                    // Told even when the viewer's id is ahead of the stream's (Redis lost it).
                    self.last = newest;
                    vec![Told::resync(newest)]
                }
                Ok(Page::CaughtUp) => return true,
                Err(err) => {
                    tracing::warn!(error = %err, "room events unavailable; retrying");
                    tokio::select! {
                        () = tokio::time::sleep(RETRY) => {}
                        () = self.tx.closed() => return false,
                        () = self.fanout.stop.cancelled() => return false,
                    }
                    continue;
                }
            };
            for told in told {
                let told = Arc::new(told);
                let sent = if told.is_resync() { self.tx.send(told).await.is_ok() } else { self.tell(told).await };
                if !sent {
                    return false;
                }
            }
        }
    }

    /// The next page after `last`.
    async fn read_on(&self, until: Option<EntryId>) -> Result<Page> {
        if until.is_some_and(|until| self.last >= until) {
            return Ok(Page::CaughtUp);
        }
        let live_id = self.membership.live_id();
        let bounds = self.fanout.bounds(live_id).await?;
        if !bounds.resumes(self.last) {
            return Ok(Page::Resync(bounds.last));
        }
        let page = self.fanout.read_after(live_id, self.last, until, PAGE).await?;
        Ok(if page.is_empty() { Page::CaughtUp } else { Page::Entries(page) })
    }
}

/// What one catch-up read found.
enum Page {
    Entries(Vec<Told>),
    /// The viewer's position is not in the stream any more: resync at this id.
    Resync(EntryId),
    CaughtUp,
}
