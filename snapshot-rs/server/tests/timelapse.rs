//! RenderTimelapse over a real socket: the header, progress and a WebM file that reads back with the
//! frames and duration asked for; bad requests refused; a cancelled request stops its encode.

mod common;

use std::time::{Duration, Instant};

use common::{TestServer, pen_line, start, stroke};
use infidraw_render::Tool;
use infidraw_snapshot_server::VIDEO_PART_BYTES;
use infidraw_snapshot_server::proto::render::v1::render_timelapse_response::Part;
use infidraw_snapshot_server::proto::render::v1::{RenderTimelapseRequest, TimelapseFrame};
use infidraw_snapshot_server::proto::tile::v1::{TimelapseHeader, Viewport};
use infidraw_video::read_webm;
use tonic::Code;

fn frame(show: &[u32], hide: &[u32]) -> TimelapseFrame {
    TimelapseFrame {
        show: show.to_vec(),
        hide: hide.to_vec(),
    }
}

/// Three strokes over twelve frames at 10 fps, 64 × 48 pixels of a 256 × 192 unit region.
fn request() -> RenderTimelapseRequest {
    let mut frames = vec![frame(&[], &[]); 12];
    frames[1] = frame(&[0], &[]);
    frames[4] = frame(&[1, 2], &[]);
    frames[8] = frame(&[], &[1]);
    RenderTimelapseRequest {
        region: Some(Viewport {
            min_x: 0,
            min_y: 0,
            max_x: 25_600,
            max_y: 19_200,
        }),
        width_px: 64,
        height_px: 48,
        frame_rate: 10,
        strokes: vec![
            pen_line((10.0, 10.0), (240.0, 180.0)),
            stroke(
                Tool::Highlighter,
                0xff000080,
                20.0,
                &[(10.0, 90.0), (240.0, 90.0)],
            ),
            stroke(Tool::PixelEraser, 0, 12.0, &[(128.0, 0.0), (128.0, 192.0)]),
        ],
        frames,
        background_rgba: 0,
        from_seq: 41,
        to_seq: 97,
    }
}

/// Every part of a timelapse's stream, in order.
struct Parts {
    header: TimelapseHeader,
    progress: Vec<(u32, u32)>,
    video: Vec<usize>,
    file: Vec<u8>,
}

async fn timelapse(
    server: &TestServer,
    req: RenderTimelapseRequest,
) -> Result<Parts, tonic::Status> {
    let mut client = server.client().await;
    let mut stream = client.render_timelapse(req).await?.into_inner();
    let first = stream.message().await?.expect("a first message");
    let Some(Part::Header(header)) = first.part else {
        panic!("the first message is not the header: {first:?}");
    };
    let mut parts = Parts {
        header,
        progress: Vec::new(),
        video: Vec::new(),
        file: Vec::new(),
    };
    while let Some(msg) = stream.message().await? {
        match msg.part.expect("a part") {
            Part::Header(_) => panic!("a second header"),
            Part::Progress(p) => {
                assert!(parts.video.is_empty(), "progress after video bytes");
                parts.progress.push((p.frames_done, p.frames));
            }
            Part::Video(bytes) => {
                parts.video.push(bytes.len());
                parts.file.extend_from_slice(&bytes);
            }
        }
    }
    Ok(parts)
}

#[tokio::test]
async fn a_timelapse_streams_its_header_progress_and_a_webm_of_its_frames() {
    let server = start().await;
    let parts = timelapse(&server, request()).await.unwrap();
    assert_eq!(
        parts.header,
        TimelapseHeader {
            content_type: "video/webm".into(),
            frames: 12,
            frame_rate: 10,
            width_px: 64,
            height_px: 48,
            from_seq: 41,
            to_seq: 97,
            strokes: 3,
        }
    );
    assert_eq!(parts.progress.last(), Some(&(12, 12)));
    assert!(
        parts.progress.windows(2).all(|w| w[0].0 < w[1].0),
        "{:?}",
        parts.progress
    );
    assert!(!parts.video.is_empty());
    let info = read_webm(&parts.file).unwrap();
    assert_eq!(info.codec_id, "V_VP8");
    assert_eq!((info.width, info.height), (64, 48));
    assert_eq!(info.frames.len(), 12);
    assert_eq!(info.duration, 1200.0, "12 frames at 10 fps, in ms");

    let (_, metrics) = server.http_get("/metrics").await;
    assert!(
        metrics.contains("snapshot_timelapse_frames_total 12"),
        "{metrics}"
    );
    assert!(
        metrics.contains("snapshot_timelapse_seconds_count 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("snapshot_renders_total{rpc=\"RenderTimelapse\"} 1"),
        "{metrics}"
    );
    server.stop().await;
}

#[tokio::test]
async fn progress_is_sent_every_five_percent_or_quarter_second_and_large_videos_come_in_parts() {
    let server = start().await;
    // Ten sets of 40 wide zigzags in many colours across 1280 × 720; each frame shows the next set
    // and hides the last, so every frame changes everywhere: a file of several MiB.
    let strokes: Vec<_> = (0..400u32)
        .map(|i| {
            let y = f64::from(i % 40) * 18.0 + f64::from(i / 40);
            let points: Vec<(f64, f64)> = (0..40)
                .map(|k| (f64::from(k) * 33.0, y + f64::from((k + i) % 3) * 9.0))
                .collect();
            stroke(
                Tool::Pen,
                (i.wrapping_mul(0x9e37_79b9) & 0xffff_ff00) | 0xff,
                6.0,
                &points,
            )
        })
        .collect();
    let frames: Vec<_> = (0..60u32)
        .map(|k| {
            let set = |k: u32| (k % 10 * 40..k % 10 * 40 + 40).collect::<Vec<u32>>();
            let hidden = if k == 0 { vec![] } else { set(k - 1) };
            frame(&set(k), &hidden)
        })
        .collect();
    let req = RenderTimelapseRequest {
        region: Some(Viewport {
            min_x: 0,
            min_y: 0,
            max_x: 128_000,
            max_y: 72_000,
        }),
        width_px: 1280,
        height_px: 720,
        frame_rate: 30,
        strokes,
        frames,
        ..request()
    };
    let start_at = Instant::now();
    let parts = timelapse(&server, req).await.unwrap();
    let elapsed_ms = start_at.elapsed().as_millis() as usize;
    assert_eq!(parts.progress.last(), Some(&(60, 60)));
    // One for each 5 % (three frames), more only when a quarter second passed between frames.
    let most = 20 + elapsed_ms / 250 + 1;
    assert!(
        parts.progress.len() <= most && parts.progress.len() < 60,
        "{} progress messages in {elapsed_ms} ms: {:?}",
        parts.progress.len(),
        parts.progress
    );
    assert!(
        parts.video.iter().all(|&n| n <= VIDEO_PART_BYTES),
        "{:?}",
        parts.video
    );
    assert!(
        parts.video.len() >= 2,
        "a {} byte file in {} parts",
        parts.file.len(),
        parts.video.len()
    );
    assert_eq!(read_webm(&parts.file).unwrap().frames.len(), 60);
    server.stop().await;
}

#[tokio::test]
async fn bad_timelapses_are_invalid_argument_with_a_reason() {
    let server = start().await;
    let bad_stroke = {
        let mut r = request();
        r.strokes[1].width = 0;
        r
    };
    let cases: Vec<(RenderTimelapseRequest, &str)> = vec![
        (
            RenderTimelapseRequest {
                region: None,
                ..request()
            },
            "region is required",
        ),
        (
            RenderTimelapseRequest {
                width_px: 63,
                ..request()
            },
            "video size 63x48 px must be even",
        ),
        (
            RenderTimelapseRequest {
                height_px: 1082,
                ..request()
            },
            "video size 64x1082 px must be even",
        ),
        (
            RenderTimelapseRequest {
                frame_rate: 0,
                ..request()
            },
            "frame rate 0 is outside 1..60",
        ),
        (
            RenderTimelapseRequest {
                frames: vec![],
                ..request()
            },
            "0 frames; a video has 1..3600",
        ),
        (
            RenderTimelapseRequest {
                frames: vec![frame(&[], &[]), frame(&[0], &[3])],
                ..request()
            },
            "frame 1 names stroke 3 but there are 3 strokes",
        ),
        (
            RenderTimelapseRequest {
                region: Some(Viewport {
                    min_x: 10,
                    min_y: 0,
                    max_x: 10,
                    max_y: 100,
                }),
                ..request()
            },
            "region",
        ),
        (bad_stroke, "stroke 1"),
    ];
    let mut client = server.client().await;
    for (req, message) in cases {
        let status = client
            .render_timelapse(req)
            .await
            .expect_err("refused before any part");
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert!(
            status.message().starts_with(message),
            "{:?} does not start with {message:?}",
            status.message()
        );
    }
    let (_, metrics) = server.http_get("/metrics").await;
    assert!(
        metrics.contains(
            "snapshot_render_errors_total{code=\"InvalidArgument\",rpc=\"RenderTimelapse\"} 8"
        ),
        "{metrics}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_cancelled_timelapse_stops_encoding() {
    let server = start().await;
    // 3,600 frames of 1920 × 1080: about a minute of work if it ran to the end.
    let req = RenderTimelapseRequest {
        width_px: 1920,
        height_px: 1080,
        frame_rate: 60,
        frames: (0..3600).map(|k| frame(&[k % 3], &[(k + 1) % 3])).collect(),
        ..request()
    };
    let mut client = server.client().await;
    let mut stream = client.render_timelapse(req).await.unwrap().into_inner();
    let first = stream.message().await.unwrap().unwrap();
    assert!(matches!(first.part, Some(Part::Header(_))));
    drop(stream);
    let cancelled = "snapshot_render_errors_total{code=\"Cancelled\",rpc=\"RenderTimelapse\"} 1";
    // Polled with a deadline: the encoder notices at its next frame.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, metrics) = server.http_get("/metrics").await;
        if metrics.contains(cancelled) {
            assert!(
                metrics.contains("snapshot_renders_in_flight 0"),
                "{metrics}"
            );
            assert!(
                !metrics.contains("snapshot_timelapse_frames_total 3600"),
                "{metrics}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "the encode went on: {metrics}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.stop().await;
}

#[tokio::test]
async fn fifty_thousand_strokes_of_a_hundred_points_fit_the_default_request_limit() {
    use infidraw_render::{Point, encode_stroke};
    use prost::Message;

    let server = start().await;
    // A random walk of steps up to ±40 world units with pressures: about 5 bytes a point.
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move |n: i32| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as i32
    };
    let strokes: Vec<_> = (0..50_000)
        .map(|_| {
            let (mut x, mut y) = (next(1_000_000) - 500_000, next(1_000_000) - 500_000);
            let points: Vec<Point> = (0..100)
                .map(|_| {
                    x += next(8001) - 4000;
                    y += next(8001) - 4000;
                    Point::new(x, y)
                })
                .collect();
            let pressures: Vec<u8> = (0..100).map(|_| next(256) as u8).collect();
            let s = encode_stroke(Tool::Pen, 0x000000ff, 300, &points, &pressures).unwrap();
            infidraw_snapshot_server::proto::stroke::v1::Stroke {
                id: vec![7; 16],
                ..s.into()
            }
        })
        .collect();
    let req = RenderTimelapseRequest {
        width_px: 16,
        height_px: 16,
        strokes,
        frames: vec![frame(&[], &[])],
        ..request()
    };
    let bytes = req.encoded_len();
    assert!(
        bytes < infidraw_snapshot_server::DEFAULT_MAX_REQUEST_BYTES,
        "{bytes} bytes"
    );
    let parts = timelapse(&server, req).await.unwrap();
    assert_eq!(parts.header.strokes, 50_000);
    assert_eq!(read_webm(&parts.file).unwrap().frames.len(), 1);
    server.stop().await;
}
