//! Helpers shared by the areas: decoding, reference comparison, stroke builders.

use std::path::PathBuf;

use infidraw_render::{Point, Stroke, TileCoord, Tool, encode_stroke, render_tile};

/// Per-channel difference tolerated against a reference image. Rendering here is deterministic;
/// the slack absorbs rounding differences between SIMD code paths of other CPUs.
pub const TOLERANCE: u8 = 2;

/// Set to 1 to (re)write the reference images from the current renderer.
pub const BLESS_VAR: &str = "INFIDRAW_BLESS";

/// A decoded RGBA8 image (not premultiplied).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

impl Image {
    pub fn decode(png_bytes: &[u8]) -> Image {
        let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = decoder.read_info().expect("PNG header");
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).expect("PNG data");
        assert_eq!(
            info.color_type,
            png::ColorType::Rgba,
            "renderer output must be RGBA"
        );
        assert_eq!(
            info.bit_depth,
            png::BitDepth::Eight,
            "renderer output must be 8-bit"
        );
        buf.truncate(info.buffer_size());
        Image {
            width: info.width,
            height: info.height,
            rgba: buf,
        }
    }

    pub fn pixel(&self, x: u32, y: u32) -> [u8; 4] {
        let i = ((y * self.width + x) * 4) as usize;
        self.rgba[i..i + 4].try_into().unwrap()
    }

    pub fn alpha(&self, x: u32, y: u32) -> u8 {
        self.pixel(x, y)[3]
    }

    /// Number of pixels with any ink (alpha > 0).
    pub fn inked(&self) -> usize {
        self.rgba.chunks_exact(4).filter(|p| p[3] > 0).count()
    }

    /// Bounding box (x0, y0, x1, y1 inclusive) of pixels with alpha ≥ `min_alpha`.
    pub fn ink_box(&self, min_alpha: u8) -> Option<(u32, u32, u32, u32)> {
        let mut b: Option<(u32, u32, u32, u32)> = None;
        for y in 0..self.height {
            for x in 0..self.width {
                if self.alpha(x, y) >= min_alpha {
                    b = Some(match b {
                        None => (x, y, x, y),
                        Some((x0, y0, x1, y1)) => (x0.min(x), y0.min(y), x1.max(x), y1.max(y)),
                    });
                }
            }
        }
        b
    }

    pub fn crop(&self, x: u32, y: u32, w: u32, h: u32) -> Image {
        let mut rgba = Vec::with_capacity((w * h * 4) as usize);
        for row in y..y + h {
            let i = ((row * self.width + x) * 4) as usize;
            rgba.extend_from_slice(&self.rgba[i..i + (w * 4) as usize]);
        }
        Image {
            width: w,
            height: h,
            rgba,
        }
    }
}

fn reference_path(area: &str, case: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/images")
        .join(area)
        .join(format!("{case}.png"))
}

/// Compares a rendered PNG with `tests/images/<area>/<case>.png` (or writes it when blessing).
#[track_caller]
pub fn check(area: &str, case: &str, png_bytes: &[u8]) -> Image {
    let actual = Image::decode(png_bytes);
    let path = reference_path(area, case);
    if std::env::var(BLESS_VAR).is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, png_bytes).unwrap();
        return actual;
    }
    let reference = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; render it with {BLESS_VAR}=1 and look at it",
            path.display()
        )
    });
    assert_pixels(
        &Image::decode(&reference),
        &actual,
        TOLERANCE,
        &format!("{area}/{case}"),
    );
    actual
}

/// Colour channels scaled by alpha, so that the colour of nearly transparent pixels (invisible,
/// and imprecise after demultiplication) weighs as little as it shows.
fn premultiplied(p: &[u8]) -> [u8; 4] {
    let a = u16::from(p[3]);
    let m = |c: u8| ((u16::from(c) * a + 127) / 255) as u8;
    [m(p[0]), m(p[1]), m(p[2]), p[3]]
}

/// Asserts two images are equal within `tolerance` per channel of their premultiplied values,
/// naming the first differing pixel (with its stored, non-premultiplied values) and their count.
#[track_caller]
pub fn assert_pixels(expected: &Image, actual: &Image, tolerance: u8, what: &str) {
    assert_pixels_except(expected, actual, tolerance, 0, what);
}

/// Like [`assert_pixels`], but lets up to `allowed` pixels exceed the tolerance.
#[track_caller]
pub fn assert_pixels_except(
    expected: &Image,
    actual: &Image,
    tolerance: u8,
    allowed: usize,
    what: &str,
) {
    assert_eq!(
        (expected.width, expected.height),
        (actual.width, actual.height),
        "{what}: size differs"
    );
    let mut first = None;
    let mut count = 0usize;
    for (i, (e, a)) in expected
        .rgba
        .chunks_exact(4)
        .zip(actual.rgba.chunks_exact(4))
        .enumerate()
    {
        if premultiplied(e)
            .iter()
            .zip(premultiplied(a))
            .any(|(e, a)| e.abs_diff(a) > tolerance)
        {
            count += 1;
            if first.is_none() {
                let (x, y) = (i as u32 % expected.width, i as u32 / expected.width);
                first = Some((x, y, e.to_vec(), a.to_vec()));
            }
        }
    }
    if let Some((x, y, e, a)) = first.filter(|_| count > allowed) {
        panic!(
            "{what}: {count} pixels differ by more than {tolerance} per channel (allowed \
             {allowed}); first at ({x}, {y}): expected {e:?}, actual {a:?}"
        );
    }
}

/// Quantized coordinates from world units.
pub fn pts(world: &[(f64, f64)]) -> Vec<Point> {
    world
        .iter()
        .map(|&(x, y)| Point::new((x * 100.0).round() as i32, (y * 100.0).round() as i32))
        .collect()
}

/// A stroke with `width` in world units and points in world units.
pub fn stroke(tool: Tool, rgba: u32, width: f64, world: &[(f64, f64)], pressures: &[u8]) -> Stroke {
    encode_stroke(tool, rgba, (width * 100.0) as u32, &pts(world), pressures).unwrap()
}

pub fn pen(rgba: u32, width: f64, world: &[(f64, f64)]) -> Stroke {
    stroke(Tool::Pen, rgba, width, world, &[])
}

/// Renders a tile and returns both the PNG and its decoded image.
pub fn tile(
    level: u32,
    x: i32,
    y: i32,
    size: u32,
    base: Option<&[u8]>,
    strokes: &[Stroke],
) -> Vec<u8> {
    render_tile(TileCoord::new(level, x, y), size, base, strokes)
        .unwrap()
        .png
}
