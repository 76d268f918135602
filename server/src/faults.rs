//! Fault points for tests that prove no order is lost and nothing oversold
//! when a step fails or the process dies half-way. Compiled in only with the
//! `faults` feature (the test command builds with it; releases do not).

#[cfg(feature = "faults")]
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

/// What an armed point does.
#[cfg(feature = "faults")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The step fails.
    Fail,
    /// The step never returns (the test then kills the process).
    Hang,
}

#[derive(Clone, Default)]
pub struct Faults {
    #[cfg(feature = "faults")]
    armed: Arc<Mutex<HashMap<String, Fault>>>,
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

    /// Passes unless the point is armed.
    pub async fn hit(&self, point: &str) -> anyhow::Result<()> {
        #[cfg(feature = "faults")]
        {
            let fault = self.armed.lock().expect("lock poisoned").get(point).copied();
            match fault {
                Some(Fault::Fail) => anyhow::bail!("injected fault at {point}"),
                Some(Fault::Hang) => std::future::pending::<()>().await,
                None => {}
            }
        }
        let _ = point;
        Ok(())
    }
}
