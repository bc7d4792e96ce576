//! Centre-line geometry in pixel space: world-to-pixel mapping, quadratic smoothing through midpoints,
//! culling/splitting of pieces so that only geometry near the image reaches the rasteriser, and
//! flattening of pieces into lines.

use crate::stroke::Point;
use crate::tile::{TileCoord, tile_span};

/// A point in pixel space, kept in `f64` until it is handed to tiny-skia.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct P {
    pub x: f64,
    pub y: f64,
}

impl P {
    fn mid(self, o: P) -> P {
        P {
            x: (self.x + o.x) * 0.5,
            y: (self.y + o.y) * 0.5,
        }
    }
}

/// Maps quantized world coordinates to pixels of one output image.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mapping {
    /// World coordinate (× 100) of the image's left edge.
    pub ox: i64,
    /// World coordinate (× 100) of the image's top edge.
    pub oy: i64,
    /// Pixels per quantized unit horizontally.
    pub sx: f64,
    /// Pixels per quantized unit vertically.
    pub sy: f64,
    /// Pixels per quantized unit for stroke widths.
    pub sw: f64,
    /// Image width in pixels.
    pub width: u32,
    /// Image height in pixels.
    pub height: u32,
}

impl Mapping {
    /// The mapping of a tile rendered at `size_px` pixels square.
    pub fn tile(coord: TileCoord, size_px: u32) -> Mapping {
        let (ox, oy) = coord.origin();
        let scale = f64::from(size_px) / tile_span(coord.level) as f64;
        Mapping {
            ox,
            oy,
            sx: scale,
            sy: scale,
            sw: scale,
            width: size_px,
            height: size_px,
        }
    }

    /// The exact difference to the origin is taken in integers, then scaled.
    pub fn map(&self, p: Point) -> P {
        P {
            x: (i64::from(p.x) - self.ox) as f64 * self.sx,
            y: (i64::from(p.y) - self.oy) as f64 * self.sy,
        }
    }
}

/// One piece of a centre line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Piece {
    Line(P, P),
    Quad(P, P, P),
}

impl Piece {
    /// Bounding box of the control points, which contains the curve.
    fn bbox(&self) -> Box64 {
        match *self {
            Piece::Line(a, b) => Box64::of(&[a, b]),
            Piece::Quad(a, c, b) => Box64::of(&[a, c, b]),
        }
    }

    /// Splits at t = 0.5 (de Casteljau), exactly.
    fn halves(&self) -> (Piece, Piece) {
        match *self {
            Piece::Line(a, b) => {
                let m = a.mid(b);
                (Piece::Line(a, m), Piece::Line(m, b))
            }
            Piece::Quad(a, c, b) => {
                let (ac, cb) = (a.mid(c), c.mid(b));
                let m = ac.mid(cb);
                (Piece::Quad(a, ac, m), Piece::Quad(m, cb, b))
            }
        }
    }
}

/// The smoothed centre line through `points` (at least two): with two points the line between them;
/// with more, a quadratic from p0 with control p1 to mid(p1, p2), then one quadratic per inner point
/// to the next midpoint, then a line to the last point.
pub(crate) fn centre_line(points: &[P]) -> Vec<Piece> {
    let n = points.len();
    if n < 3 {
        return vec![Piece::Line(points[0], points[n - 1])];
    }
    let mut pieces = Vec::with_capacity(n - 1);
    let mut start = points[0];
    for i in 1..n - 1 {
        let end = points[i].mid(points[i + 1]);
        pieces.push(Piece::Quad(start, points[i], end));
        start = end;
    }
    pieces.push(Piece::Line(start, points[n - 1]));
    pieces
}

/// An axis-aligned box in pixel space.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Box64 {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Box64 {
    pub fn of(points: &[P]) -> Box64 {
        let mut b = Box64 {
            x0: f64::INFINITY,
            y0: f64::INFINITY,
            x1: f64::NEG_INFINITY,
            y1: f64::NEG_INFINITY,
        };
        for p in points {
            b.x0 = b.x0.min(p.x);
            b.y0 = b.y0.min(p.y);
            b.x1 = b.x1.max(p.x);
            b.y1 = b.y1.max(p.y);
        }
        b
    }

    pub fn grow(self, m: f64) -> Box64 {
        Box64 {
            x0: self.x0 - m,
            y0: self.y0 - m,
            x1: self.x1 + m,
            y1: self.y1 + m,
        }
    }

    pub fn intersects(&self, o: &Box64) -> bool {
        self.x0 <= o.x1 && o.x0 <= self.x1 && self.y0 <= o.y1 && o.y0 <= self.y1
    }

    fn inside(&self, o: &Box64) -> bool {
        self.x0 >= o.x0 && self.x1 <= o.x1 && self.y0 >= o.y0 && self.y1 <= o.y1
    }
}

/// Pieces farther than this (in pixels) beyond the area that matters are split until they are not, so
/// that a huge curve is flattened piecewise within the tolerance instead of in at most 1024 lines.
const SAFE_MARGIN: f64 = 65_536.0;

/// Where the geometry of a stroke of a given width matters for a `width` × `height` image.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clip {
    /// Ink of a piece outside this box stays at least 2 pixels away from the image.
    keep: Box64,
    /// Pieces inside this box go to tiny-skia unchanged.
    safe: Box64,
}

impl Clip {
    /// `half_width` is half the stroke width in pixels.
    pub fn new(width: u32, height: u32, half_width: f64) -> Clip {
        let image = Box64 {
            x0: 0.0,
            y0: 0.0,
            x1: f64::from(width),
            y1: f64::from(height),
        };
        let keep = image.grow(half_width + 2.0);
        Clip {
            keep,
            safe: keep.grow(SAFE_MARGIN),
        }
    }

    /// Whether all of `b` lies where pieces are kept unchanged (near the image, not beyond it).
    pub fn holds(&self, b: &Box64) -> bool {
        b.inside(&self.keep)
    }

    /// Whether a dot (or any ink) centred in `b` can reach the image.
    pub fn reaches(&self, b: &Box64) -> bool {
        b.intersects(&self.keep)
    }

    /// Calls `keep` with the parts of `piece` that matter, exactly (splitting never changes the curve);
    /// returns whether there were any.
    pub fn add(&self, piece: Piece, keep: &mut impl FnMut(Piece)) -> bool {
        self.add_at(piece, keep, 0)
    }

    fn add_at(&self, piece: Piece, keep: &mut impl FnMut(Piece), depth: u32) -> bool {
        let b = piece.bbox();
        if !b.intersects(&self.keep) {
            false
        } else if b.inside(&self.safe) || depth >= 48 {
            keep(piece);
            true
        } else {
            let (a, c) = piece.halves();
            // Both halves, even when the first was kept.
            let first = self.add_at(a, keep, depth + 1);
            self.add_at(c, keep, depth + 1) || first
        }
    }
}

/// Largest distance, in pixels, between a piece of the centre line and the lines that replace it.
pub(crate) const FLATTEN_TOLERANCE: f64 = 0.04;

/// Most lines of one uniform cut; a piece that needs more is halved first, so that the tolerance holds
/// for every piece while the work stays proportional to its size.
const MAX_FLAT_LINES: u32 = 1024;

/// Halvings after which a piece is cut into [`MAX_FLAT_LINES`] whatever it needs: only a piece needing
/// 2^16 times as many lines, far larger than anything the clip keeps, gets there. It guards against
/// non-finite coordinates, which would halve forever.
const MAX_FLAT_SPLITS: u32 = 16;

impl Piece {
    /// Replaces the piece by lines within [`FLATTEN_TOLERANCE`] (a line stays itself), calling `line`
    /// with the ends of each. The subdivision is uniform in t and depends only on the shape of the
    /// piece, so two tiles that share a piece draw the same lines.
    pub fn flatten(&self, mut line: impl FnMut(P, P)) {
        self.flatten_split(&mut line, 0);
    }

    fn flatten_split(&self, line: &mut impl FnMut(P, P), splits: u32) {
        match *self {
            Piece::Line(a, b) => line(a, b),
            Piece::Quad(a, c, b) => {
                let (sx, sy) = (a.x - 2.0 * c.x + b.x, a.y - 2.0 * c.y + b.y);
                // Not `hypot`: its care for overflow costs a library call per piece.
                let n = steps((sx * sx + sy * sy).sqrt());
                if n > MAX_FLAT_LINES && splits < MAX_FLAT_SPLITS {
                    let (first, second) = self.halves();
                    first.flatten_split(line, splits + 1);
                    second.flatten_split(line, splits + 1);
                    return;
                }
                let n = n.min(MAX_FLAT_LINES);
                let mut prev = a;
                for i in 1..n {
                    let t = f64::from(i) / f64::from(n);
                    let u = 1.0 - t;
                    let (wa, wc, wb) = (u * u, 2.0 * u * t, t * t);
                    let next = P {
                        x: wa * a.x + wc * c.x + wb * b.x,
                        y: wa * a.y + wc * c.y + wb * b.y,
                    };
                    line(prev, next);
                    prev = next;
                }
                line(prev, b);
            }
        }
    }
}

/// Lines needed for a quadratic with second difference `d`: a uniform subdivision into n lines strays
/// at most d / (4 n²) from it.
fn steps(d: f64) -> u32 {
    // The ceiling by hand: `f64::ceil` is a library call on the x86-64 baseline, once per piece. The
    // cast saturates, and takes NaN to 0, then 1.
    let n = (d / (4.0 * FLATTEN_TOLERANCE)).sqrt();
    let whole = n as u32;
    whole.saturating_add(u32::from(f64::from(whole) < n)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(x: f64, y: f64) -> P {
        P { x, y }
    }

    #[test]
    fn two_points_make_a_line() {
        assert_eq!(
            centre_line(&[p(0.0, 0.0), p(4.0, 2.0)]),
            vec![Piece::Line(p(0.0, 0.0), p(4.0, 2.0))]
        );
    }

    #[test]
    fn more_points_make_quadratics_through_midpoints() {
        let pts = [p(0.0, 0.0), p(4.0, 0.0), p(4.0, 4.0), p(0.0, 4.0)];
        assert_eq!(
            centre_line(&pts),
            vec![
                Piece::Quad(p(0.0, 0.0), p(4.0, 0.0), p(4.0, 2.0)),
                Piece::Quad(p(4.0, 2.0), p(4.0, 4.0), p(2.0, 4.0)),
                Piece::Line(p(2.0, 4.0), p(0.0, 4.0)),
            ]
        );
    }

    #[test]
    fn far_pieces_are_culled_and_huge_ones_split() {
        let clip = Clip::new(256, 256, 2.0);
        let mut kept = Vec::new();
        assert!(
            !clip.add(Piece::Line(p(-1e4, -1e4), p(-1e4, 1e4)), &mut |pc| kept
                .push(pc))
        );
        assert!(kept.is_empty());

        // A line across the image from very far away: the parts kept stay within the safe box.
        assert!(
            clip.add(Piece::Line(p(-4e7, 128.0), p(4e7, 128.0)), &mut |pc| kept
                .push(pc))
        );
        let mut ends = Vec::new();
        for pc in &kept {
            pc.flatten(|a, b| ends.extend([a, b]));
        }
        let b = Box64::of(&ends);
        assert!(b.x0 <= 0.0 && b.x1 >= 256.0);
        let limit = 3.0 * SAFE_MARGIN;
        assert!(b.x0 >= -limit && b.x1 <= limit);
    }

    #[test]
    fn steps_round_up() {
        // d / (4 · 0.04) = 1, 1.0625, 4, 4.0625: n = 1, 2, 2, 3; no curve at all, or NaN, still 1.
        assert_eq!([0.16, 0.17, 0.64, 0.65].map(steps), [1, 2, 2, 3]);
        assert_eq!([0.0, f64::NAN].map(steps), [1, 1]);
        assert_eq!([1e300, f64::INFINITY].map(steps), [u32::MAX, u32::MAX]);
    }

    #[test]
    fn quadratics_flatten_within_the_tolerance() {
        let q = Piece::Quad(p(0.0, 0.0), p(50.0, 100.0), p(100.0, 0.0));
        let mut lines = Vec::new();
        q.flatten(|a, b| lines.push((a, b)));
        assert!(lines.len() > 10);
        assert_eq!(lines[0].0, p(0.0, 0.0));
        assert_eq!(lines.last().unwrap().1, p(100.0, 0.0));
        // The curve's apex (t = 0.5) is (50, 50); the nearest line is within the tolerance.
        let apex = lines
            .iter()
            .map(|(a, b)| (a.y.max(b.y) - 50.0).abs())
            .fold(f64::MAX, f64::min);
        assert!(apex <= FLATTEN_TOLERANCE, "{apex}");
        let mut one = Vec::new();
        Piece::Line(p(1.0, 2.0), p(3.0, 4.0)).flatten(|a, b| one.push((a, b)));
        assert_eq!(one, vec![(p(1.0, 2.0), p(3.0, 4.0))]);
    }
}
