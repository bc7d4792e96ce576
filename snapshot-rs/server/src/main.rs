//! `snapshot-server`: renders infidraw tiles over gRPC (see the crate docs and docs/contracts.md).

use std::process::ExitCode;

use infidraw_snapshot_server::{Config, LogLevel, Server};
use tracing::{error, info};

fn main() -> ExitCode {
    let config = Config::from_env();
    init_logging(config.as_ref().map_or(LogLevel::Info, |c| c.log_level));
    let config = match config {
        Ok(c) => c,
        Err(e) => {
            error!(error = %e, "invalid configuration");
            eprintln!("snapshot-server: invalid configuration: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            error!(error = %e, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let server = match Server::bind(config).await {
            Ok(s) => s,
            Err(e) => {
                error!(error = %e, "cannot start");
                eprintln!("snapshot-server: {e}");
                return ExitCode::FAILURE;
            }
        };
        match server.run(shutdown_signal()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                error!(error = %e, "server failed");
                ExitCode::FAILURE
            }
        }
    })
}

fn init_logging(level: LogLevel) {
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_target(false)
        .with_max_level(level.filter())
        .with_writer(std::io::stdout)
        .init();
}

/// Completes on SIGTERM or SIGINT.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            error!(error = %e, "cannot listen for SIGTERM; only SIGINT stops the server");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    let name = tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = tokio::signal::ctrl_c() => "SIGINT",
    };
    info!(signal = name, "signal received");
}
