//! A TCP proxy in front of the shared Redis (or Postgres), one per test, that a
//! test can cut (every connection dropped, new ones refused) and restore. It
//! injects an outage into one application without touching the Redis or
//! Postgres other tests use.

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc,
};

use tokio::{
    io::copy_bidirectional,
    net::{TcpListener, TcpStream},
    sync::watch,
};

pub struct RedisProxy {
    port: u16,
    target: &'static str,
    up: Arc<AtomicBool>,
    generation: watch::Sender<u64>,
}

impl RedisProxy {
    pub async fn start() -> Self {
        Self::start_to("127.0.0.1:6379").await
    }

    /// A proxy in front of the shared Postgres.
    pub async fn postgres() -> Self {
        Self::start_to("127.0.0.1:5432").await
    }

    async fn start_to(target: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let (generation, _) = watch::channel(0u64);
        let accept_up = up.clone();
        let accept_gen = generation.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                if !accept_up.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let mut cut = accept_gen.subscribe();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Self { port, target, up, generation }
    }

    /// The Redis URL through this proxy (database 0).
    pub fn url(&self) -> String {
        assert!(self.target.ends_with(":6379"), "a Redis proxy");
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// A Postgres URL through this proxy, for a fresh database of its own.
    pub fn postgres_url(&self) -> String {
        assert!(self.target.ends_with(":5432"), "a Postgres proxy");
        format!("postgres://postgres@127.0.0.1:{}/lc_test_{}", self.port, uuid::Uuid::new_v4().simple())
    }

    /// Drops every open connection and refuses new ones.
    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}
