//! Load check of a running server: renders tiles through `RenderTile`, as many calls in flight as the
//! server has cores times two, and prints tiles per second as JSON. The tiles hold synthetic scribbles
//! (deterministic), so no data folder is needed.
//!
//! `cargo run --release -p infidraw-snapshot-server --example load_tiles -- [ADDR] [TILES] [STROKES]`
//! (defaults `127.0.0.1:9093`, 400 tiles, 30 strokes per tile).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use infidraw_render::{Point, Tool, encode_stroke};
use infidraw_snapshot_server::proto::render::v1::RenderTileRequest;
use infidraw_snapshot_server::proto::render::v1::render_service_client::RenderServiceClient;
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
    encode_stroke(Tool::Pen, 0x203040ff, 300, &points, &pressures)
        .unwrap()
        .into()
}

/// What one worker rendered: tiles, PNG bytes, and render time reported by the server.
#[derive(Default)]
struct Totals {
    tiles: u64,
    bytes: usize,
    render_micros: u64,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:9093".into());
    let tiles: u64 = args.next().map_or(Ok(400), |v| v.parse())?;
    let strokes: u64 = args.next().map_or(Ok(30), |v| v.parse())?;
    let client = RenderServiceClient::connect(format!("http://{addr}")).await?;
    // Twice the server's render slots (one per core, if it runs here): every slot stays busy.
    let workers = 2 * std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let handles: Vec<_> = (0..workers)
        .map(|_| {
            let (mut client, next) = (client.clone(), next.clone());
            tokio::spawn(async move {
                let mut totals = Totals::default();
                loop {
                    let tag = next.fetch_add(1, Ordering::Relaxed);
                    if tag >= tiles {
                        return totals;
                    }
                    let (x, y) = ((tag % 20) as i32, (tag / 20) as i32);
                    let request = RenderTileRequest {
                        coord: Some(TileCoord { level: 0, x, y }),
                        base_png: Default::default(),
                        strokes: (0..strokes)
                            .map(|i| scribble(tag * 1000 + i, x, y))
                            .collect(),
                        size_px: 256,
                    };
                    match client.render_tile(request).await {
                        Ok(resp) => {
                            let tile = resp.into_inner();
                            totals.tiles += 1;
                            totals.bytes += tile.png.len();
                            totals.render_micros += tile.render_micros;
                        }
                        Err(status) => eprintln!("tile {tag}: {}", status.message()),
                    }
                }
            })
        })
        .collect();
    let mut all = Totals::default();
    for handle in handles {
        let t = handle.await?;
        all.tiles += t.tiles;
        all.bytes += t.bytes;
        all.render_micros += t.render_micros;
    }
    let secs = start.elapsed().as_secs_f64();
    let ok = all.tiles;
    println!(
        "{{\"tiles\":{ok},\"strokes_per_tile\":{strokes},\"seconds\":{secs:.3},\
         \"tiles_per_second\":{:.1},\"mean_render_ms\":{:.3},\"mean_png_bytes\":{}}}",
        ok as f64 / secs,
        all.render_micros as f64 / 1000.0 / ok.max(1) as f64,
        all.bytes / ok.max(1) as usize
    );
    Ok(())
}
