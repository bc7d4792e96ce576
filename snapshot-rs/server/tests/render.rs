//! RenderTile over a real socket.

mod common;

use common::{alpha, coord, decode_png, pen_line, start};
use infidraw_snapshot_server::proto::render::v1::RenderTileRequest;

#[tokio::test]
async fn render_tile_returns_a_png_with_ink() {
    let server = start().await;
    let mut client = server.client().await;
    let resp = client
        .render_tile(RenderTileRequest {
            coord: coord(0, 0, 0),
            base_png: Default::default(),
            strokes: vec![pen_line((20.0, 128.0), (236.0, 128.0))],
            size_px: 0,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(resp.strokes_drawn, 1);
    assert!(resp.render_micros > 0);
    let (w, h, px) = decode_png(&resp.png);
    assert_eq!((w, h), (256, 256), "size_px 0 means 256");
    assert_eq!(alpha(&px, w, 128, 128), 255);
    assert_eq!(alpha(&px, w, 128, 100), 0);

    // Incremental: a second stroke drawn on top of the first PNG.
    let resp2 = client
        .render_tile(RenderTileRequest {
            coord: coord(0, 0, 0),
            base_png: resp.png.clone(),
            strokes: vec![pen_line((128.0, 20.0), (128.0, 236.0))],
            size_px: 256,
        })
        .await
        .unwrap()
        .into_inner();
    let (w, _, px) = decode_png(&resp2.png);
    assert_eq!(alpha(&px, w, 128, 128), 255);
    assert_eq!(alpha(&px, w, 40, 128), 255, "the base is kept");
    assert_eq!(alpha(&px, w, 128, 40), 255, "the new stroke is drawn");
    // The base was this server's own last render of the tile: its pixels were kept, not decoded.
    let (_, metrics) = server.http_get("/metrics").await;
    assert!(
        metrics.contains("snapshot_base_cache_total{result=\"hit\"} 1"),
        "{metrics}"
    );
    assert!(!metrics.contains("result=\"miss\""), "{metrics}");

    let big = client
        .render_tile(RenderTileRequest {
            coord: coord(0, 0, 0),
            base_png: Default::default(),
            strokes: vec![pen_line((20.0, 128.0), (236.0, 128.0))],
            size_px: 512,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(decode_png(&big.png).0, 512);
    server.stop().await;
}

/// More calls at once than the server has render slots: each waits for a slot and every tile comes
/// back right (renders run on the blocking pool, at most one per core).
#[tokio::test]
async fn concurrent_tiles_all_come_back() {
    let server = start().await;
    let client = server.client().await;
    let calls: Vec<_> = (-12..12)
        .map(|x| {
            let mut client = client.clone();
            // A line through the middle of tile (x, 0).
            let left = f64::from(x) * 256.0;
            tokio::spawn(async move {
                let resp = client
                    .render_tile(RenderTileRequest {
                        coord: coord(0, x, 0),
                        base_png: Default::default(),
                        strokes: vec![pen_line((left + 10.0, 128.0), (left + 246.0, 128.0))],
                        size_px: 256,
                    })
                    .await
                    .unwrap()
                    .into_inner();
                (x, resp)
            })
        })
        .collect();
    for call in calls {
        let (x, tile) = call.await.unwrap();
        assert_eq!(tile.strokes_drawn, 1, "tile {x}");
        let (w, _, px) = decode_png(&tile.png);
        assert_eq!(alpha(&px, w, 128, 128), 255, "tile {x}");
        assert_eq!(alpha(&px, w, 128, 40), 0, "tile {x}");
    }
    server.stop().await;
}
