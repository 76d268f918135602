//! Thin entry point: configuration → application → serve until SIGINT/SIGTERM.
//! `server rebuild-cache` and `server reconcile-stock` run the command-line tasks.

use std::time::Duration;

use server::{
    startup::{commands, demo, telemetry},
    Application, Config,
};

/// mimalloc rather than glibc's malloc: under a flash sale's small, short-lived
/// allocations across the runtime's threads, glibc's allocator took a fifth of
/// the server's CPU (perf, sold-out answers); mimalloc is made for this.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// SIGTERM must end the process within 10 s, event streams included.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(8);

fn main() -> anyhow::Result<()> {
    // The span exporter's HTTP client blocks: it is built, and flushed at the
    // end, outside the async runtime.
    let telemetry = telemetry::init();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let result = runtime.block_on(serve());
    drop(runtime);
    telemetry.shutdown();
    result
}

async fn serve() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    match std::env::args().nth(1).as_deref() {
        Some("rebuild-cache") => return commands::rebuild_cache(config).await,
        Some("reconcile-stock") => return commands::reconcile_stock(config).await,
        _ => {}
    }
    let app = Application::build(config.clone()).await?;
    print_banner(&config, app.port());

    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let mut server = tokio::spawn(app.run_until_stopped(async move {
        let _ = stop_rx.await;
    }));
    tokio::select! {
        result = &mut server => return Ok(result??),
        () = shutdown_signal() => tracing::info!("shutting down"),
    }
    let _ = stop_tx.send(());
    match tokio::time::timeout(DRAIN_TIMEOUT, server).await {
        Ok(result) => result??,
        Err(_) => tracing::warn!("connections still open after {DRAIN_TIMEOUT:?}; exiting anyway"),
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}

fn print_banner(config: &Config, port: u16) {
    let host =
        if config.site_addr.ip().is_unspecified() { "127.0.0.1".to_owned() } else { config.site_addr.ip().to_string() };
    let base = format!("http://{host}:{port}");
    println!("\n  Live-room commerce is running at {base}/");
    println!("  Streamer console: {base}/console");
    if config.demo_data {
        println!(
            "  Demo logins: streamer {} / {}   viewer {} / {}",
            demo::STREAMER.0,
            demo::STREAMER.1,
            demo::VIEWER.0,
            demo::VIEWER.1
        );
    }
    println!();
}
