//! Typed errors.

use std::fmt;

/// Why one stroke is invalid.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StrokeError {
    /// The tool is `TOOL_UNSPECIFIED` or unknown.
    UnknownTool(i32),
    /// The stroke has no points.
    NoPoints,
    /// `points` holds an odd number of values, so the last `x` has no `y`.
    OddPointValues(usize),
    /// More points than [`MAX_POINTS`](crate::MAX_POINTS).
    TooManyPoints(usize),
    /// A decoded coordinate lies outside ±[`MAX_COORD`](crate::MAX_COORD) (or overflowed).
    CoordinateOutOfRange {
        /// Index of the point.
        point: usize,
    },
    /// The width lies outside [`MIN_WIDTH`](crate::MIN_WIDTH)`..=`[`MAX_WIDTH`](crate::MAX_WIDTH).
    WidthOutOfRange(u32),
    /// The centre line is longer than [`MAX_PATH_TILES`](crate::MAX_PATH_TILES) level-0 tile spans.
    PathTooLong {
        /// Its length in whole level-0 tile spans.
        tiles: i64,
    },
    /// `pressures` is neither empty nor one value per point.
    PressureCount {
        /// Number of points.
        points: usize,
        /// Number of pressure values.
        pressures: usize,
    },
    /// A decoded pressure lies outside 0–255.
    PressureOutOfRange {
        /// Index of the point.
        point: usize,
        /// The decoded value.
        value: i64,
    },
}

impl fmt::Display for StrokeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StrokeError::UnknownTool(t) => write!(f, "tool {t} is unspecified or unknown"),
            StrokeError::NoPoints => write!(f, "stroke has no points"),
            StrokeError::OddPointValues(n) => {
                write!(f, "points holds {n} values, an odd number (x without y)")
            }
            StrokeError::TooManyPoints(n) => write!(
                f,
                "the stroke has {n} points; the limit is {}",
                crate::limits::MAX_POINTS
            ),
            StrokeError::CoordinateOutOfRange { point } => write!(
                f,
                "point {point} lies outside ±{} (world units x100)",
                crate::limits::MAX_COORD
            ),
            StrokeError::WidthOutOfRange(w) => write!(
                f,
                "width {w} is outside {}..{} (world units x100)",
                crate::limits::MIN_WIDTH,
                crate::limits::MAX_WIDTH
            ),
            StrokeError::PathTooLong { tiles } => write!(
                f,
                "the stroke's path is {tiles} tiles long at full zoom; the limit is {}; draw it in parts",
                crate::limits::MAX_PATH_TILES
            ),
            StrokeError::PressureCount { points, pressures } => write!(
                f,
                "stroke has {points} points but {pressures} pressures (need 0 or one per point)"
            ),
            StrokeError::PressureOutOfRange { point, value } => {
                write!(f, "pressure of point {point} is {value}, outside 0..=255")
            }
        }
    }
}

impl std::error::Error for StrokeError {}

/// Why a render (or a tile computation) could not be done.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RenderError {
    /// The tile edge is neither 256 nor 512 pixels.
    TileSize(u32),
    /// The level exceeds [`MAX_LEVEL`](crate::MAX_LEVEL).
    Level(u32),
    /// The tile lies outside the world at its level.
    TileOutOfRange {
        /// Level of the tile.
        level: u32,
        /// Column.
        x: i32,
        /// Row.
        y: i32,
    },
    /// A stroke of the request is invalid.
    Stroke {
        /// Index of the stroke in the request.
        index: usize,
        /// What is wrong with it.
        error: StrokeError,
    },
    /// The base PNG could not be decoded.
    BasePng(String),
    /// The base PNG does not have the size of the tile.
    BasePngSize {
        /// Expected edge in pixels.
        expected: u32,
        /// Width of the PNG.
        width: u32,
        /// Height of the PNG.
        height: u32,
    },
    /// The region is empty (min ≥ max) or lies outside the world.
    RegionBounds {
        /// Left edge.
        min_x: i64,
        /// Top edge.
        min_y: i64,
        /// Right edge.
        max_x: i64,
        /// Bottom edge.
        max_y: i64,
    },
    /// The region's output size is zero or too large.
    RegionSize {
        /// Requested width in pixels.
        width: u32,
        /// Requested height in pixels.
        height: u32,
    },
    /// A stroke touches more tiles than [`MAX_TILES_PER_STROKE`](crate::MAX_TILES_PER_STROKE).
    TooManyTiles {
        /// Level asked for.
        level: u32,
    },
    /// PNG encoding failed (out of memory or an internal error).
    Encode(String),
    /// A timelapse frame shows or hides a stroke index beyond the strokes.
    FrameStroke {
        /// Index of the frame.
        frame: usize,
        /// The stroke index it names.
        index: u32,
        /// How many strokes there are.
        strokes: usize,
    },
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenderError::TileSize(s) => write!(f, "size_px {s} is not 256 or 512"),
            RenderError::Level(l) => {
                write!(
                    f,
                    "level {l} exceeds the maximum {}",
                    crate::limits::MAX_LEVEL
                )
            }
            RenderError::TileOutOfRange { level, x, y } => {
                write!(f, "tile ({x}, {y}) lies outside the world at level {level}")
            }
            RenderError::Stroke { index, error } => write!(f, "stroke {index}: {error}"),
            RenderError::BasePng(e) => write!(f, "base_png is not a valid PNG: {e}"),
            RenderError::BasePngSize {
                expected,
                width,
                height,
            } => write!(
                f,
                "base_png is {width}x{height} pixels, the tile is {expected}x{expected}"
            ),
            RenderError::RegionBounds {
                min_x,
                min_y,
                max_x,
                max_y,
            } => write!(
                f,
                "region [{min_x}, {max_x}) x [{min_y}, {max_y}) is empty or outside ±{}",
                crate::tile::INK_LIMIT
            ),
            RenderError::RegionSize { width, height } => write!(
                f,
                "region output {width}x{height} px is empty or larger than {}x{} / {} pixels",
                crate::render::MAX_REGION_EDGE_PX,
                crate::render::MAX_REGION_EDGE_PX,
                crate::render::MAX_REGION_PIXELS
            ),
            RenderError::TooManyTiles { level } => write!(
                f,
                "stroke touches more than {} tiles at level {level}",
                crate::limits::MAX_TILES_PER_STROKE
            ),
            RenderError::Encode(e) => write!(f, "PNG encoding failed: {e}"),
            RenderError::FrameStroke {
                frame,
                index,
                strokes,
            } => write!(
                f,
                "frame {frame} names stroke {index} but there are {strokes} strokes"
            ),
        }
    }
}

impl std::error::Error for RenderError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RenderError::Stroke { error, .. } => Some(error),
            _ => None,
        }
    }
}
