//! Real human drawings (Quick, Draw! raw strokes, read from the shared data folder, never copied
//! into the repository): quantized, encoded, rendered as tiles; the ink must be where the points are.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use infidraw_render::{
    Point, Region, Stroke, TILE_PX, TileCoord, Tool, decode_stroke, encode_stroke, render_region,
    render_tile, tiles_touched,
};

use crate::common::{Image, assert_pixels, assert_pixels_except};

/// `../shared/` beside the checkout, where the real strokes live (never in the repository).
const DEFAULT_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/strokes/raw"
);
const CATEGORIES: [&str; 4] = ["bicycle", "cake", "The_Eiffel_Tower", "house"];
/// Pen width in world units (× 100 on the wire).
const WIDTH: u32 = 300;

struct Drawing {
    name: String,
    /// Per stroke: points in world units and times in ms.
    strokes: Vec<Vec<(f64, f64, f64)>>,
}

fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var("INFIDRAW_STROKES_DIR").unwrap_or_else(|_| DEFAULT_DIR.into());
    let dir = PathBuf::from(dir);
    dir.is_dir().then_some(dir)
}

/// The first drawing of a category file (one JSON object per line, no trailing newline).
fn read_drawing(dir: &Path, category: &str) -> Option<Drawing> {
    let text = std::fs::read_to_string(dir.join(format!("{category}.ndjson"))).ok()?;
    let line = text.lines().next()?;
    let v: serde_json::Value = serde_json::from_str(line).expect("valid ndjson line");
    let strokes = v["drawing"]
        .as_array()?
        .iter()
        .map(|s| {
            let axis = |i: usize| -> Vec<f64> {
                s[i].as_array()
                    .unwrap()
                    .iter()
                    .map(|n| n.as_f64().unwrap())
                    .collect()
            };
            let (xs, ys, ts) = (axis(0), axis(1), axis(2));
            xs.into_iter()
                .zip(ys)
                .zip(ts)
                .map(|((x, y), t)| (x, y, t))
                .collect()
        })
        .collect();
    Some(Drawing {
        name: format!("{category}-{}", v["key_id"].as_str().unwrap_or("?")),
        strokes,
    })
}

/// Centres the drawing on the world origin (so it spans negative and positive tiles), quantizes and
/// encodes it. With `pressure`, slow pen movement presses harder (derived from the real timing).
fn encode(d: &Drawing, pressure: bool) -> Vec<Stroke> {
    let all = d.strokes.iter().flatten();
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for &(x, y, _) in all {
        (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
    }
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    d.strokes
        .iter()
        .map(|s| {
            let points: Vec<Point> = s
                .iter()
                .map(|&(x, y, _)| {
                    Point::new(
                        ((x - cx) * 100.0).round() as i32,
                        ((y - cy) * 100.0).round() as i32,
                    )
                })
                .collect();
            let pressures: Vec<u8> = if pressure {
                (0..s.len())
                    .map(|i| {
                        let j = if i == 0 { 1.min(s.len() - 1) } else { i - 1 };
                        let (a, b) = (s[i], s[j]);
                        let dist = ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
                        let speed = dist / (a.2 - b.2).abs().max(1.0);
                        (40.0 + 215.0 * (-speed / 0.8).exp()).round() as u8
                    })
                    .collect()
            } else {
                Vec::new()
            };
            encode_stroke(Tool::Pen, 0x1a1a1aff, WIDTH, &points, &pressures).unwrap()
        })
        .collect()
}

fn distance_to_segment(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 {
        0.0
    } else {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
    };
    ((p.0 - a.0 - t * dx).powi(2) + (p.1 - a.1 - t * dy).powi(2)).sqrt()
}

#[test]
fn real_drawings_render_where_their_points_are() {
    let Some(dir) = data_dir() else {
        println!("skipped: {DEFAULT_DIR} is absent (set INFIDRAW_STROKES_DIR to point elsewhere)");
        return;
    };
    let out_dir = std::env::temp_dir().join("infidraw-real-strokes");
    std::fs::create_dir_all(&out_dir).unwrap();
    let mut rendered = 0;
    for (i, category) in CATEGORIES.iter().enumerate() {
        let Some(drawing) = read_drawing(&dir, category) else {
            println!("no {category}.ndjson in {}", dir.display());
            continue;
        };
        let strokes = encode(&drawing, i % 2 == 1);
        let decoded: Vec<_> = strokes.iter().map(|s| decode_stroke(s).unwrap()).collect();

        // Every tile any stroke touches at level 0, each rendered with the strokes touching it.
        let mut tiles = BTreeSet::new();
        let mut per_stroke = Vec::new();
        for d in &decoded {
            let t: BTreeSet<TileCoord> = tiles_touched(d, 0).unwrap().into_iter().collect();
            tiles.extend(t.iter().copied());
            per_stroke.push(t);
        }
        let (tx0, ty0) = tiles
            .iter()
            .fold((i32::MAX, i32::MAX), |(a, b), t| (a.min(t.x), b.min(t.y)));
        let (tx1, ty1) = tiles
            .iter()
            .fold((i32::MIN, i32::MIN), |(a, b), t| (a.max(t.x), b.max(t.y)));
        assert!(tx0 < 0 && ty0 < 0, "centred drawings reach negative tiles");
        let (cols, rows) = ((tx1 - tx0 + 1) as u32, (ty1 - ty0 + 1) as u32);
        let mut canvas = Image {
            width: cols * TILE_PX,
            height: rows * TILE_PX,
            rgba: vec![0; (cols * rows * TILE_PX * TILE_PX * 4) as usize],
        };
        for &t in &tiles {
            let mine: Vec<Stroke> = strokes
                .iter()
                .zip(&per_stroke)
                .filter(|(_, touched)| touched.contains(&t))
                .map(|(s, _)| s.clone())
                .collect();
            let r = render_tile(t, TILE_PX, None, &mine).unwrap();
            assert_eq!(r.strokes_drawn as usize, mine.len(), "{t:?}");
            let img = Image::decode(&r.png);
            let (ox, oy) = ((t.x - tx0) as u32 * TILE_PX, (t.y - ty0) as u32 * TILE_PX);
            for y in 0..TILE_PX {
                let src = (y * TILE_PX * 4) as usize;
                let dst = (((oy + y) * canvas.width + ox) * 4) as usize;
                canvas.rgba[dst..dst + (TILE_PX * 4) as usize]
                    .copy_from_slice(&img.rgba[src..src + (TILE_PX * 4) as usize]);
            }
        }

        // The stitched tiles equal one region render of the same area: no seams.
        let span = i64::from(TILE_PX) * 100;
        let region = Region {
            min_x: i64::from(tx0) * span,
            min_y: i64::from(ty0) * span,
            max_x: i64::from(tx1 + 1) * span,
            max_y: i64::from(ty1 + 1) * span,
            width_px: canvas.width,
            height_px: canvas.height,
            background_rgba: 0,
        };
        let whole = Image::decode(&render_region(&region, &strokes).unwrap());
        // Within one supersample step (1/16) at a few edge pixels where the tile clip cuts a line.
        let what = format!("{}: tiles vs region", drawing.name);
        assert_pixels_except(&whole, &canvas, 2, canvas.inked() / 500, &what);
        assert_pixels(&whole, &canvas, 17, &what);

        // Canvas pixel of a world point.
        let origin = (f64::from(tx0) * 256.0, f64::from(ty0) * 256.0);
        let to_px = |p: Point| {
            (
                f64::from(p.x) / 100.0 - origin.0,
                f64::from(p.y) / 100.0 - origin.1,
            )
        };
        let lines: Vec<Vec<(f64, f64)>> = decoded
            .iter()
            .map(|d| d.points().iter().map(|&p| to_px(p)).collect())
            .collect();

        // The curve passes exactly through the ends and the midpoints of consecutive points.
        let mut on_curve = 0;
        for l in &lines {
            let mut checks = vec![l[0], l[l.len() - 1]];
            checks.extend(
                l.windows(2)
                    .map(|w| ((w[0].0 + w[1].0) / 2.0, (w[0].1 + w[1].1) / 2.0)),
            );
            for (x, y) in checks {
                let a = canvas.alpha(x.floor() as u32, y.floor() as u32);
                assert!(a >= 100, "{}: alpha {a} at ({x:.1}, {y:.1})", drawing.name);
                on_curve += 1;
            }
        }

        // Ink lies near the points: within half the widest pen (1.5 · 3 / 2) plus AA and the
        // smoothing of corners, for nearly every inked pixel.
        let mut inked = 0;
        let mut far = 0;
        for y in 0..canvas.height {
            for x in 0..canvas.width {
                if canvas.alpha(x, y) == 0 {
                    continue;
                }
                inked += 1;
                let c = (f64::from(x) + 0.5, f64::from(y) + 0.5);
                let near = lines.iter().any(|l| {
                    let segs: Vec<_> = if l.len() == 1 {
                        vec![(l[0], l[0])]
                    } else {
                        l.windows(2).map(|w| (w[0], w[1])).collect()
                    };
                    segs.iter()
                        .any(|&(a, b)| distance_to_segment(c, a, b) <= 2.25 + 1.5)
                });
                if !near {
                    far += 1;
                }
            }
        }
        let length: f64 = lines
            .iter()
            .flat_map(|l| l.windows(2))
            .map(|w| ((w[1].0 - w[0].0).powi(2) + (w[1].1 - w[0].1).powi(2)).sqrt())
            .sum();
        let expected = length * f64::from(WIDTH) / 100.0;
        println!(
            "{}: {} strokes, {} tiles, {inked} inked px (≈{expected:.0} expected), {far} far, \
             {on_curve} points on the curve",
            drawing.name,
            strokes.len(),
            tiles.len()
        );
        assert!(
            (inked as f64) > 0.6 * expected && (inked as f64) < 2.5 * expected + 2000.0,
            "coverage {inked} vs {expected:.0}"
        );
        assert!(
            far * 1000 <= inked,
            "{far} of {inked} inked pixels are far from the points"
        );

        let path = out_dir.join(format!("{}.png", drawing.name));
        std::fs::write(
            &path,
            render_region(
                &Region {
                    background_rgba: 0xffffffff,
                    ..region
                },
                &strokes,
            )
            .unwrap(),
        )
        .unwrap();
        println!("wrote {}", path.display());
        rendered += 1;
    }
    assert!(rendered > 0, "no drawing found in {}", dir.display());
}
