//! What the render examples share: the real drawings of the shared data folder, a deterministic
//! generator, and placing drawings on the board as wire-form strokes with varied tools.

use std::path::{Path, PathBuf};
use std::time::Instant;

use infidraw_render::{Point, Stroke, Tool, encode_stroke};

/// The drawings folder named on the command line, or the shared data folder beside the checkout.
pub fn data_dir(arg: Option<String>) -> PathBuf {
    PathBuf::from(arg.unwrap_or_else(|| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/strokes/raw"
        )
        .into()
    }))
}

/// A small deterministic generator (xorshift64*), so runs are comparable.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Every drawing of every file: strokes of (x, y) in the drawing's pixels.
pub fn load(dir: &Path) -> Vec<Vec<Vec<(f64, f64)>>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "ndjson"))
        .collect();
    files.sort();
    let mut drawings = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for line in text.lines().take(3) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let strokes = v["drawing"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| {
                    let xs = s[0].as_array().unwrap();
                    let ys = s[1].as_array().unwrap();
                    xs.iter()
                        .zip(ys)
                        .map(|(x, y)| (x.as_f64().unwrap(), y.as_f64().unwrap()))
                        .collect()
                })
                .collect();
            drawings.push(strokes);
        }
    }
    drawings
}

/// Encodes a drawing scaled by `scale` and moved to (ox, oy) world units; colours and tools vary.
pub fn place(d: &[Vec<(f64, f64)>], scale: f64, ox: f64, oy: f64, rng: &mut Rng) -> Vec<Stroke> {
    d.iter()
        .map(|s| {
            let pts: Vec<Point> = s
                .iter()
                .map(|&(x, y)| {
                    Point::new(
                        ((ox + x * scale) * 100.0).round() as i32,
                        ((oy + y * scale) * 100.0).round() as i32,
                    )
                })
                .collect();
            let (tool, rgba, width) = match rng.below(10) {
                0 => (Tool::Highlighter, 0xffd00060, 1200),
                1 => (Tool::PixelEraser, 0, 800),
                _ => (
                    Tool::Pen,
                    (rng.next() as u32) | 0xff,
                    200 + rng.below(400) as u32,
                ),
            };
            let pressures: Vec<u8> = if rng.below(2) == 0 {
                (0..pts.len()).map(|_| 64 + rng.below(160) as u8).collect()
            } else {
                Vec::new()
            };
            encode_stroke(tool, rgba, width, &pts, &pressures).unwrap()
        })
        .collect()
}

pub fn time_ms(rounds: u32, mut f: impl FnMut()) -> f64 {
    f(); // warm-up
    let start = Instant::now();
    for _ in 0..rounds {
        f();
    }
    start.elapsed().as_secs_f64() * 1000.0 / f64::from(rounds)
}

pub fn round(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}
