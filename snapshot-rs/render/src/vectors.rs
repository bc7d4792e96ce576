//! The stroke geometry vectors of `docs/testdata/stroke-geometry.json` (written by
//! `scripts/geometry-ref.py` from `docs/tiles.md`): the pen factor, the width floor, the centre line,
//! the pressure means and factors of its pieces, what a tile draws, and flattening. They test private
//! parts of the renderer, so they live inside the crate.

use serde_json::Value;

use crate::codec::{decode_stroke, encode_stroke};
use crate::geometry::{FLATTEN_TOLERANCE, Mapping, P, Piece, centre_line};
use crate::stroke::{DecodedStroke, Point, Tool};
use crate::tile::TileCoord;
use crate::width::{Widths, pen_factor, piece_means, width_px};

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/testdata/stroke-geometry.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).expect("valid JSON")
}

fn float(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().expect("an array").iter().map(float).collect()
}

/// Agreement within the vectors' relative tolerance.
#[track_caller]
fn assert_close(got: f64, want: f64, what: &str) {
    let tolerance = float(&vectors()["tolerances"]["value"]) * want.abs().max(1.0);
    assert!(
        (got - want).abs() <= tolerance,
        "{what}: {got}, want {want}"
    );
}

fn piece(v: &Value) -> Piece {
    let p = |c: &[f64], i: usize| P {
        x: c[i],
        y: c[i + 1],
    };
    if let Some(c) = v.get("quad") {
        let c = floats(c);
        Piece::Quad(p(&c, 0), p(&c, 2), p(&c, 4))
    } else {
        let c = floats(&v["line"]);
        Piece::Line(p(&c, 0), p(&c, 2))
    }
}

fn ends(p: &Piece) -> Vec<f64> {
    match *p {
        Piece::Line(a, b) => vec![a.x, a.y, b.x, b.y],
        Piece::Quad(a, c, b) => vec![a.x, a.y, c.x, c.y, b.x, b.y],
    }
}

#[track_caller]
fn assert_pieces(got: &[Piece], want: &Value, what: &str) {
    let want: Vec<Piece> = want.as_array().unwrap().iter().map(piece).collect();
    assert_eq!(got.len(), want.len(), "{what}: pieces");
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(
            std::mem::discriminant(g),
            std::mem::discriminant(w),
            "{what}: piece {i} is {g:?}, want {w:?}"
        );
        for (a, b) in ends(g).into_iter().zip(ends(w)) {
            assert_close(a, b, &format!("{what}: piece {i} {g:?}"));
        }
    }
}

/// The stroke case of that name, decoded as the renderer decodes it.
fn stroke(name: &str) -> DecodedStroke {
    let v = vectors();
    let c = v["strokes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no stroke case {name:?}"));
    let xy: Vec<i32> = floats(&c["points"]).iter().map(|&v| v as i32).collect();
    let points: Vec<Point> = xy.chunks(2).map(|p| Point::new(p[0], p[1])).collect();
    let pressures: Vec<u8> = match c["pressures"].as_array() {
        Some(ps) => ps.iter().map(|p| float(p) as u8).collect(),
        None => Vec::new(),
    };
    let tool = Tool::from_i32(float(&c["tool"]) as i32).expect("a tool");
    let wire = encode_stroke(tool, 0xff, float(&c["width"]) as u32, &points, &pressures)
        .expect("a valid stroke");
    decode_stroke(&wire).expect("a valid stroke")
}

fn piece_widths(widths: Widths, pieces: usize) -> Vec<f64> {
    match widths {
        Widths::Uniform(w) => vec![w; pieces],
        Widths::PerPiece(ws) => ws,
    }
}

#[test]
fn pen_factor_vectors() {
    for c in vectors()["pen_factor"].as_array().unwrap() {
        let p = float(&c["pressure"]) as u8;
        assert_close(pen_factor(p), float(&c["factor"]), &format!("pressure {p}"));
    }
}

#[test]
fn width_floor_vectors() {
    for c in vectors()["width_px"].as_array().unwrap() {
        // The nominal width in pixels: encoded units are hundredths of a world unit.
        let base = float(&c["width"]) / 100.0 * float(&c["scale"]);
        assert_close(
            width_px(base, float(&c["factor"])),
            float(&c["width_px"]),
            &c.to_string(),
        );
    }
}

#[test]
fn centre_line_and_factor_vectors() {
    for c in vectors()["strokes"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let s = stroke(name);
        let points: Vec<P> = s
            .points()
            .iter()
            .map(|p| P {
                x: f64::from(p.x),
                y: f64::from(p.y),
            })
            .collect();
        let pieces = centre_line(&points);
        assert_pieces(&pieces, &c["pieces"], name);
        if let Some(means) = c["pressure_means"].as_array() {
            let pressures: Vec<f64> = s.pressures().iter().map(|&p| f64::from(p)).collect();
            for (i, (got, want)) in piece_means(&pressures).into_iter().zip(means).enumerate() {
                assert_close(got, float(want), &format!("{name}: pressure mean {i}"));
            }
        }
        // Factors are the widths of a stroke one pixel wide without the floor: a factor is at least
        // 0.5, the floor.
        let factors = piece_widths(Widths::of(&s, 1.0), pieces.len());
        let want = floats(&c["factors"]);
        assert_eq!(factors.len(), want.len(), "{name}: factors");
        for (i, (got, want)) in factors.into_iter().zip(want).enumerate() {
            assert_close(got, want, &format!("{name}: factor {i}"));
        }
    }
}

/// What a tile draws: the pieces of [`Painter::draw`](crate::paint::Painter::draw) in the tile's
/// pixels and their widths.
#[test]
fn render_vectors() {
    for c in vectors()["renders"].as_array().unwrap() {
        let name = c["stroke"].as_str().unwrap();
        let t = floats(&c["tile"]);
        let coord = TileCoord::new(t[0] as u32, t[1] as i32, t[2] as i32);
        let map = Mapping::tile(coord, float(&c["size"]) as u32);
        let s = stroke(name);
        let what = format!("{name} in {coord:?}");
        let points: Vec<P> = s.points().iter().map(|&p| map.map(p)).collect();
        let pieces = centre_line(&points);
        assert_pieces(&pieces, &c["pieces"], &what);
        let widths = piece_widths(Widths::of(&s, f64::from(s.width()) * map.sw), pieces.len());
        let want = floats(&c["widths"]);
        assert_eq!(widths.len(), want.len(), "{what}: widths");
        for (i, (got, want)) in widths.into_iter().zip(want).enumerate() {
            assert_close(got, want, &format!("{what}: width {i}"));
        }
    }
}

fn distance_to_polyline(q: P, line: &[P]) -> f64 {
    line.windows(2)
        .map(|w| {
            let (a, b) = (w[0], w[1]);
            let (dx, dy) = (b.x - a.x, b.y - a.y);
            let len2 = dx * dx + dy * dy;
            let t = if len2 > 0.0 {
                (((q.x - a.x) * dx + (q.y - a.y) * dy) / len2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            (a.x + t * dx - q.x).hypot(a.y + t * dy - q.y)
        })
        .fold(f64::INFINITY, f64::min)
}

/// The lines start at the piece's start and end at its end, every sample of the curve lies within
/// the tolerance of them, and every corner of them within the tolerance (plus the samples' own error)
/// of the curve.
#[test]
fn flatten_vectors() {
    let v = vectors();
    let tolerance = float(&v["tolerances"]["flatten_px"]);
    assert_eq!(tolerance, FLATTEN_TOLERANCE);
    for c in v["flatten"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let pc = piece(&c["piece"]);
        let mut lines: Vec<P> = Vec::new();
        pc.flatten(|a, b| {
            if lines.is_empty() {
                lines.push(a);
            }
            assert_eq!(lines.last(), Some(&a), "{name}: the lines are joined");
            lines.push(b);
        });
        let s = floats(&c["samples"]);
        let samples: Vec<P> = s.chunks(2).map(|p| P { x: p[0], y: p[1] }).collect();
        assert_eq!(lines.first(), samples.first(), "{name}: start");
        assert_eq!(lines.last(), samples.last(), "{name}: end");
        let slack = 1e-9 * ends(&pc).iter().fold(1.0f64, |m, v| m.max(v.abs()));
        for &q in &samples {
            let d = distance_to_polyline(q, &lines);
            assert!(
                d <= tolerance + slack,
                "{name}: the curve at {q:?} is {d} px from the {} lines",
                lines.len() - 1
            );
        }
        let sample_error = float(&c["sample_error"]);
        for &q in &lines {
            let d = distance_to_polyline(q, &samples);
            assert!(
                d <= tolerance + sample_error + slack,
                "{name}: the corner {q:?} is {d} px from the curve"
            );
        }
    }
}
