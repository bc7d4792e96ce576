//! Internal mutual TLS on the gRPC port: rendering needs a client certificate signed by the CA that
//! names an allowed client; health and reflection answer callers holding only the CA (probes,
//! `grpcurl -cacert`); rotated files apply to the next connection; bad files stop the server at start.

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use common::{coord, pen_line, start_with};
use infidraw_snapshot_server::proto::render::v1::RenderTileRequest;
use infidraw_snapshot_server::proto::render::v1::render_service_client::RenderServiceClient;
use infidraw_snapshot_server::{Config, InternalTls, Server};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use tonic::Code;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1;

/// A throwaway CA writing its certificate and the ones it issues as PEM files into a directory.
struct Pki {
    dir: PathBuf,
    ca: CertifiedIssuer<'static, KeyPair>,
}

/// PEM of one issued certificate and its key, and where they were written.
#[derive(Clone)]
struct Issued {
    cert: String,
    key: String,
    cert_file: PathBuf,
    key_file: PathBuf,
}

impl Pki {
    fn new() -> Pki {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "snapshot-mtls-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let ca = Self::new_ca(&dir);
        Pki { dir, ca }
    }

    fn new_ca(dir: &Path) -> CertifiedIssuer<'static, KeyPair> {
        let mut params = CertificateParams::new(Vec::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "infidraw test CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        write(&dir.join("ca.crt"), &ca.pem());
        ca
    }

    /// Replaces the CA (new key, same file): certificates issued from now on are signed by it only.
    fn renew_ca(&mut self) {
        self.ca = Self::new_ca(&self.dir);
    }

    fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.crt")
    }

    fn ca_pem(&self) -> String {
        self.ca.pem()
    }

    /// A certificate for `name` (DNS names `name` and localhost), for serving and for calling; issuing
    /// a name again replaces its files.
    fn issue(&self, name: &str) -> Issued {
        let mut params =
            CertificateParams::new(vec![name.to_string(), "localhost".into()]).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.ca).unwrap();
        let issued = Issued {
            cert: cert.pem(),
            key: key.serialize_pem(),
            cert_file: self.dir.join(format!("{name}.crt")),
            key_file: self.dir.join(format!("{name}.key")),
        };
        // Key first: a server that sees the new certificate finds its key already there.
        write(&issued.key_file, &issued.key);
        write(&issued.cert_file, &issued.cert);
        issued
    }

    fn server_config(&self, server: &Issued, allowed: &[&str]) -> Config {
        Config {
            internal_tls: Some(InternalTls {
                cert_file: server.cert_file.clone(),
                key_file: server.key_file.clone(),
                ca_file: self.ca_file(),
                allowed_clients: allowed.iter().map(|s| s.to_string()).collect(),
            }),
            ..common::config()
        }
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Replaces `path` atomically, as the kubelet swaps a mounted Secret.
fn write(path: &Path, pem: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, pem).unwrap();
    std::fs::rename(tmp, path).unwrap();
}

/// A TLS channel to `addr` trusting `ca_pem`, presenting `identity` when given; a failed handshake is
/// an error here or on the first call (TLS 1.3 clients finish before the server checks them).
async fn connect(
    addr: std::net::SocketAddr,
    ca_pem: &str,
    identity: Option<&Issued>,
) -> Result<Channel, tonic::transport::Error> {
    let mut tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(ca_pem))
        .domain_name("localhost");
    if let Some(id) = identity {
        tls = tls.identity(Identity::from_pem(&id.cert, &id.key));
    }
    Channel::from_shared(format!("https://{addr}"))
        .unwrap()
        .tls_config(tls)?
        .connect()
        .await
}

/// Renders one small tile over a new connection: Ok, or the status code (Unavailable when the
/// connection itself failed).
async fn render(
    addr: std::net::SocketAddr,
    ca_pem: &str,
    identity: Option<&Issued>,
) -> Result<(), Code> {
    let channel = connect(addr, ca_pem, identity)
        .await
        .map_err(|_| Code::Unavailable)?;
    RenderServiceClient::new(channel)
        .render_tile(RenderTileRequest {
            coord: coord(0, 0, 0),
            strokes: vec![pen_line((10.0, 10.0), (200.0, 200.0))],
            ..Default::default()
        })
        .await
        .map(drop)
        .map_err(|s| {
            // The server's refusal of the handshake reaches the client as a failed connection.
            let transport =
                std::error::Error::source(&s).is_some_and(|e| e.is::<tonic::transport::Error>());
            if transport {
                Code::Unavailable
            } else {
                s.code()
            }
        })
}

#[tokio::test]
async fn rendering_needs_a_client_certificate_of_an_allowed_client() {
    let pki = Pki::new();
    let server = start_with(pki.server_config(&pki.issue("snapshot"), &["tile-delta"])).await;
    let tile_delta = pki.issue("tile-delta");
    let realtime = pki.issue("realtime");
    let stranger_pki = Pki::new();
    let stranger = stranger_pki.issue("tile-delta"); // the right name from another CA
    let ca = pki.ca_pem();

    assert_eq!(render(server.grpc, &ca, Some(&tile_delta)).await, Ok(()));
    assert_eq!(
        render(server.grpc, &ca, None).await,
        Err(Code::Unauthenticated)
    );
    assert_eq!(
        render(server.grpc, &ca, Some(&realtime)).await,
        Err(Code::PermissionDenied)
    );
    assert_eq!(
        render(server.grpc, &ca, Some(&stranger)).await,
        Err(Code::Unavailable),
        "a certificate of another CA must fail the handshake"
    );
    // A plaintext client cannot speak to the TLS port.
    let plaintext = RenderServiceClient::new(server.channel().await)
        .render_tile(RenderTileRequest {
            coord: coord(0, 0, 0),
            ..Default::default()
        })
        .await;
    assert!(plaintext.is_err());

    // Health and reflection with the CA alone, as probes and `grpcurl -cacert` use them.
    let anonymous = connect(server.grpc, &ca, None).await.unwrap();
    let mut health = HealthClient::new(anonymous.clone());
    for service in ["", "infidraw.render.v1.RenderService"] {
        let status = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .status();
        assert_eq!(status, ServingStatus::Serving, "{service:?}");
    }
    let mut reflection = v1::server_reflection_client::ServerReflectionClient::new(anonymous);
    let request = v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(v1::server_reflection_request::MessageRequest::ListServices(
            String::new(),
        )),
    };
    let mut answers = reflection
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .unwrap()
        .into_inner();
    let Some(v1::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        answers.message().await.unwrap().unwrap().message_response
    else {
        panic!("reflection did not list services");
    };
    assert!(
        list.service
            .iter()
            .any(|s| s.name == "infidraw.render.v1.RenderService"),
        "{list:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn any_certificate_of_the_ca_renders_when_no_client_is_named() {
    let pki = Pki::new();
    let server = start_with(pki.server_config(&pki.issue("snapshot"), &[])).await;
    let ca = pki.ca_pem();
    assert_eq!(
        render(server.grpc, &ca, Some(&pki.issue("anyone"))).await,
        Ok(())
    );
    assert_eq!(
        render(server.grpc, &ca, None).await,
        Err(Code::Unauthenticated)
    );
    server.stop().await;
}

#[tokio::test]
async fn rotated_files_apply_to_the_next_connection() {
    let mut pki = Pki::new();
    let server = start_with(pki.server_config(&pki.issue("snapshot"), &["tile-delta"])).await;
    let old_client = pki.issue("tile-delta");
    let old_ca = pki.ca_pem();
    assert_eq!(
        render(server.grpc, &old_ca, Some(&old_client)).await,
        Ok(())
    );

    // cert-manager renews the CA, then the server's and the client's certificates.
    pki.renew_ca();
    pki.issue("snapshot");
    let new_client = pki.issue("tile-delta");
    let new_ca = pki.ca_pem();
    // A client trusting only the new CA gets through: the server serves its new certificate and
    // verifies clients against the new CA.
    assert_eq!(
        render(server.grpc, &new_ca, Some(&new_client)).await,
        Ok(())
    );
    assert_eq!(
        render(server.grpc, &new_ca, Some(&old_client)).await,
        Err(Code::Unavailable),
        "a client certificate of the replaced CA must fail the handshake"
    );
    server.stop().await;
}

#[tokio::test]
async fn unusable_files_stop_the_server_at_start_naming_the_file() {
    let pki = Pki::new();
    let server = pki.issue("snapshot");
    let other = pki.issue("other");
    let mismatched = Issued {
        key_file: other.key_file.clone(),
        ..server.clone()
    };
    let missing = Issued {
        cert_file: pki.dir.join("missing.crt"),
        ..server.clone()
    };
    for files in [mismatched, missing] {
        let err = match Server::bind(pki.server_config(&files, &[])).await {
            Ok(_) => panic!("started with {:?}", files.cert_file),
            Err(e) => e.to_string(),
        };
        assert!(
            err.contains(&files.cert_file.display().to_string()),
            "{err}"
        );
    }
}
