//! Fault points for tests that prove no order is lost and nothing oversold
//! when a step fails or the process dies half-way, and that races resolve
//! safely (a step paused at a point while the test changes the world).
//! Compiled in only with the `faults` feature (the test command builds with
//! it; releases do not).

#[cfg(feature = "faults")]
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

#[cfg(feature = "faults")]
use tokio::sync::Notify;

/// What an armed point does.
#[cfg(feature = "faults")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The step fails.
    Fail,
    /// The step never returns (the test then kills the process).
    Hang,
    /// The step waits at the point until the test resumes it
    /// ([`Faults::paused`], then [`Faults::resume`]).
    Pause,
}

/// A paused point's two signals: the step got there, the test lets it go on.
#[cfg(feature = "faults")]
#[derive(Default)]
struct PausePoint {
    reached: Notify,
    resume: Notify,
}

#[derive(Clone, Default)]
pub struct Faults {
    #[cfg(feature = "faults")]
    armed: Arc<Mutex<HashMap<String, Fault>>>,
    #[cfg(feature = "faults")]
    pauses: Arc<Mutex<HashMap<String, Arc<PausePoint>>>>,
}

impl Faults {
    /// `LIVE_FAULT_POINTS=after_reserve=hang,publish=fail` (with the `faults` feature).
    pub fn from_env() -> Self {
        let faults = Self::default();
        #[cfg(feature = "faults")]
        for spec in std::env::var("LIVE_FAULT_POINTS").unwrap_or_default().split(',') {
            if let Some((point, action)) = spec.split_once('=') {
                let fault = if action == "hang" { Fault::Hang } else { Fault::Fail };
                faults.arm(point.trim(), fault);
            }
        }
        faults
    }

    #[cfg(feature = "faults")]
    pub fn arm(&self, point: &str, fault: Fault) {
        self.armed.lock().expect("lock poisoned").insert(point.to_owned(), fault);
    }

    #[cfg(feature = "faults")]
    pub fn disarm(&self, point: &str) {
        self.armed.lock().expect("lock poisoned").remove(point);
    }

    #[cfg(feature = "faults")]
    fn pause_point(&self, point: &str) -> Arc<PausePoint> {
        self.pauses.lock().expect("lock poisoned").entry(point.to_owned()).or_default().clone()
    }

    /// Waits until a step reaches `point`, armed with [`Fault::Pause`].
    #[cfg(feature = "faults")]
    pub async fn paused(&self, point: &str) {
        self.pause_point(point).reached.notified().await;
    }

    /// Lets the step paused at `point` go on.
    #[cfg(feature = "faults")]
    pub fn resume(&self, point: &str) {
        self.pause_point(point).resume.notify_one();
    }

    /// Passes unless the point is armed.
    pub async fn hit(&self, point: &str) -> anyhow::Result<()> {
        #[cfg(feature = "faults")]
        {
            let fault = self.armed.lock().expect("lock poisoned").get(point).copied();
            match fault {
                Some(Fault::Fail) => anyhow::bail!("injected fault at {point}"),
                Some(Fault::Hang) => std::future::pending::<()>().await,
                Some(Fault::Pause) => {
                    let pause = self.pause_point(point);
                    pause.reached.notify_one();
                    pause.resume.notified().await;
                }
                None => {}
            }
        }
        let _ = point;
        Ok(())
    }
}
