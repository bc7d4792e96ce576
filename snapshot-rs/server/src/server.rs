//! Binding, serving and draining both listeners.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::server::NamedService;
use tonic::service::interceptor::InterceptedService;
use tonic_health::ServingStatus;
use tracing::{info, warn};

use crate::config::Config;
use crate::http;
use crate::metrics::Metrics;
use crate::proto;
use crate::proto::render::v1::render_service_server::RenderServiceServer;
use crate::service::{RenderSvc, Renderer};
use crate::tls::{self, ClientAuth, Reloader};

/// How long in-flight requests may take to finish after a shutdown signal.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(25);

/// Why the server stopped with an error.
pub type ServeError = Box<dyn std::error::Error + Send + Sync>;

/// Both listeners, bound and ready to serve.
pub struct Server {
    config: Config,
    grpc: TcpListener,
    http: TcpListener,
    tls: Option<Arc<Reloader>>,
}

impl Server {
    /// Reads the internal TLS files, if configured, and binds the gRPC and HTTP listen addresses
    /// (port 0 picks a free port). An error names the file or address that cannot be used.
    pub async fn bind(config: Config) -> io::Result<Server> {
        let tls = match &config.internal_tls {
            Some(files) => Some(Arc::new(Reloader::load(files.clone())?)),
            None => None,
        };
        let grpc = TcpListener::bind(config.grpc_listen).await.map_err(|e| {
            io::Error::new(e.kind(), format!("gRPC listen {}: {e}", config.grpc_listen))
        })?;
        let http = TcpListener::bind(config.http_listen).await.map_err(|e| {
            io::Error::new(e.kind(), format!("HTTP listen {}: {e}", config.http_listen))
        })?;
        Ok(Server {
            config,
            grpc,
            http,
            tls,
        })
    }

    /// The bound gRPC address.
    pub fn grpc_addr(&self) -> SocketAddr {
        self.grpc.local_addr().expect("bound socket has an address")
    }

    /// The bound HTTP address.
    pub fn http_addr(&self) -> SocketAddr {
        self.http.local_addr().expect("bound socket has an address")
    }

    /// Serves until `shutdown` completes, then stops accepting, lets in-flight requests finish (at
    /// most [`DRAIN_TIMEOUT`]) and returns.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let (grpc_addr, http_addr) = (self.grpc_addr(), self.http_addr());
        let parallelism = std::thread::available_parallelism().map_or(1, |n| n.get());
        let metrics = Metrics::new();
        let renderer = Renderer::new(parallelism, metrics.clone(), self.config.base_cache_bytes);
        let render = InterceptedService::new(
            RenderServiceServer::new(RenderSvc::new(renderer))
                .max_decoding_message_size(self.config.max_request_bytes),
            ClientAuth::new(self.config.internal_tls.as_ref()),
        );

        let (health_reporter, health) = tonic_health::server::health_reporter();
        health_reporter
            .set_serving::<RenderServiceServer<RenderSvc>>()
            .await;
        health_reporter
            .set_service_status("", ServingStatus::Serving)
            .await;
        // Advertise only what this port serves (the descriptor set also holds tile-delta-go's
        // service, which lives in an imported file).
        let reflection = |reflection_service: &str| {
            tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
                .with_service_name(<RenderServiceServer<RenderSvc> as NamedService>::NAME)
                .with_service_name("grpc.health.v1.Health")
                .with_service_name(reflection_service)
        };
        let reflection_v1 = reflection("grpc.reflection.v1.ServerReflection").build_v1()?;
        let reflection_v1alpha =
            reflection("grpc.reflection.v1alpha.ServerReflection").build_v1alpha()?;

        let ready = Arc::new(AtomicBool::new(true));
        let (stop_tx, stop_rx) = watch::channel(false);
        let stopping = {
            let ready = ready.clone();
            let health_reporter = health_reporter.clone();
            async move {
                shutdown.await;
                info!("shutdown requested, draining");
                ready.store(false, Ordering::Relaxed);
                health_reporter
                    .set_not_serving::<RenderServiceServer<RenderSvc>>()
                    .await;
                health_reporter
                    .set_service_status("", ServingStatus::NotServing)
                    .await;
                let _ = stop_tx.send(true);
            }
        };
        tokio::spawn(stopping);
        let stopped = |mut rx: watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };

        let routes = tonic::service::Routes::new(health)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_service(render);
        let grpc = tonic::transport::Server::builder()
            .tcp_nodelay(true)
            .add_routes(routes);
        let grpc_stopped = stopped(stop_rx.clone());
        let grpc: Pin<Box<dyn Future<Output = Result<(), tonic::transport::Error>> + Send>> =
            match self.tls {
                Some(tls) => Box::pin(
                    grpc.serve_with_incoming_shutdown(tls::incoming(self.grpc, tls), grpc_stopped),
                ),
                None => {
                    Box::pin(grpc.serve_with_incoming_shutdown(
                        TcpListenerStream::new(self.grpc),
                        grpc_stopped,
                    ))
                }
            };
        let http = axum::serve(self.http, http::router(metrics, ready))
            .with_graceful_shutdown(stopped(stop_rx.clone()));
        info!(
            grpc = %grpc_addr,
            http = %http_addr,
            max_request_bytes = self.config.max_request_bytes,
            internal_tls = self.config.internal_tls.is_some(),
            parallelism,
            "listening"
        );

        let both = async {
            let (g, h) = tokio::join!(grpc, http);
            g?;
            h?;
            Ok::<(), ServeError>(())
        };
        let deadline = async {
            stopped(stop_rx).await;
            tokio::time::sleep(DRAIN_TIMEOUT).await;
        };
        tokio::select! {
            result = both => {
                result?;
                info!("stopped");
                Ok(())
            }
            () = deadline => {
                warn!(timeout_secs = DRAIN_TIMEOUT.as_secs(), "drain timed out, stopping anyway");
                Ok(())
            }
        }
    }
}
