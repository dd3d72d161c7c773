//! The wharf engine: serves the Docker Engine API on a unix socket over the stores.

pub mod api;
pub mod body;
pub mod config;
pub mod engine;
pub mod error;
pub mod hostinfo;
pub mod remap;
pub mod request;
pub mod router;
pub mod server;
pub mod service;

use std::sync::Arc;

pub use config::DaemonConfig;
pub use engine::{Engine, EngineError};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Shown where dockerd shows its Go version.
pub const RUST_VERSION: &str = "rust";

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("listening on {path}: {source}")]
    Listen {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Runtime(std::io::Error),
}

/// Runs the engine until SIGTERM or SIGINT.
pub fn run(config: DaemonConfig) -> Result<(), DaemonError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("wharf-engine")
        .build()
        .map_err(DaemonError::Runtime)?;
    rt.block_on(async move {
        let socket = config.socket.clone();
        let pidfile = config.pidfile.clone();
        let engine = Arc::new(Engine::open(config)?);
        service::containers::restore::restore(&engine).await;
        // Container records are written without fsync on the request path; make them durable
        // within a second.
        let flusher = engine.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
            loop {
                tick.tick().await;
                let e = flusher.clone();
                let _ = tokio::task::spawn_blocking(move || e.containers.flush()).await;
            }
        });
        let listener = server::bind(&socket).map_err(|source| DaemonError::Listen {
            path: socket.clone(),
            source,
        })?;
        if let Some(p) = &pidfile {
            let _ = std::fs::write(p, format!("{}\n", std::process::id()));
        }
        tracing::info!(
            socket = %socket.display(),
            data_root = %engine.config.data_root.display(),
            storage_driver = engine.storage_driver(),
            version = VERSION,
            "API listening"
        );
        let (tx, rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            use tokio::signal::unix::{SignalKind, signal};
            let mut term = signal(SignalKind::terminate()).expect("installing SIGTERM handler");
            let mut int = signal(SignalKind::interrupt()).expect("installing SIGINT handler");
            tokio::select! {
                _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
                _ = int.recv() => tracing::info!("SIGINT: shutting down"),
            }
            let _ = tx.send(true);
        });
        server::serve(listener, engine.clone(), api::routes(), rx).await;
        engine.containers.flush();
        let e2 = engine.clone();
        let _ = tokio::task::spawn_blocking(move || service::network::recover::shutdown(&e2)).await;
        let _ = std::fs::remove_file(&socket);
        if let Some(p) = &pidfile {
            let _ = std::fs::remove_file(p);
        }
        tracing::info!("stopped");
        Ok(())
    })
}
