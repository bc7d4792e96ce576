//! RenderTile, RenderTiles and RenderRegion over a real socket.

mod common;

use std::collections::BTreeSet;

use common::{alpha, coord, decode_png, pen_line, start};
use infidraw_snapshot_server::proto::render::v1::{
    RenderRegionRequest, RenderTileRequest, RenderTilesRequest,
};

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

#[tokio::test]
async fn render_tiles_streams_every_tag_back() {
    let server = start().await;
    let mut client = server.client().await;
    const N: u64 = 24;
    let requests: Vec<RenderTilesRequest> = (0..N)
        .map(|tag| {
            let x = tag as i32 - 12;
            // A line through the middle of tile (x, 0).
            let left = f64::from(x) * 256.0;
            RenderTilesRequest {
                tag: 1000 + tag,
                tile: Some(RenderTileRequest {
                    coord: coord(0, x, 0),
                    base_png: Default::default(),
                    strokes: vec![pen_line((left + 10.0, 128.0), (left + 246.0, 128.0))],
                    size_px: 256,
                }),
            }
        })
        .collect();
    let mut stream = client
        .render_tiles(tokio_stream::iter(requests))
        .await
        .unwrap()
        .into_inner();
    let mut tags = BTreeSet::new();
    while let Some(resp) = stream.message().await.unwrap() {
        assert!(resp.error.is_empty(), "tag {}: {}", resp.tag, resp.error);
        let tile = resp.tile.expect("tile set when no error");
        assert_eq!(tile.strokes_drawn, 1);
        let (w, _, px) = decode_png(&tile.png);
        assert_eq!(alpha(&px, w, 128, 128), 255, "tag {}", resp.tag);
        assert!(tags.insert(resp.tag), "tag {} twice", resp.tag);
    }
    assert_eq!(tags, (1000..1000 + N).collect());
    server.stop().await;
}

#[tokio::test]
async fn render_tiles_reports_bad_tiles_by_tag_and_goes_on() {
    let server = start().await;
    let mut client = server.client().await;
    let good = |tag| RenderTilesRequest {
        tag,
        tile: Some(RenderTileRequest {
            coord: coord(0, 0, 0),
            base_png: Default::default(),
            strokes: vec![pen_line((10.0, 10.0), (200.0, 200.0))],
            size_px: 256,
        }),
    };
    let bad_size = RenderTilesRequest {
        tag: 2,
        tile: Some(RenderTileRequest {
            size_px: 300,
            ..good(0).tile.unwrap()
        }),
    };
    let no_tile = RenderTilesRequest { tag: 3, tile: None };
    let mut stream = client
        .render_tiles(tokio_stream::iter(vec![
            good(1),
            bad_size,
            no_tile,
            good(4),
        ]))
        .await
        .unwrap()
        .into_inner();
    let mut seen = Vec::new();
    while let Some(resp) = stream.message().await.unwrap() {
        match resp.tag {
            1 | 4 => assert!(resp.tile.is_some() && resp.error.is_empty()),
            2 => {
                assert!(resp.tile.is_none());
                assert_eq!(resp.error, "size_px 300 is not 256 or 512");
            }
            3 => assert_eq!(resp.error, "tile is required"),
            t => panic!("unknown tag {t}"),
        }
        seen.push(resp.tag);
    }
    seen.sort();
    assert_eq!(seen, vec![1, 2, 3, 4]);
    server.stop().await;
}

#[tokio::test]
async fn render_region_draws_any_rectangle() {
    let server = start().await;
    let mut client = server.client().await;
    let resp = client
        .render_region(RenderRegionRequest {
            min_x: -25_600,
            min_y: -25_600,
            max_x: 25_600,
            max_y: 25_600,
            width_px: 300,
            height_px: 300,
            strokes: vec![pen_line((-200.0, 0.0), (200.0, 0.0))],
            background_rgba: 0xffffffff,
        })
        .await
        .unwrap()
        .into_inner();
    let (w, h, px) = decode_png(&resp.png);
    assert_eq!((w, h), (300, 300));
    let i = ((150 * w + 150) * 4) as usize;
    assert_eq!(&px[i..i + 4], &[0, 0, 0, 255]);
    let j = ((20 * w + 150) * 4) as usize;
    assert_eq!(&px[j..j + 4], &[255, 255, 255, 255]);
    server.stop().await;
}
