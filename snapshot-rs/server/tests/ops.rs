//! What operators and probes rely on: gRPC health and reflection, /healthz and /metrics, signals,
//! configuration errors.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{coord, pen_line, start};
use infidraw_snapshot_server::proto::render::v1::RenderTileRequest;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::{v1, v1alpha};

const SERVICE: &str = "infidraw.render.v1.RenderService";

#[tokio::test]
async fn health_says_serving_for_the_server_and_the_service() {
    let server = start().await;
    let mut health = HealthClient::new(server.channel().await);
    for service in ["", SERVICE] {
        let resp = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(resp.status(), ServingStatus::Serving, "{service:?}");
    }
    let unknown = health
        .check(HealthCheckRequest {
            service: "nope.Service".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), tonic::Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn reflection_lists_the_service_in_v1_and_v1alpha() {
    let server = start().await;
    let channel = server.channel().await;

    let mut client = v1::server_reflection_client::ServerReflectionClient::new(channel.clone());
    let request = v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(v1::server_reflection_request::MessageRequest::ListServices(
            String::new(),
        )),
    };
    let mut stream = client
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .unwrap()
        .into_inner();
    let resp = stream.message().await.unwrap().unwrap();
    let Some(v1::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        resp.message_response
    else {
        panic!("not a list: {resp:?}");
    };
    let names: Vec<_> = list.service.into_iter().map(|s| s.name).collect();
    assert!(names.iter().any(|n| n == SERVICE), "{names:?}");
    assert!(
        names.iter().any(|n| n == "grpc.health.v1.Health"),
        "{names:?}"
    );

    // The file of the service resolves with its imports, so grpcurl can describe it.
    let request = v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            v1::server_reflection_request::MessageRequest::FileContainingSymbol(SERVICE.into()),
        ),
    };
    let mut stream = client
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .unwrap()
        .into_inner();
    let resp = stream.message().await.unwrap().unwrap();
    assert!(matches!(
        resp.message_response,
        Some(v1::server_reflection_response::MessageResponse::FileDescriptorResponse(ref f))
            if !f.file_descriptor_proto.is_empty()
    ));

    let mut alpha = v1alpha::server_reflection_client::ServerReflectionClient::new(channel);
    let request = v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            v1alpha::server_reflection_request::MessageRequest::ListServices(String::new()),
        ),
    };
    let mut stream = alpha
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .unwrap()
        .into_inner();
    let resp = stream.message().await.unwrap().unwrap();
    let Some(v1alpha::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        resp.message_response
    else {
        panic!("not a list: {resp:?}");
    };
    assert!(list.service.iter().any(|s| s.name == SERVICE));
    server.stop().await;
}

#[tokio::test]
async fn healthz_and_metrics_answer() {
    let server = start().await;
    assert_eq!(server.http_get("/healthz").await, (200, "ok".to_string()));
    assert_eq!(server.http_get("/nope").await.0, 404);

    let mut client = server.client().await;
    client
        .render_tile(RenderTileRequest {
            coord: coord(0, 0, 0),
            base_png: Default::default(),
            strokes: vec![pen_line((1.0, 1.0), (100.0, 100.0))],
            size_px: 256,
        })
        .await
        .unwrap();
    client
        .render_tile(RenderTileRequest {
            coord: None,
            ..Default::default()
        })
        .await
        .unwrap_err();

    let (status, body) = server.http_get("/metrics").await;
    assert_eq!(status, 200);
    for line in [
        "snapshot_renders_total{rpc=\"RenderTile\"} 1",
        "snapshot_render_errors_total{code=\"InvalidArgument\",rpc=\"RenderTile\"} 1",
        "snapshot_render_duration_seconds_count{rpc=\"RenderTile\"} 1",
        "snapshot_strokes_per_tile_sum 1",
        "snapshot_renders_in_flight 0",
        "snapshot_png_bytes_count{rpc=\"RenderTile\"} 1",
    ] {
        assert!(
            body.lines().any(|l| l == line),
            "missing {line:?} in\n{body}"
        );
    }
    server.stop().await;
}

/// The real binary, started with ephemeral ports; its listen addresses come from its log.
struct Process {
    child: std::process::Child,
    grpc: String,
    http: String,
    log: std::sync::mpsc::Receiver<String>,
}

fn spawn_server() -> Process {
    let mut child = Command::new(env!("CARGO_BIN_EXE_snapshot-server"))
        .env("SNAPSHOT_GRPC_LISTEN", "127.0.0.1:0")
        .env("SNAPSHOT_HTTP_LISTEN", "127.0.0.1:0")
        .env("LOG_LEVEL", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let line = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the server logs when it listens");
    let v: serde_json::Value = serde_json::from_str(&line).expect("logs are JSON lines");
    assert_eq!(v["message"], "listening", "{line}");
    assert_eq!(v["level"], "INFO");
    Process {
        grpc: v["grpc"].as_str().unwrap().to_string(),
        http: v["http"].as_str().unwrap().to_string(),
        child,
        log: rx,
    }
}

fn get(addr: &str, path: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

fn wait_exit(child: &mut std::process::Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "the server did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigterm_and_sigint_drain_and_exit_zero() {
    for signal in ["-TERM", "-INT"] {
        let mut p = spawn_server();
        assert!(get(&p.http, "/healthz").ends_with("\r\n\r\nok"));
        assert!(TcpStream::connect(&p.grpc).is_ok());
        let killed = Command::new("kill")
            .arg(signal)
            .arg(p.child.id().to_string())
            .status()
            .unwrap();
        assert!(killed.success());
        let status = wait_exit(&mut p.child);
        assert_eq!(status.code(), Some(0), "{signal}");
        // The process has exited, but its last lines may still be on their way from the reader thread:
        // read until it hangs up (end of stdout).
        let log: Vec<String> =
            std::iter::from_fn(|| p.log.recv_timeout(Duration::from_secs(5)).ok()).collect();
        assert!(
            log.iter().any(|l| l.contains("\"message\":\"stopped\"")),
            "{signal}: {log:?}"
        );
    }
}

#[test]
fn bad_configuration_exits_non_zero_with_a_clear_message() {
    let out = Command::new(env!("CARGO_BIN_EXE_snapshot-server"))
        .env("SNAPSHOT_MAX_REQUEST_BYTES", "a lot")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("SNAPSHOT_MAX_REQUEST_BYTES=\"a lot\" is invalid"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(v["level"], "ERROR");

    // A port already in use: cannot listen, exit 1.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_snapshot-server"))
        .env(
            "SNAPSHOT_GRPC_LISTEN",
            taken.local_addr().unwrap().to_string(),
        )
        .env("SNAPSHOT_HTTP_LISTEN", "127.0.0.1:0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("gRPC listen"));
}

#[tokio::test]
async fn shutdown_lets_in_flight_renders_finish() {
    use infidraw_snapshot_server::proto::render::v1::RenderTileRequest;
    let server = start().await;
    let mut client = server.client().await;
    // A tile busy enough to still be rendering when the shutdown starts (hundreds of milliseconds): a
    // wide stroke zig-zagging across the whole tile 2000 times.
    let zigzag: Vec<(f64, f64)> = (0..2_000)
        .map(|i| (if i % 2 == 0 { 2.0 } else { 254.0 }, f64::from(i % 256)))
        .collect();
    let strokes = vec![common::stroke(
        infidraw_render::Tool::Pen,
        0x000000ff,
        40.0,
        &zigzag,
    )];
    let call = tokio::spawn(async move {
        client
            .render_tile(RenderTileRequest {
                coord: common::coord(0, 0, 0),
                base_png: Default::default(),
                strokes,
                size_px: 512,
            })
            .await
    });
    // Stop only once the render is running.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server
        .http_get("/metrics")
        .await
        .1
        .lines()
        .any(|l| l == "snapshot_renders_in_flight 1")
    {
        assert!(Instant::now() < deadline, "the render never started");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let http = server.http;
    server.stop().await;
    let png = call
        .await
        .unwrap()
        .expect("the in-flight render completes")
        .into_inner()
        .png;
    assert_eq!(common::decode_png(&png).0, 512);
    // Both listeners are closed after the drain.
    assert!(tokio::net::TcpStream::connect(http).await.is_err());
}
