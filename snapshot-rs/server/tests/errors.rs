//! Invalid input is InvalidArgument with a clear message; oversized requests are refused.

mod common;

use common::{coord, pen_line, start, start_with_limit, stroke};
use infidraw_render::Tool;
use infidraw_snapshot_server::proto::render::v1::RenderTileRequest;
use tonic::Code;

/// The error of a call that must fail (without printing a whole PNG when it does not).
#[track_caller]
fn refused<T>(result: Result<tonic::Response<T>, tonic::Status>) -> tonic::Status {
    match result {
        Ok(_) => panic!("the call succeeded"),
        Err(status) => status,
    }
}

fn tile_request() -> RenderTileRequest {
    RenderTileRequest {
        coord: coord(0, 0, 0),
        base_png: Default::default(),
        strokes: vec![pen_line((10.0, 10.0), (100.0, 100.0))],
        size_px: 256,
    }
}

#[tokio::test]
async fn invalid_tiles_are_invalid_argument() {
    let server = start().await;
    let mut client = server.client().await;
    let mut odd = pen_line((0.0, 0.0), (1.0, 1.0));
    odd.points.pop();
    let mut unspecified = pen_line((0.0, 0.0), (1.0, 1.0));
    unspecified.tool = 0;
    let mut far = pen_line((0.0, 0.0), (1.0, 1.0));
    far.quantum = u32::MAX;
    let mut wide = pen_line((0.0, 0.0), (1.0, 1.0));
    wide.width = 100_000;
    // Issue 12's stroke: 10,000 points back and forth between x = 12,800 and x = 104,819,200 (encoded
    // units, quantum 12,800), width 1000; each segment is 4,094 tiles long.
    let mut zigzag = pen_line((0.0, 0.0), (1.0, 1.0));
    zigzag.width = 1000;
    zigzag.quantum = 12_800;
    zigzag.points = vec![1, 1];
    for i in 1..10_000 {
        zigzag
            .points
            .extend([if i % 2 == 1 { 8_188 } else { -8_188 }, 0]);
    }
    let small_png = client
        .render_tile(tile_request())
        .await
        .unwrap()
        .into_inner()
        .png;
    let cases: Vec<(RenderTileRequest, &str)> = vec![
        (
            RenderTileRequest {
                coord: None,
                ..tile_request()
            },
            "coord is required",
        ),
        (
            RenderTileRequest {
                size_px: 300,
                ..tile_request()
            },
            "size_px 300 is not 256 or 512",
        ),
        (
            RenderTileRequest {
                coord: coord(17, 0, 0),
                ..tile_request()
            },
            "level 17 exceeds the maximum 16",
        ),
        (
            RenderTileRequest {
                coord: coord(0, 70_000, 0),
                ..tile_request()
            },
            "tile (70000, 0) lies outside the world at level 0",
        ),
        (
            RenderTileRequest {
                strokes: vec![pen_line((0.0, 0.0), (1.0, 1.0)), odd],
                ..tile_request()
            },
            "stroke 1: points holds 3 values, an odd number (x without y)",
        ),
        (
            RenderTileRequest {
                strokes: vec![unspecified],
                ..tile_request()
            },
            "stroke 0: tool 0 is unspecified or unknown",
        ),
        (
            RenderTileRequest {
                strokes: vec![far],
                ..tile_request()
            },
            "stroke 0: point 1 lies outside ±1000000000 (world units x100)",
        ),
        (
            RenderTileRequest {
                strokes: vec![wide],
                ..tile_request()
            },
            "stroke 0: width 100000 is outside 10..50000 (world units x100)",
        ),
        (
            RenderTileRequest {
                strokes: vec![pen_line((0.0, 0.0), (1.0, 1.0)), zigzag],
                ..tile_request()
            },
            "stroke 1: the stroke's path is 40935906 tiles long at full zoom; the limit is 16384",
        ),
        (
            RenderTileRequest {
                base_png: b"definitely not a png".to_vec().into(),
                ..tile_request()
            },
            "base_png is not a valid PNG",
        ),
        (
            RenderTileRequest {
                base_png: small_png,
                size_px: 512,
                ..tile_request()
            },
            "base_png is 256x256 pixels, the tile is 512x512",
        ),
    ];
    for (req, message) in cases {
        let status = refused(client.render_tile(req).await);
        assert_eq!(status.code(), Code::InvalidArgument, "{message}");
        assert!(
            status.message().starts_with(message),
            "{:?} does not start with {message:?}",
            status.message()
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn oversized_requests_are_refused() {
    let limit = 64 << 10;
    let server = start_with_limit(limit).await;
    let mut client = server.client().await;
    // About 150 KiB of points in six strokes of the most points a stroke may have.
    let points: Vec<(f64, f64)> = (0..10_000).map(|i| (f64::from(i % 250), 10.0)).collect();
    let big = stroke(Tool::Pen, 0x000000ff, 2.0, &points);
    let req = RenderTileRequest {
        strokes: vec![big; 6],
        ..tile_request()
    };
    let status = refused(client.render_tile(req).await);
    assert!(
        matches!(status.code(), Code::OutOfRange | Code::ResourceExhausted),
        "{status:?}"
    );
    // Requests under the limit still work on the same server.
    assert!(client.render_tile(tile_request()).await.is_ok());
    server.stop().await;
}
