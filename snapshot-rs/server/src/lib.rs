//! snapshot-rs server: the gRPC `infidraw.render.v1.RenderService` over [`infidraw_render`], plus
//! health, reflection and an HTTP port for `/healthz` and `/metrics`. With [`InternalTls`] the gRPC
//! port speaks mutual TLS: rendering needs a client certificate the CA signed, health and reflection
//! do not.
//!
//! The binary (`snapshot-server`) reads a [`Config`] from the environment, binds a [`Server`] and
//! runs it until SIGTERM or SIGINT. Tests bind one on `127.0.0.1:0` the same way.
#![warn(missing_docs)]

mod config;
mod http;
mod metrics;
pub mod proto;
mod server;
mod service;
mod timelapse;
mod tls;

pub use config::{
    Config, ConfigError, DEFAULT_BASE_CACHE_MB, DEFAULT_GRPC_LISTEN, DEFAULT_HTTP_LISTEN,
    DEFAULT_MAX_REQUEST_BYTES, InternalTls, LogLevel,
};
pub use metrics::Metrics;
pub use server::{DRAIN_TIMEOUT, ServeError, Server};
pub use service::{RenderSvc, Renderer};
pub use timelapse::VIDEO_PART_BYTES;
