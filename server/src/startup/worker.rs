//! Every background loop of a process runs through [`Workers::spawn`]: one
//! step at a time, each in its own tracing span; idle steps wait for their
//! period (or a wake-up), failing steps back off exponentially; all of them
//! pause together (operators draining a node, tests proving that requests
//! never write the cache) and stop at shutdown after the step in flight,
//! which `Workers::drain` waits for.
//!
//! Every loop must be safe to run in several processes at once: the work it
//! takes is claimed in Postgres (`FOR UPDATE SKIP LOCKED`) or in Redis
//! (consumer groups), never assumed to be its own.

use std::{sync::Arc, time::Duration};

use tokio::sync::{watch, Notify};
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tracing::Instrument;

/// What a step found.
pub enum Step {
    /// There may be more work: step again at once.
    Busy,
    /// Nothing to do: wait for the period or a wake-up.
    Idle,
    /// This loop is finished for good.
    Done,
}

/// One background loop's body.
#[async_trait::async_trait]
pub trait Worker: Send + 'static {
    /// The loop's name in logs and spans.
    fn name(&self) -> &'static str;
    /// How long an idle loop waits before its next step.
    fn period(&self) -> Duration;
    async fn step(&mut self) -> anyhow::Result<Step>;
    /// Whether [`Workers::pause`] holds this loop (viewers' live updates are never paused).
    fn pausable(&self) -> bool {
        true
    }
}

const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// The background loops of one process.
#[derive(Clone)]
pub struct Workers {
    running: watch::Sender<bool>,
    stop: CancellationToken,
    tracker: TaskTracker,
}

impl Workers {
    pub fn new(stop: CancellationToken) -> Self {
        Self { running: watch::Sender::new(true), stop, tracker: TaskTracker::new() }
    }

    /// Where work that follows an answer is spawned (a coalesced group's
    /// settling, an order claim's release): shutdown waits for it as for
    /// the loops ([`Self::drain`]).
    pub fn tasks(&self) -> TaskTracker {
        self.tracker.clone()
    }

    /// Pauses every loop after its current step.
    pub fn pause(&self) {
        self.running.send_replace(false);
    }

    pub fn resume(&self) {
        self.running.send_replace(true);
    }

    /// Runs `worker` until shutdown (or until it is done); `wake` cuts an idle wait short.
    pub fn spawn(&self, mut worker: impl Worker, wake: Option<Arc<Notify>>) {
        let (running, stop) = (self.running.subscribe(), self.stop.clone());
        self.tracker.spawn(async move {
            let mut running = running;
            let mut backoff = FIRST_BACKOFF;
            loop {
                if worker.pausable() {
                    tokio::select! {
                        () = stop.cancelled() => return,
                        _ = running.wait_for(|on| *on) => {}
                    }
                }
                let span = tracing::info_span!("worker", name = worker.name());
                let wait = match worker.step().instrument(span).await {
                    Ok(Step::Busy) => {
                        backoff = FIRST_BACKOFF;
                        if stop.is_cancelled() {
                            return;
                        }
                        continue;
                    }
                    Ok(Step::Idle) => {
                        backoff = FIRST_BACKOFF;
                        worker.period()
                    }
                    Ok(Step::Done) => return,
                    Err(err) => {
                        tracing::warn!(worker = worker.name(), error = ?err, retry_in = ?backoff, "background step failed");
                        let wait = backoff;
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                        wait
                    }
                };
                let woken = async {
                    match &wake {
                        Some(notify) => notify.notified().await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(wait) => {}
                    () = woken => {}
                }
            }
        });
    }

    /// Waits, after shutdown began, for every loop to finish its step in flight.
    pub async fn drain(&self) {
        self.tracker.close();
        self.tracker.wait().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Counter(Arc<AtomicUsize>, usize);

    #[async_trait::async_trait]
    impl Worker for Counter {
        fn name(&self) -> &'static str {
            "counter"
        }
        fn period(&self) -> Duration {
            Duration::from_millis(5)
        }
        async fn step(&mut self) -> anyhow::Result<Step> {
            let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
            if n == 2 {
                anyhow::bail!("a failing step is retried");
            }
            Ok(if n >= self.1 { Step::Done } else { Step::Idle })
        }
    }

    #[tokio::test]
    async fn a_loop_steps_until_done_survives_failures_and_drains_on_shutdown() {
        let stop = CancellationToken::new();
        let workers = Workers::new(stop.clone());
        let steps = Arc::new(AtomicUsize::new(0));
        workers.spawn(Counter(steps.clone(), 4), None);
        tokio::time::timeout(Duration::from_secs(5), async {
            while steps.load(Ordering::SeqCst) < 4 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("the loop reached its last step");
        stop.cancel();
        tokio::time::timeout(Duration::from_secs(1), workers.drain()).await.expect("drained");
        assert_eq!(steps.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn a_paused_loop_takes_no_step_until_resumed() {
        let workers = Workers::new(CancellationToken::new());
        workers.pause();
        let steps = Arc::new(AtomicUsize::new(0));
        workers.spawn(Counter(steps.clone(), 1), None);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(steps.load(Ordering::SeqCst), 0);
        workers.resume();
        tokio::time::timeout(Duration::from_secs(1), workers.drain()).await.expect("done after one step");
        assert_eq!(steps.load(Ordering::SeqCst), 1);
    }
}
