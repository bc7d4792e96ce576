//! Micro benchmark of tile rendering on real strokes (Quick, Draw! raw drawings from the shared data
//! folder), printing one JSON object:
//!
//! - `full_ms`: a dense tile of 1000 strokes rendered from nothing; `draw_ms` and `encode_ms` the same
//!   split into drawing its pixels and encoding them as PNG (each its own mean);
//! - `incremental_ms`: 10 more strokes drawn on top of that tile's PNG, decoding it each time;
//! - `incremental_cached_ms`: the same with the base's pixels kept from the render that wrote it
//!   (`render_tile_cached`, as snapshot-server does for the snapshot policy's chain of snapshots):
//!   each round draws on the previous round's PNG;
//! - `typical_ms`: tiles of a board covered with drawings at their natural size (a few to a few
//!   dozen strokes each), averaged over every touched tile.
//!
//! `cargo run --release -p infidraw-render --example bench_tiles [-- DATA_DIR [ROUNDS [FIXTURE_DIR]]]`
//!
//! With FIXTURE_DIR, it also writes there `tiles.json` (these exact tiles: coordinates and wire-form
//! strokes, which the other renderers of bench/ read) and its PNGs for the pixel parity checks:
//! `snapshot-rs-dense.png`, `snapshot-rs-dense-512.png` and `snapshot-rs-board-NNN.png` (NNN the
//! tile's index in `tiles.json`'s board), as the other renderers write theirs.

mod common;

use std::path::PathBuf;

use common::{Rng, data_dir, load, place, round, time_ms};
use infidraw_render::{
    BaseCache, Stroke, TILE_PX, TileCoord, decode_stroke, draw_tile_pixels, encode_tile_pixels,
    render_tile, render_tile_cached, tiles_touched,
};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = data_dir(args.next());
    let rounds: u32 = args.next().map_or(20, |r| r.parse().expect("ROUNDS"));
    let fixture_dir = args.next().map(PathBuf::from);
    let drawings = load(&dir);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let tile = TileCoord::new(0, 0, 0);

    // A dense tile: drawings shrunk to ~120 units, scattered over tile (0, 0) until 1010 strokes.
    let mut dense = Vec::new();
    let mut i = 0;
    while dense.len() < 1010 {
        let d = &drawings[i % drawings.len()];
        i += 1;
        let (ox, oy) = (rng.below(200) as f64 - 20.0, rng.below(200) as f64 - 20.0);
        dense.extend(place(d, 0.3, ox, oy, &mut rng));
    }
    let (base_strokes, extra) = dense.split_at(1000);
    let extra = &extra[..10];
    let points: usize = base_strokes.iter().map(|s| s.points.len() / 2).sum();
    let mut base_png = Vec::new();
    let full_ms = time_ms(rounds, || {
        base_png = render_tile(tile, TILE_PX, None, base_strokes).unwrap().png;
    });
    // The same render in its two steps. Encoding gets its own copy of the pixels each round, made
    // outside the timed part.
    let mut pixels = Vec::new();
    let draw_ms = time_ms(rounds, || {
        pixels = draw_tile_pixels(tile, TILE_PX, base_strokes).unwrap();
    });
    let mut encode_total = std::time::Duration::ZERO;
    for round in 0..=rounds {
        let copy = pixels.clone();
        let start = std::time::Instant::now();
        encode_tile_pixels(TILE_PX, copy).unwrap();
        // Round 0 is the warm-up, as in time_ms.
        if round > 0 {
            encode_total += start.elapsed();
        }
    }
    let encode_ms = encode_total.as_secs_f64() * 1000.0 / f64::from(rounds);
    let incremental_ms = time_ms(rounds * 5, || {
        render_tile(tile, TILE_PX, Some(&base_png), extra).unwrap();
    });
    let cache = BaseCache::new(64 << 20);
    let mut chained = render_tile_cached(tile, TILE_PX, None, base_strokes, &cache)
        .unwrap()
        .png;
    let incremental_cached_ms = time_ms(rounds * 5, || {
        let r = render_tile_cached(tile, TILE_PX, Some(&chained), extra, &cache).unwrap();
        assert!(
            r.base_from_cache,
            "the previous round's PNG was not in the cache"
        );
        chained = r.png;
    });
    let mut png_512 = Vec::new();
    let full_512_ms = time_ms(rounds, || {
        png_512 = render_tile(tile, 2 * TILE_PX, None, base_strokes)
            .unwrap()
            .png;
    });

    // A board: drawings at natural size on a 2000 × 2000 unit area, rendered tile by tile.
    let mut board = Vec::new();
    for d in drawings.iter().take(120) {
        let (ox, oy) = (rng.below(1700) as f64, rng.below(1700) as f64);
        board.extend(place(d, 1.0, ox, oy, &mut rng));
    }
    let mut per_tile: std::collections::BTreeMap<TileCoord, Vec<Stroke>> = Default::default();
    for s in &board {
        for t in tiles_touched(&decode_stroke(s).unwrap(), 0).unwrap() {
            per_tile.entry(t).or_default().push(s.clone());
        }
    }
    let tiles: Vec<_> = per_tile.into_iter().collect();
    let mean_strokes =
        tiles.iter().map(|(_, s)| s.len()).sum::<usize>() as f64 / tiles.len() as f64;
    let mut board_pngs = Vec::with_capacity(tiles.len());
    let board_ms = time_ms(rounds.div_ceil(4), || {
        board_pngs.clear();
        for (t, strokes) in &tiles {
            board_pngs.push(render_tile(*t, TILE_PX, None, strokes).unwrap().png);
        }
    });
    let png_bytes: usize = board_pngs.iter().map(Vec::len).sum();

    if let Some(dir) = fixture_dir {
        write_fixture(&dir, tile, base_strokes, extra, &tiles);
        let png = |name: &str, bytes: &[u8]| {
            std::fs::write(dir.join(format!("snapshot-rs-{name}.png")), bytes).unwrap()
        };
        png("dense", &base_png);
        png("dense-512", &png_512);
        for (i, p) in board_pngs.iter().enumerate() {
            png(&format!("board-{i:03}"), p);
        }
    }

    println!(
        "{}",
        serde_json::json!({
            "rounds": rounds,
            "dense_tile": {
                "strokes": base_strokes.len(),
                "points": points,
                "full_ms": round(full_ms),
                "draw_ms": round(draw_ms),
                "encode_ms": round(encode_ms),
                "full_512_ms": round(full_512_ms),
                "png_bytes": base_png.len(),
                "incremental_10_strokes_ms": round(incremental_ms),
                "incremental_cached_10_strokes_ms": round(incremental_cached_ms),
            },
            "board": {
                "tiles": tiles.len(),
                "mean_strokes_per_tile": round(mean_strokes),
                "typical_ms": round(board_ms / tiles.len() as f64),
                "mean_png_bytes": png_bytes / tiles.len(),
            },
        })
    );
}

/// Writes the tiles of this run (wire-form strokes) into `dir`.
fn write_fixture(
    dir: &std::path::Path,
    dense: TileCoord,
    base: &[Stroke],
    extra: &[Stroke],
    board: &[(TileCoord, Vec<Stroke>)],
) {
    let coord = |t: TileCoord| serde_json::json!({"level": t.level, "x": t.x, "y": t.y});
    let list = |ss: &[Stroke]| -> Vec<serde_json::Value> {
        ss.iter()
            .map(|s| {
                serde_json::json!({"tool": s.tool, "rgba": s.rgba, "width": s.width,
                    "quantum": s.quantum, "points": s.points, "pressures": s.pressures})
            })
            .collect()
    };
    let fixture = serde_json::json!({
        "tile_px": TILE_PX,
        "dense": {"coord": coord(dense), "base": list(base), "extra": list(extra)},
        "board": board.iter()
            .map(|(t, ss)| serde_json::json!({"coord": coord(*t), "strokes": list(ss)}))
            .collect::<Vec<_>>(),
    });
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("tiles.json"), fixture.to_string()).unwrap();
}
