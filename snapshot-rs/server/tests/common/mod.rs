//! A real server on 127.0.0.1 with ephemeral ports, and helpers to talk to it.

#![allow(dead_code)]

use std::net::SocketAddr;

use infidraw_render::{Point, Tool, encode_stroke};
use infidraw_snapshot_server::proto::render::v1::render_service_client::RenderServiceClient;
use infidraw_snapshot_server::proto::stroke::v1::Stroke;
use infidraw_snapshot_server::proto::tile::v1::TileCoord;
use infidraw_snapshot_server::{Config, LogLevel, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;

pub struct TestServer {
    pub grpc: SocketAddr,
    pub http: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    handle: JoinHandle<()>,
}

/// Starts a server with the default request limit.
pub async fn start() -> TestServer {
    start_with_limit(infidraw_snapshot_server::DEFAULT_MAX_REQUEST_BYTES).await
}

/// Starts a server accepting requests up to `max_request_bytes`.
pub async fn start_with_limit(max_request_bytes: usize) -> TestServer {
    start_with(Config {
        max_request_bytes,
        ..config()
    })
    .await
}

/// The settings of a test server: ephemeral loopback ports, default limits, plaintext.
pub fn config() -> Config {
    Config {
        grpc_listen: "127.0.0.1:0".parse().unwrap(),
        http_listen: "127.0.0.1:0".parse().unwrap(),
        max_request_bytes: infidraw_snapshot_server::DEFAULT_MAX_REQUEST_BYTES,
        base_cache_bytes: infidraw_snapshot_server::DEFAULT_BASE_CACHE_MB << 20,
        log_level: LogLevel::Warn,
        internal_tls: None,
    }
}

/// Starts a server with `config`.
pub async fn start_with(config: Config) -> TestServer {
    let server = Server::bind(config).await.expect("bind");
    let (grpc, http) = (server.grpc_addr(), server.http_addr());
    let (tx, rx) = oneshot::channel();
    let handle = tokio::spawn(async move {
        server
            .run(async {
                let _ = rx.await;
            })
            .await
            .expect("server run");
    });
    TestServer {
        grpc,
        http,
        stop: Some(tx),
        handle,
    }
}

impl TestServer {
    pub async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.grpc))
            .unwrap()
            .connect()
            .await
            .expect("connect")
    }

    pub async fn client(&self) -> RenderServiceClient<Channel> {
        RenderServiceClient::new(self.channel().await)
            .max_decoding_message_size(256 << 20)
            .max_encoding_message_size(256 << 20)
    }

    /// `GET path` on the HTTP port: (status code, body).
    pub async fn http_get(&self, path: &str) -> (u16, String) {
        let mut s = tokio::net::TcpStream::connect(self.http).await.unwrap();
        let req = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes()).await.unwrap();
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await.unwrap();
        let text = String::from_utf8(buf).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        (status, body.to_string())
    }

    /// Signals shutdown and waits until both servers stopped.
    pub async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(std::time::Duration::from_secs(10), self.handle)
            .await
            .expect("server stops within 10 s")
            .unwrap();
    }
}

pub fn coord(level: u32, x: i32, y: i32) -> Option<TileCoord> {
    Some(TileCoord { level, x, y })
}

/// A wire stroke from points in world units.
pub fn stroke(tool: Tool, rgba: u32, width: f64, world: &[(f64, f64)]) -> Stroke {
    let points: Vec<Point> = world
        .iter()
        .map(|&(x, y)| Point::new((x * 100.0) as i32, (y * 100.0) as i32))
        .collect();
    let s = encode_stroke(tool, rgba, (width * 100.0) as u32, &points, &[]).unwrap();
    Stroke {
        id: vec![7; 16],
        ..s.into()
    }
}

pub fn pen_line(from: (f64, f64), to: (f64, f64)) -> Stroke {
    stroke(Tool::Pen, 0x000000ff, 6.0, &[from, to])
}

/// Decodes an RGBA PNG: (width, height, pixels).
pub fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).expect("PNG data");
    assert_eq!(info.color_type, png::ColorType::Rgba);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// Alpha of pixel (x, y) of decoded RGBA pixels `width` wide.
pub fn alpha(pixels: &[u8], width: u32, x: u32, y: u32) -> u8 {
    pixels[((y * width + x) * 4 + 3) as usize]
}
