//! The tile pyramid: levels, spans, the tile of a point and the tiles a stroke touches.

use std::collections::HashSet;

use crate::error::RenderError;
use crate::limits::{COORD_SCALE, MAX_COORD, MAX_LEVEL, MAX_TILES_PER_STROKE, MAX_WIDTH};
use crate::stroke::{DecodedStroke, Point};

/// Edge of a tile in pixels at every level (`TILE_PX`).
pub const TILE_PX: u32 = 256;

/// How far ink can reach from the origin (world units × 100): [`MAX_COORD`] plus the reach of the
/// widest stroke. Tiles and regions beyond it can hold nothing and are rejected.
pub const INK_LIMIT: i64 = MAX_COORD + (3 * MAX_WIDTH as i64 + 3) / 4 + COORD_SCALE;

/// Span of a tile of `level` in world units × 100: `256 · 2^level · 100`.
///
/// Levels above [`MAX_LEVEL`] are not checked here; [`TileCoord::validate`] does that.
pub const fn tile_span(level: u32) -> i64 {
    (TILE_PX as i64 * COORD_SCALE) << level
}

/// Names one tile of the pyramid: at `level` it covers `[x · span, (x + 1) · span)` on each axis.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileCoord {
    /// Level, 0 (100 % zoom) to [`MAX_LEVEL`].
    pub level: u32,
    /// Column; negative to the left of the origin.
    pub x: i32,
    /// Row; negative above the origin.
    pub y: i32,
}

impl TileCoord {
    /// Creates a tile coordinate (not validated; see [`TileCoord::validate`]).
    pub const fn new(level: u32, x: i32, y: i32) -> TileCoord {
        TileCoord { level, x, y }
    }

    /// The tile one level up that contains this one: `(level + 1, x >> 1, y >> 1)`, arithmetic shift.
    ///
    /// `None` at [`MAX_LEVEL`].
    pub fn parent(self) -> Option<TileCoord> {
        (self.level < MAX_LEVEL).then(|| TileCoord::new(self.level + 1, self.x >> 1, self.y >> 1))
    }

    /// Checks that the level is at most [`MAX_LEVEL`] and that the tile intersects the area where ink
    /// can exist (±[`INK_LIMIT`]).
    pub fn validate(self) -> Result<(), RenderError> {
        if self.level > MAX_LEVEL {
            return Err(RenderError::Level(self.level));
        }
        let span = tile_span(self.level);
        let lo = (-INK_LIMIT).div_euclid(span);
        let hi = INK_LIMIT.div_euclid(span);
        let inside = |v: i32| (lo..=hi).contains(&i64::from(v));
        if inside(self.x) && inside(self.y) {
            Ok(())
        } else {
            Err(RenderError::TileOutOfRange {
                level: self.level,
                x: self.x,
                y: self.y,
            })
        }
    }

    /// Left and top edges of the tile in world units × 100.
    pub(crate) fn origin(self) -> (i64, i64) {
        let span = tile_span(self.level);
        (i64::from(self.x) * span, i64::from(self.y) * span)
    }
}

/// The tile of `level` holding a point: `floor(q / span)` on each axis, so negative coordinates belong
/// to negative tiles.
pub fn tile_of_point(p: Point, level: u32) -> Result<TileCoord, RenderError> {
    if level > MAX_LEVEL {
        return Err(RenderError::Level(level));
    }
    let span = tile_span(level);
    // |q| ≤ 2^31 and span ≥ 25600, so the quotient fits in i32.
    Ok(TileCoord::new(
        level,
        i64::from(p.x).div_euclid(span) as i32,
        i64::from(p.y).div_euclid(span) as i32,
    ))
}

/// The tiles of `level` a stroke touches, sorted by `(x, y)` without duplicates.
///
/// Every segment between consecutive points (a single point is a segment of length 0) is cut into
/// `max(|dx|, |dy|) / span + 1` equal pieces (ends rounded toward the segment's start, as integer
/// division truncates), so that none is longer than a tile; each piece's bounding box grown on each
/// side by the reach `⌊3 · width / 4⌋ + 100` (world units × 100) names the tiles it intersects,
/// boxes closed. This is exactly what the Go indexer (`shared-go/strokes`) stores, checked by the
/// shared vectors of `docs/testdata/tile-math.json`. Fails for a level above [`MAX_LEVEL`] and with
/// [`RenderError::TooManyTiles`] past [`MAX_TILES_PER_STROKE`] tiles.
pub fn tiles_touched(stroke: &DecodedStroke, level: u32) -> Result<Vec<TileCoord>, RenderError> {
    if level > MAX_LEVEL {
        return Err(RenderError::Level(level));
    }
    let too_many = RenderError::TooManyTiles { level };
    let span = tile_span(level);
    let reach = stroke.reach();
    let points = stroke.points();
    let mut tiles: HashSet<(i32, i32)> = HashSet::new();
    let mut prev = points[0];
    for &p in points {
        let (x, y) = (i64::from(prev.x), i64::from(prev.y));
        let (dx, dy) = (i64::from(p.x) - x, i64::from(p.y) - y);
        let pieces = dx.abs().max(dy.abs()) / span + 1;
        if pieces > MAX_TILES_PER_STROKE as i64 {
            return Err(too_many);
        }
        for i in 0..pieces {
            let (x0, y0) = (x + dx * i / pieces, y + dy * i / pieces);
            let (x1, y1) = (x + dx * (i + 1) / pieces, y + dy * (i + 1) / pieces);
            let first = |lo: i64| (lo - reach).div_euclid(span) as i32;
            let last = |hi: i64| (hi + reach).div_euclid(span) as i32;
            for tx in first(x0.min(x1))..=last(x0.max(x1)) {
                for ty in first(y0.min(y1))..=last(y0.max(y1)) {
                    if tiles.len() == MAX_TILES_PER_STROKE && !tiles.contains(&(tx, ty)) {
                        return Err(too_many);
                    }
                    tiles.insert((tx, ty));
                }
            }
        }
        prev = p;
    }
    let mut out: Vec<TileCoord> = tiles
        .into_iter()
        .map(|(x, y)| TileCoord::new(level, x, y))
        .collect();
    out.sort_unstable();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{decode_stroke, encode_stroke};
    use crate::stroke::Tool;

    fn stroke(width: u32, points: &[(i32, i32)]) -> DecodedStroke {
        let pts: Vec<Point> = points.iter().map(|&(x, y)| Point::new(x, y)).collect();
        decode_stroke(&encode_stroke(Tool::Pen, 0, width, &pts, &[]).unwrap()).unwrap()
    }

    fn coords(tiles: &[TileCoord]) -> Vec<(i32, i32)> {
        tiles.iter().map(|t| (t.x, t.y)).collect()
    }

    #[test]
    fn spans_double_per_level() {
        assert_eq!(tile_span(0), 25_600);
        assert_eq!(tile_span(1), 51_200);
        assert_eq!(tile_span(16), 25_600 * 65_536);
    }

    #[test]
    fn tile_of_point_floors() {
        let t = |x, y, l| tile_of_point(Point::new(x, y), l).unwrap();
        assert_eq!(t(0, 0, 0), TileCoord::new(0, 0, 0));
        assert_eq!(t(25_599, 25_600, 0), TileCoord::new(0, 0, 1));
        assert_eq!(t(-1, -25_600, 0), TileCoord::new(0, -1, -1));
        assert_eq!(t(-25_601, 0, 0), TileCoord::new(0, -2, 0));
        assert_eq!(t(-1, 51_199, 1), TileCoord::new(1, -1, 0));
        // The whole coordinate range fits in 2 x 2 tiles at the top level.
        assert_eq!(
            t(-1_000_000_000, 1_000_000_000, 16),
            TileCoord::new(16, -1, 0)
        );
        assert_eq!(
            tile_of_point(Point::new(0, 0), 17),
            Err(RenderError::Level(17))
        );
    }

    #[test]
    fn parent_uses_an_arithmetic_shift() {
        assert_eq!(
            TileCoord::new(0, 3, -3).parent(),
            Some(TileCoord::new(1, 1, -2))
        );
        assert_eq!(
            TileCoord::new(0, -1, -2).parent(),
            Some(TileCoord::new(1, -1, -1))
        );
        assert_eq!(TileCoord::new(16, 0, 0).parent(), None);
        // The parent of the tile of a point is the tile of that point one level up.
        let p = Point::new(-123_456, 98_765);
        for level in 0..MAX_LEVEL {
            let t = tile_of_point(p, level).unwrap();
            assert_eq!(t.parent(), Some(tile_of_point(p, level + 1).unwrap()));
        }
    }

    #[test]
    fn validate_checks_level_and_world() {
        assert!(TileCoord::new(0, 0, 0).validate().is_ok());
        assert!(TileCoord::new(16, -1, 0).validate().is_ok());
        assert_eq!(
            TileCoord::new(17, 0, 0).validate(),
            Err(RenderError::Level(17))
        );
        // INK_LIMIT / 25600 = 39063.97..., so 39063 is the last column at level 0.
        assert!(TileCoord::new(0, 39_063, -39_064).validate().is_ok());
        assert!(matches!(
            TileCoord::new(0, 39_064, 0).validate(),
            Err(RenderError::TileOutOfRange { .. })
        ));
        assert!(matches!(
            TileCoord::new(0, 0, i32::MIN).validate(),
            Err(RenderError::TileOutOfRange { .. })
        ));
        assert!(matches!(
            TileCoord::new(16, 1, 0).validate(),
            Err(RenderError::TileOutOfRange { .. })
        ));
    }

    #[test]
    fn a_dot_in_the_middle_touches_one_tile() {
        let s = stroke(400, &[(12_800, 12_800)]);
        assert_eq!(coords(&tiles_touched(&s, 0).unwrap()), vec![(0, 0)]);
    }

    #[test]
    fn the_reach_margin_crosses_borders() {
        // Width 4 units: reach = 0.75 · 4 + 1 = 4 units = 400 quantized.
        // The box of a dot at 399 starts at -1 and touches the tile to the left; at 400 it starts at
        // 0, the first column of tile 0 (tiles are half-open, boxes closed).
        let s = stroke(400, &[(399, 12_800)]);
        assert_eq!(
            coords(&tiles_touched(&s, 0).unwrap()),
            vec![(-1, 0), (0, 0)]
        );
        let s = stroke(400, &[(400, 12_800)]);
        assert_eq!(coords(&tiles_touched(&s, 0).unwrap()), vec![(0, 0)]);
        // The reach is ⌊3 · width / 4⌋ + 100: width 10 → reach 107, so a dot at 25 493 reaches
        // 25 600 (tile 1) and one at 25 492 reaches 25 599 (tile 0 only).
        let s = stroke(10, &[(25_493, 12_800)]);
        assert_eq!(coords(&tiles_touched(&s, 0).unwrap()), vec![(0, 0), (1, 0)]);
        let s = stroke(10, &[(25_492, 12_800)]);
        assert_eq!(coords(&tiles_touched(&s, 0).unwrap()), vec![(0, 0)]);
    }

    #[test]
    fn negative_coordinates_use_negative_tiles() {
        let s = stroke(100, &[(-12_800, -12_800), (-38_400, -12_800)]);
        assert_eq!(
            coords(&tiles_touched(&s, 0).unwrap()),
            vec![(-2, -1), (-1, -1)]
        );
        // Exactly on the origin with reach: all four tiles around it.
        let s = stroke(100, &[(0, 0)]);
        assert_eq!(
            coords(&tiles_touched(&s, 0).unwrap()),
            vec![(-1, -1), (-1, 0), (0, -1), (0, 0)]
        );
    }

    #[test]
    fn segments_use_their_own_boxes() {
        // An L shape: the union of two boxes, not the box of the whole stroke.
        let s = stroke(100, &[(1_000, 1_000), (70_000, 1_000), (70_000, 70_000)]);
        assert_eq!(
            coords(&tiles_touched(&s, 0).unwrap()),
            vec![(0, 0), (1, 0), (2, 0), (2, 1), (2, 2)]
        );
        assert_eq!(
            coords(&tiles_touched(&s, 1).unwrap()),
            vec![(0, 0), (1, 0), (1, 1)]
        );
        assert!(tiles_touched(&s, 1).unwrap().iter().all(|t| t.level == 1));
    }

    #[test]
    fn tiles_touched_rejects_bad_level_and_too_many_tiles() {
        let s = stroke(100, &[(0, 0)]);
        assert_eq!(tiles_touched(&s, 17), Err(RenderError::Level(17)));
        // A diagonal 5,000 tiles long through the origin: within the path bound, over the tile bound.
        let s = stroke(100, &[(-64_000_000, -64_000_000), (64_000_000, 64_000_000)]);
        assert_eq!(
            tiles_touched(&s, 0),
            Err(RenderError::TooManyTiles { level: 0 })
        );
        assert_eq!(tiles_touched(&s, 16).unwrap().len(), 4);
    }
}
