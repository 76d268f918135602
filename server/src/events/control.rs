//! Pausing and resuming the background workers of one process (operators
//! draining a node; tests proving that requests never write the cache).

use tokio::sync::watch;

#[derive(Clone)]
pub struct WorkerControl {
    running: watch::Sender<bool>,
}

impl Default for WorkerControl {
    fn default() -> Self {
        Self { running: watch::Sender::new(true) }
    }
}

impl WorkerControl {
    pub fn pause(&self) {
        self.running.send_replace(false);
    }

    pub fn resume(&self) {
        self.running.send_replace(true);
    }

    /// Returns at once while running; waits while paused.
    pub async fn wait_running(&self) {
        let mut rx = self.running.subscribe();
        let _ = rx.wait_for(|running| *running).await;
    }
}
