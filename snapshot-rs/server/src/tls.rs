//! Internal mutual TLS on the gRPC port (docs/contracts.md): the handshake asks every client for a
//! certificate signed by the CA but completes without one, so that health and reflection answer
//! callers holding only the CA (probes, `grpcurl -cacert`); [`ClientAuth`] refuses the render methods
//! to them. The PEM files are re-read whenever they change (cert-manager and the kubelet replace them
//! in place), checked at each new connection: a rotated certificate or CA applies to the next
//! connection, open ones keep theirs.

use std::fs;
use std::io;
use std::net::SocketAddr;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::client::verify_server_name;
use tokio_rustls::rustls::crypto::aws_lc_rs;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio_rustls::rustls::server::{ParsedCertificate, WebPkiClientVerifier};
use tokio_rustls::rustls::{RootCertStore, ServerConfig, version};
use tokio_rustls::server::TlsStream;
use tokio_stream::wrappers::ReceiverStream;
use tonic::service::Interceptor;
use tonic::{Request, Status};
use tracing::{info, warn};

use crate::config::InternalTls;

/// How long a client may take to complete its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The server side of internal TLS, re-read when its files change.
pub struct Reloader {
    files: InternalTls,
    current: Mutex<Loaded>,
}

struct Loaded {
    stamps: [Stamp; 3],
    acceptor: TlsAcceptor,
}

/// What tells that a file was replaced: a new inode (an atomic rename or the kubelet's symlink swap),
/// or new contents written in place.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    len: u64,
    modified: Option<SystemTime>,
}

impl Reloader {
    /// Reads the files once; the error names the file that cannot be used.
    pub fn load(files: InternalTls) -> io::Result<Reloader> {
        let stamps = stamps(&files)?;
        let acceptor = acceptor(&files)?;
        Ok(Reloader {
            files,
            current: Mutex::new(Loaded { stamps, acceptor }),
        })
    }

    /// The acceptor for a new connection, from the files as they are now. A rotation caught
    /// half-written (a new certificate with the old key) keeps the previous acceptor and is retried
    /// at the next connection.
    fn acceptor(&self) -> TlsAcceptor {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        let reloaded = stamps(&self.files).and_then(|now| {
            if now == current.stamps {
                return Ok(false);
            }
            *current = Loaded {
                stamps: now,
                acceptor: acceptor(&self.files)?,
            };
            Ok(true)
        });
        match reloaded {
            Ok(true) => info!(
                cert = %self.files.cert_file.display(),
                "internal TLS files changed: new connections use them"
            ),
            Ok(false) => {}
            Err(e) => warn!(error = %e, "internal TLS files unusable: keeping the previous ones"),
        }
        current.acceptor.clone()
    }
}

fn stamps(files: &InternalTls) -> io::Result<[Stamp; 3]> {
    let stamp = |path: &Path| -> io::Result<Stamp> {
        let m = fs::metadata(path).map_err(|e| named(path, e))?;
        Ok(Stamp {
            dev: m.dev(),
            ino: m.ino(),
            len: m.len(),
            modified: m.modified().ok(),
        })
    };
    Ok([
        stamp(&files.cert_file)?,
        stamp(&files.key_file)?,
        stamp(&files.ca_file)?,
    ])
}

fn named(path: &Path, e: impl std::fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("internal TLS: {}: {e}", path.display()),
    )
}

/// A TLS 1.3 acceptor serving the certificate, verifying a client certificate against the CA when
/// one is presented, speaking HTTP/2.
fn acceptor(files: &InternalTls) -> io::Result<TlsAcceptor> {
    let certs = CertificateDer::pem_file_iter(&files.cert_file)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| named(&files.cert_file, e))?;
    if certs.is_empty() {
        return Err(named(&files.cert_file, "no PEM certificate"));
    }
    let key =
        PrivateKeyDer::from_pem_file(&files.key_file).map_err(|e| named(&files.key_file, e))?;
    let mut roots = RootCertStore::empty();
    for ca in CertificateDer::pem_file_iter(&files.ca_file).map_err(|e| named(&files.ca_file, e))? {
        roots
            .add(ca.map_err(|e| named(&files.ca_file, e))?)
            .map_err(|e| named(&files.ca_file, e))?;
    }
    let provider = Arc::new(aws_lc_rs::default_provider());
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .allow_unauthenticated()
        .build()
        .map_err(|e| named(&files.ca_file, e))?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&version::TLS13])
        .map_err(io::Error::other)?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs, key)
        .map_err(|e| {
            named(
                &files.cert_file,
                format!("with {}: {e}", files.key_file.display()),
            )
        })?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Accepts connections on `listener` and completes their TLS handshakes concurrently (a slow client
/// holds up nobody), yielding the established streams; stops when the stream is dropped.
pub fn incoming(
    listener: TcpListener,
    tls: Arc<Reloader>,
) -> ReceiverStream<io::Result<TlsStream<TcpStream>>> {
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                () = tx.closed() => return,
            };
            let (tcp, peer) = match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    warn!(error = %e, "gRPC accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let _ = tcp.set_nodelay(true);
            let acceptor = tls.acceptor();
            let tx = tx.clone();
            tokio::spawn(async move {
                if let Some(stream) = handshake(acceptor, tcp, peer).await {
                    let _ = tx.send(Ok(stream)).await;
                }
            });
        }
    });
    ReceiverStream::new(rx)
}

async fn handshake(
    acceptor: TlsAcceptor,
    tcp: TcpStream,
    peer: SocketAddr,
) -> Option<TlsStream<TcpStream>> {
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
        Ok(Ok(stream)) => Some(stream),
        Ok(Err(e)) => {
            warn!(%peer, error = %e, "internal TLS handshake failed");
            None
        }
        Err(_) => {
            warn!(%peer, "internal TLS handshake timed out");
            None
        }
    }
}

/// Refuses calls whose connection presented no client certificate (the handshake verified any that
/// was presented against the CA), or one that names none of the allowed clients. Without internal TLS
/// it lets everything through: the port is then meant for loopback.
#[derive(Clone)]
pub struct ClientAuth {
    required: bool,
    allowed: Arc<[ServerName<'static>]>,
}

impl ClientAuth {
    /// The check for `tls` (`None`: plaintext, nothing to check).
    pub fn new(tls: Option<&InternalTls>) -> ClientAuth {
        let allowed = tls.map_or_else(Vec::new, |t| {
            t.allowed_clients
                .iter()
                // Config validated the names.
                .filter_map(|n| ServerName::try_from(n.clone()).ok())
                .collect()
        });
        ClientAuth {
            required: tls.is_some(),
            allowed: allowed.into(),
        }
    }
}

impl Interceptor for ClientAuth {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        if !self.required {
            return Ok(request);
        }
        let certs = request.peer_certs().unwrap_or_default();
        let Some(leaf) = certs.first() else {
            return Err(Status::unauthenticated(
                "internal gRPC needs a client certificate signed by the infidraw CA",
            ));
        };
        if self.allowed.is_empty() {
            return Ok(request);
        }
        let leaf = ParsedCertificate::try_from(leaf)
            .map_err(|_| Status::unauthenticated("unreadable client certificate"))?;
        if self
            .allowed
            .iter()
            .any(|name| verify_server_name(&leaf, name).is_ok())
        {
            return Ok(request);
        }
        let allowed: Vec<String> = self.allowed.iter().map(|n| n.to_str().into()).collect();
        Err(Status::permission_denied(format!(
            "the client certificate names none of the allowed clients {allowed:?}"
        )))
    }
}
