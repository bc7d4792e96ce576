//! Configuration from the environment, validated at start (docs/contracts.md).

use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

use tokio_rustls::rustls::pki_types::ServerName;

/// Default gRPC listen address: loopback, since gRPC authenticates nobody without internal TLS.
pub const DEFAULT_GRPC_LISTEN: &str = "127.0.0.1:9093";
/// Default HTTP (health, metrics) listen address: loopback, since metrics are internal.
pub const DEFAULT_HTTP_LISTEN: &str = "127.0.0.1:9193";
/// Default of `SNAPSHOT_MAX_REQUEST_BYTES`, the largest accepted request message (`proto/limits.json`).
pub use infidraw_render::limits::DEFAULT_MAX_REQUEST_BYTES;
/// Default memory for decoded tiles kept for their next incremental render: 64 MiB, about 170
/// tiles of 256 px.
pub const DEFAULT_BASE_CACHE_MB: usize = 64;

const MAX_BASE_CACHE_MB: usize = 1 << 16;

const MIN_REQUEST_BYTES: usize = 1 << 10;
const MAX_REQUEST_BYTES: usize = 1 << 30;

/// Log verbosity (`LOG_LEVEL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogLevel {
    /// Everything, including one line per render.
    Debug,
    /// Start, stop and failures.
    Info,
    /// Rejected requests and problems.
    Warn,
    /// Failures only.
    Error,
}

impl LogLevel {
    /// The matching tracing filter.
    pub fn filter(self) -> tracing::level_filters::LevelFilter {
        use tracing::level_filters::LevelFilter;
        match self {
            LogLevel::Debug => LevelFilter::DEBUG,
            LogLevel::Info => LevelFilter::INFO,
            LogLevel::Warn => LevelFilter::WARN,
            LogLevel::Error => LevelFilter::ERROR,
        }
    }
}

/// Mutual TLS on the gRPC port (`INTERNAL_TLS_*`, docs/contracts.md): PEM files of the server's
/// certificate and key and of the CA whose signature a client certificate needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InternalTls {
    /// `INTERNAL_TLS_CERT_FILE`: the certificate chain, leaf first.
    pub cert_file: PathBuf,
    /// `INTERNAL_TLS_KEY_FILE`: its private key.
    pub key_file: PathBuf,
    /// `INTERNAL_TLS_CA_FILE`: the CA certificates clients must be signed by.
    pub ca_file: PathBuf,
    /// `INTERNAL_TLS_ALLOWED_CLIENTS`: names (DNS subjectAltNames) a client certificate must carry
    /// one of to render; empty: any certificate the CA signed.
    pub allowed_clients: Vec<String>,
}

/// The server's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// `SNAPSHOT_GRPC_LISTEN`.
    pub grpc_listen: SocketAddr,
    /// `SNAPSHOT_HTTP_LISTEN`.
    pub http_listen: SocketAddr,
    /// `SNAPSHOT_MAX_REQUEST_BYTES`: the largest gRPC message accepted (tonic's max decoding size).
    pub max_request_bytes: usize,
    /// `SNAPSHOT_BASE_CACHE_MB`: memory for decoded tiles kept for their next incremental render
    /// (`infidraw_render::BaseCache`), in bytes; 0 turns the cache off.
    pub base_cache_bytes: usize,
    /// `LOG_LEVEL`.
    pub log_level: LogLevel,
    /// Mutual TLS on the gRPC port; `None`: plaintext (for loopback).
    pub internal_tls: Option<InternalTls>,
}

/// A variable with a value the server cannot use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The environment variable.
    pub var: &'static str,
    /// Its value.
    pub value: String,
    /// What was expected.
    pub expected: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}={:?} is invalid: expected {}",
            self.var, self.value, self.expected
        )
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads settings through `get`; unset and empty variables take their defaults.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let var = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let grpc_listen = listen(
            "SNAPSHOT_GRPC_LISTEN",
            var("SNAPSHOT_GRPC_LISTEN")
                .as_deref()
                .unwrap_or(DEFAULT_GRPC_LISTEN),
        )?;
        let http_listen = listen(
            "SNAPSHOT_HTTP_LISTEN",
            var("SNAPSHOT_HTTP_LISTEN")
                .as_deref()
                .unwrap_or(DEFAULT_HTTP_LISTEN),
        )?;
        let max_request_bytes = count(
            "SNAPSHOT_MAX_REQUEST_BYTES",
            var("SNAPSHOT_MAX_REQUEST_BYTES"),
            DEFAULT_MAX_REQUEST_BYTES,
            MIN_REQUEST_BYTES..=MAX_REQUEST_BYTES,
            "a byte count",
        )?;
        let base_cache_mb = count(
            "SNAPSHOT_BASE_CACHE_MB",
            var("SNAPSHOT_BASE_CACHE_MB"),
            DEFAULT_BASE_CACHE_MB,
            0..=MAX_BASE_CACHE_MB,
            "a number of MiB (0: off)",
        )?;
        let log_level = match var("LOG_LEVEL").as_deref().map(str::trim) {
            None | Some("info") => LogLevel::Info,
            Some("debug") => LogLevel::Debug,
            Some("warn") => LogLevel::Warn,
            Some("error") => LogLevel::Error,
            Some(other) => {
                return Err(ConfigError {
                    var: "LOG_LEVEL",
                    value: other.to_string(),
                    expected: "debug, info, warn or error".into(),
                });
            }
        };
        if grpc_listen == http_listen && grpc_listen.port() != 0 {
            return Err(ConfigError {
                var: "SNAPSHOT_HTTP_LISTEN",
                value: http_listen.to_string(),
                expected: "an address other than SNAPSHOT_GRPC_LISTEN".into(),
            });
        }
        Ok(Config {
            grpc_listen,
            http_listen,
            max_request_bytes,
            base_cache_bytes: base_cache_mb << 20,
            log_level,
            internal_tls: internal_tls(var)?,
        })
    }
}

/// The `INTERNAL_TLS_*` files: all three or none; allowed client names only with them.
fn internal_tls(var: impl Fn(&str) -> Option<String>) -> Result<Option<InternalTls>, ConfigError> {
    const FILES: [&str; 3] = [
        "INTERNAL_TLS_CERT_FILE",
        "INTERNAL_TLS_KEY_FILE",
        "INTERNAL_TLS_CA_FILE",
    ];
    let files = FILES.map(|name| var(name).map(|v| v.trim().to_string()));
    let allowed: Vec<String> = var("INTERNAL_TLS_ALLOWED_CLIENTS")
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(String::from)
        .collect();
    if let Some(bad) = allowed
        .iter()
        .find(|n| ServerName::try_from(n.as_str()).is_err())
    {
        return Err(ConfigError {
            var: "INTERNAL_TLS_ALLOWED_CLIENTS",
            value: bad.clone(),
            expected: "comma-separated DNS names".into(),
        });
    }
    match files {
        [Some(cert), Some(key), Some(ca)] => Ok(Some(InternalTls {
            cert_file: cert.into(),
            key_file: key.into(),
            ca_file: ca.into(),
            allowed_clients: allowed,
        })),
        [None, None, None] if allowed.is_empty() => Ok(None),
        ref given => {
            let missing = FILES
                .iter()
                .zip(given)
                .find(|(_, v)| v.is_none())
                .map_or(FILES[0], |(name, _)| name);
            Err(ConfigError {
                var: missing,
                value: String::new(),
                expected: "a PEM file: INTERNAL_TLS_CERT_FILE, INTERNAL_TLS_KEY_FILE and \
                           INTERNAL_TLS_CA_FILE go together (INTERNAL_TLS_ALLOWED_CLIENTS needs them)"
                    .into(),
            })
        }
    }
}

/// A whole number in `range`, `default` when unset; `what` names it in the error.
fn count(
    var: &'static str,
    value: Option<String>,
    default: usize,
    range: std::ops::RangeInclusive<usize>,
    what: &str,
) -> Result<usize, ConfigError> {
    let Some(v) = value else {
        return Ok(default);
    };
    v.trim()
        .parse::<usize>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| ConfigError {
            var,
            value: v.clone(),
            expected: format!("{what} from {} to {}", range.start(), range.end()),
        })
}

/// `host:port`, an IP or a name that resolves locally; `:port` means all interfaces.
fn listen(var: &'static str, value: &str) -> Result<SocketAddr, ConfigError> {
    let v = value.trim();
    let full = if v.starts_with(':') {
        format!("0.0.0.0{v}")
    } else {
        v.to_string()
    };
    let err = || ConfigError {
        var,
        value: value.to_string(),
        expected: "host:port, for example 0.0.0.0:9093".into(),
    };
    if let Ok(addr) = full.parse() {
        return Ok(addr);
    }
    // Names such as localhost:9093: resolve, but only when a port is given.
    if full
        .rsplit_once(':')
        .is_none_or(|(_, p)| p.parse::<u16>().is_err())
    {
        return Err(err());
    }
    full.to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults() {
        let c = cfg(&[]).unwrap();
        // Both ports are internal: loopback unless told otherwise.
        assert_eq!(c.grpc_listen, "127.0.0.1:9093".parse().unwrap());
        assert_eq!(c.http_listen, "127.0.0.1:9193".parse().unwrap());
        assert_eq!(c.internal_tls, None);
        assert_eq!(c.max_request_bytes, 33_554_432);
        assert_eq!(c.base_cache_bytes, 64 << 20);
        assert_eq!(c.log_level, LogLevel::Info);
        assert_eq!(cfg(&[("LOG_LEVEL", "")]).unwrap().log_level, LogLevel::Info);
    }

    #[test]
    fn values_are_read() {
        let c = cfg(&[
            ("SNAPSHOT_GRPC_LISTEN", "127.0.0.1:19093"),
            ("SNAPSHOT_HTTP_LISTEN", ":19193"),
            ("SNAPSHOT_MAX_REQUEST_BYTES", "1048576"),
            ("SNAPSHOT_BASE_CACHE_MB", "0"),
            ("LOG_LEVEL", "debug"),
        ])
        .unwrap();
        assert_eq!(c.base_cache_bytes, 0);
        assert_eq!(c.grpc_listen, "127.0.0.1:19093".parse().unwrap());
        assert_eq!(c.http_listen, "0.0.0.0:19193".parse().unwrap());
        assert_eq!(c.max_request_bytes, 1 << 20);
        assert_eq!(c.log_level, LogLevel::Debug);
        assert!(cfg(&[("SNAPSHOT_GRPC_LISTEN", "localhost:19093")]).is_ok());
        let tls = cfg(&[
            ("INTERNAL_TLS_CERT_FILE", "/tls/tls.crt"),
            ("INTERNAL_TLS_KEY_FILE", "/tls/tls.key"),
            ("INTERNAL_TLS_CA_FILE", "/tls/ca.crt"),
            (
                "INTERNAL_TLS_ALLOWED_CLIENTS",
                "infidraw-tile-delta, gateway",
            ),
        ])
        .unwrap()
        .internal_tls
        .unwrap();
        assert_eq!(tls.ca_file, PathBuf::from("/tls/ca.crt"));
        assert_eq!(tls.allowed_clients, ["infidraw-tile-delta", "gateway"]);
        assert!(cfg(&[("SNAPSHOT_GRPC_LISTEN", "[::1]:19093")]).is_ok());
    }

    #[test]
    fn bad_values_name_the_variable() {
        let bad = [
            ("SNAPSHOT_GRPC_LISTEN", "9093"),
            ("SNAPSHOT_GRPC_LISTEN", "0.0.0.0:99999"),
            ("SNAPSHOT_HTTP_LISTEN", "nowhere"),
            ("SNAPSHOT_MAX_REQUEST_BYTES", "lots"),
            ("SNAPSHOT_MAX_REQUEST_BYTES", "-1"),
            ("SNAPSHOT_MAX_REQUEST_BYTES", "10"),
            ("SNAPSHOT_MAX_REQUEST_BYTES", "99999999999"),
            ("SNAPSHOT_BASE_CACHE_MB", "-1"),
            ("SNAPSHOT_BASE_CACHE_MB", "99999999"),
            ("LOG_LEVEL", "verbose"),
        ];
        for (var, value) in bad {
            let e = cfg(&[(var, value)]).unwrap_err();
            assert_eq!(e.var, var, "{value}");
            assert!(e.to_string().starts_with(&format!("{var}=")), "{e}");
        }
        for (vars, var) in [
            (
                &[
                    ("INTERNAL_TLS_CERT_FILE", "/c"),
                    ("INTERNAL_TLS_KEY_FILE", "/k"),
                ][..],
                "INTERNAL_TLS_CA_FILE",
            ),
            (
                &[("INTERNAL_TLS_CA_FILE", "/ca")][..],
                "INTERNAL_TLS_CERT_FILE",
            ),
            (
                &[("INTERNAL_TLS_ALLOWED_CLIENTS", "tile-delta")][..],
                "INTERNAL_TLS_CERT_FILE",
            ),
            (
                &[("INTERNAL_TLS_ALLOWED_CLIENTS", "not a name")][..],
                "INTERNAL_TLS_ALLOWED_CLIENTS",
            ),
        ] {
            assert_eq!(cfg(vars).unwrap_err().var, var, "{vars:?}");
        }
        let e = cfg(&[
            ("SNAPSHOT_GRPC_LISTEN", "127.0.0.1:9000"),
            ("SNAPSHOT_HTTP_LISTEN", "127.0.0.1:9000"),
        ])
        .unwrap_err();
        assert_eq!(e.var, "SNAPSHOT_HTTP_LISTEN");
    }
}
