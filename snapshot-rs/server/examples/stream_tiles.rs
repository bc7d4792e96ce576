//! Load check of a running server: streams tiles through `RenderTiles` and prints tiles per second as
//! JSON. The tiles hold synthetic scribbles (deterministic), so no data folder is needed.
//!
//! `cargo run --release -p infidraw-snapshot-server --example stream_tiles -- [ADDR] [TILES] [STROKES]`
//! (defaults `127.0.0.1:9093`, 400 tiles, 30 strokes per tile).

use std::time::Instant;

use infidraw_render::{Point, Tool, encode_stroke};
use infidraw_snapshot_server::proto::render::v1::render_service_client::RenderServiceClient;
use infidraw_snapshot_server::proto::render::v1::{RenderTileRequest, RenderTilesRequest};
use infidraw_snapshot_server::proto::stroke::v1::Stroke;
use infidraw_snapshot_server::proto::tile::v1::TileCoord;

fn scribble(seed: u64, tile_x: i32, tile_y: i32) -> Stroke {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let (ox, oy) = (tile_x * 25_600, tile_y * 25_600);
    let (mut x, mut y) = ((next() % 25_600) as i32, (next() % 25_600) as i32);
    let points: Vec<Point> = (0..40)
        .map(|_| {
            x = (x + (next() % 1_200) as i32 - 600).clamp(-2_000, 27_600);
            y = (y + (next() % 1_200) as i32 - 600).clamp(-2_000, 27_600);
            Point::new(ox + x, oy + y)
        })
        .collect();
    let pressures: Vec<u8> = (0..points.len())
        .map(|_| 64 + (next() % 160) as u8)
        .collect();
    let s = encode_stroke(Tool::Pen, 0x203040ff, 300, &points, &pressures).unwrap();
    Stroke {
        id: Vec::new(),
        tool: s.tool,
        rgba: s.rgba,
        width: s.width,
        quantum: s.quantum,
        points: s.points,
        pressures: s.pressures,
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:9093".into());
    let tiles: u64 = args.next().map_or(Ok(400), |v| v.parse())?;
    let strokes: u64 = args.next().map_or(Ok(30), |v| v.parse())?;
    let mut client = RenderServiceClient::connect(format!("http://{addr}"))
        .await?
        .max_decoding_message_size(64 << 20);
    let requests: Vec<RenderTilesRequest> = (0..tiles)
        .map(|tag| {
            let (x, y) = ((tag % 20) as i32, (tag / 20) as i32);
            RenderTilesRequest {
                tag,
                tile: Some(RenderTileRequest {
                    coord: Some(TileCoord { level: 0, x, y }),
                    base_png: Default::default(),
                    strokes: (0..strokes)
                        .map(|i| scribble(tag * 1000 + i, x, y))
                        .collect(),
                    size_px: 256,
                }),
            }
        })
        .collect();
    let start = Instant::now();
    let mut stream = client
        .render_tiles(tokio_stream::iter(requests))
        .await?
        .into_inner();
    let (mut ok, mut bytes, mut render_micros) = (0u64, 0usize, 0u64);
    while let Some(resp) = stream.message().await? {
        if let Some(tile) = resp.tile {
            ok += 1;
            bytes += tile.png.len();
            render_micros += tile.render_micros;
        } else {
            eprintln!("tag {}: {}", resp.tag, resp.error);
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{{\"tiles\":{ok},\"strokes_per_tile\":{strokes},\"seconds\":{secs:.3},\
         \"tiles_per_second\":{:.1},\"mean_render_ms\":{:.3},\"mean_png_bytes\":{}}}",
        ok as f64 / secs,
        render_micros as f64 / 1000.0 / ok.max(1) as f64,
        bytes / ok.max(1) as usize
    );
    Ok(())
}
