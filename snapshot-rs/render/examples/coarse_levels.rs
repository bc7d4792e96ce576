//! How should coarse tiles of the pyramid be built: from strokes, or from their four child tiles?
//!
//! A board of real drawings covering 32 × 32 level-0 tiles (level 5 is one tile) is rendered at every
//! level both ways, and one JSON object is printed, per level:
//!
//! - `from_strokes_full_ms`: a tile rendered from all its strokes (a snapshot with no usable base);
//! - `from_strokes_incremental_ms`: a tile's newest 64 strokes (the snapshot policy's threshold) drawn
//!   on its previous snapshot, which is what tile-delta-go does when a delta passes the threshold;
//! - `from_children_ms`: the tile built from its four children's PNGs (decode, 2 × 2 box filter on
//!   premultiplied pixels, encode), each child itself built from its children down to level 0;
//! - `from_children_mean_abs_diff` and `from_children_pixels_off_pct`: how far that tile is from the
//!   one drawn from strokes (mean absolute difference per premultiplied channel, and the share of
//!   pixels off by more than 64 in a channel).
//!
//! `cargo run --release -p infidraw-render --example coarse_levels [-- DATA_DIR [ROUNDS]]`

mod common;

use std::collections::BTreeMap;
use std::io::Cursor;

use common::{Rng, data_dir, load, place, round, time_ms};
use infidraw_render::{Stroke, TILE_PX, TileCoord, decode_stroke, render_tile, tiles_touched};
use png::{BitDepth, ColorType, Compression, Decoder, Encoder, Transformations};

/// The board covers this many level-0 tiles on a side; its coarsest level is log2 of it.
const SIDE_TILES: u32 = 32;
const TOP_LEVEL: u32 = SIDE_TILES.ilog2();
/// Drawings placed on the board at their natural size (about 255 world units each).
const DRAWINGS: usize = 2_500;
/// The snapshot policy's default threshold (TILE_DELTA_SNAPSHOT_STROKES).
const BATCH: usize = 64;

/// Premultiplied RGBA8 pixels of a `TILE_PX`-square tile.
type Pixels = Vec<[u8; 4]>;

fn decode(png_bytes: &[u8]) -> Pixels {
    let mut decoder = Decoder::new(Cursor::new(png_bytes));
    decoder.set_transformations(Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    reader.next_frame(&mut buf).unwrap();
    assert_eq!(
        reader.output_color_type(),
        (ColorType::Rgba, BitDepth::Eight)
    );
    buf.chunks_exact(4)
        .map(|p| {
            let a = u16::from(p[3]);
            let pm = |c: u8| ((u16::from(c) * a + 127) / 255) as u8;
            [pm(p[0]), pm(p[1]), pm(p[2]), p[3]]
        })
        .collect()
}

fn encode(px: &Pixels) -> Vec<u8> {
    let mut rgba = Vec::with_capacity(px.len() * 4);
    for &[r, g, b, a] in px {
        let dm = |c: u8| match a {
            0 => 0,
            _ => ((u32::from(c) * 510 + u32::from(a)) / (2 * u32::from(a))).min(255) as u8,
        };
        rgba.extend_from_slice(&[dm(r), dm(g), dm(b), a]);
    }
    let mut out = Vec::new();
    let mut encoder = Encoder::new(&mut out, TILE_PX, TILE_PX);
    encoder.set_color(ColorType::Rgba);
    encoder.set_depth(BitDepth::Eight);
    encoder.set_compression(Compression::Fast);
    let mut writer = encoder.write_header().unwrap();
    writer.write_image_data(&rgba).unwrap();
    writer.finish().unwrap();
    out
}

/// A parent tile from its four children's PNGs (missing children are transparent).
fn from_children(children: [Option<&Vec<u8>>; 4]) -> Vec<u8> {
    let n = TILE_PX as usize;
    let half = n / 2;
    let mut out = vec![[0u8; 4]; n * n];
    for (i, child) in children.iter().enumerate() {
        let Some(png_bytes) = child else { continue };
        let px = decode(png_bytes);
        let (ox, oy) = ((i % 2) * half, (i / 2) * half);
        for y in 0..half {
            for x in 0..half {
                let at = |dx: usize, dy: usize| px[(2 * y + dy) * n + 2 * x + dx];
                let mut sum = [0u32; 4];
                for p in [at(0, 0), at(1, 0), at(0, 1), at(1, 1)] {
                    for c in 0..4 {
                        sum[c] += u32::from(p[c]);
                    }
                }
                out[(oy + y) * n + ox + x] = sum.map(|s| ((s + 2) / 4) as u8);
            }
        }
    }
    encode(&out)
}

/// Mean absolute difference per premultiplied channel, and the share of pixels off by more than 64.
fn difference(a: &[u8], b: &[u8]) -> (f64, f64) {
    let (a, b) = (decode(a), decode(b));
    let (mut sum, mut off) = (0u64, 0usize);
    for (p, q) in a.iter().zip(&b) {
        let d: Vec<u8> = (0..4).map(|c| p[c].abs_diff(q[c])).collect();
        sum += d.iter().map(|&v| u64::from(v)).sum::<u64>();
        off += usize::from(d.iter().any(|&v| v > 64));
    }
    (
        sum as f64 / (a.len() * 4) as f64,
        100.0 * off as f64 / a.len() as f64,
    )
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = data_dir(args.next());
    let rounds: u32 = args.next().map_or(3, |r| r.parse().expect("ROUNDS"));
    let drawings = load(&dir);
    let mut rng = Rng(0x51_7cc1_b727_220a);
    let side = f64::from(SIDE_TILES * TILE_PX) - 260.0;
    let mut board: Vec<Stroke> = Vec::new();
    for i in 0..DRAWINGS {
        let (ox, oy) = (rng.below(side as u64) as f64, rng.below(side as u64) as f64);
        board.extend(place(&drawings[i % drawings.len()], 1.0, ox, oy, &mut rng));
    }
    let decoded: Vec<_> = board.iter().map(|s| decode_stroke(s).unwrap()).collect();

    // The strokes of every tile of every level, in board order.
    let mut levels: Vec<BTreeMap<TileCoord, Vec<Stroke>>> = Vec::new();
    for level in 0..=TOP_LEVEL {
        let mut tiles: BTreeMap<TileCoord, Vec<Stroke>> = BTreeMap::new();
        for (s, d) in board.iter().zip(&decoded) {
            for t in tiles_touched(d, level).unwrap() {
                tiles.entry(t).or_default().push(s.clone());
            }
        }
        levels.push(tiles);
    }
    let exact: Vec<BTreeMap<TileCoord, Vec<u8>>> = levels
        .iter()
        .map(|tiles| {
            tiles
                .iter()
                .map(|(t, ss)| (*t, render_tile(*t, TILE_PX, None, ss).unwrap().png))
                .collect()
        })
        .collect();

    let mut built = exact[0].clone();
    let mut out = Vec::new();
    for level in 1..=TOP_LEVEL as usize {
        let tiles = &levels[level];
        let n = tiles.len() as f64;
        let strokes_per_tile = tiles.values().map(Vec::len).sum::<usize>() as f64 / n;
        let full_ms = time_ms(rounds, || {
            for (t, ss) in tiles {
                render_tile(*t, TILE_PX, None, ss).unwrap();
            }
        }) / n;
        let bases: Vec<(TileCoord, Vec<u8>, &[Stroke])> = tiles
            .iter()
            .map(|(t, ss)| {
                let (old, new) = ss.split_at(ss.len().saturating_sub(BATCH));
                (*t, render_tile(*t, TILE_PX, None, old).unwrap().png, new)
            })
            .collect();
        let incremental_ms = time_ms(rounds, || {
            for (t, base, new) in &bases {
                render_tile(*t, TILE_PX, Some(base), new).unwrap();
            }
        }) / n;
        let children = |t: &TileCoord| {
            let (cx, cy, cl) = (2 * t.x, 2 * t.y, t.level - 1);
            [(0, 0), (1, 0), (0, 1), (1, 1)]
                .map(|(dx, dy)| built.get(&TileCoord::new(cl, cx + dx, cy + dy)))
        };
        let mut next = BTreeMap::new();
        let children_ms = time_ms(rounds, || {
            next = tiles
                .keys()
                .map(|t| (*t, from_children(children(t))))
                .collect();
        }) / n;
        let (mut diff, mut off) = (0.0, 0.0);
        for (t, png_bytes) in &next {
            let (d, o) = difference(png_bytes, &exact[level][t]);
            diff += d / n;
            off += o / n;
        }
        built = next;
        out.push(serde_json::json!({
            "level": level,
            "tiles": tiles.len(),
            "mean_strokes_per_tile": round(strokes_per_tile),
            "from_strokes_full_ms": round(full_ms),
            "from_strokes_incremental_ms": round(incremental_ms),
            "from_children_ms": round(children_ms),
            "from_children_mean_abs_diff": round(diff),
            "from_children_pixels_off_pct": round(off),
        }));
    }
    println!(
        "{}",
        serde_json::json!({"rounds": rounds, "strokes": board.len(), "incremental_batch": BATCH, "levels": out})
    );
}
