//! Stroke types: the wire form and the decoded form.

use crate::limits::COORD_SCALE;

/// How a stroke becomes pixels. The discriminants are those of `infidraw.stroke.v1.Tool`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum Tool {
    /// Opaque ink whose width follows pressure.
    Pen = 1,
    /// Constant-width translucent ink: the whole stroke is one path, so it never darkens itself.
    Highlighter = 2,
    /// Removes what lies below it in the tile (destination-out).
    PixelEraser = 3,
}

impl Tool {
    /// Converts the protobuf enum value; `None` for `TOOL_UNSPECIFIED` (0) and unknown values.
    pub fn from_i32(value: i32) -> Option<Tool> {
        match value {
            1 => Some(Tool::Pen),
            2 => Some(Tool::Highlighter),
            3 => Some(Tool::PixelEraser),
            _ => None,
        }
    }
}

/// A stroke as it travels on the wire, field for field `infidraw.stroke.v1.Stroke` (without `id`,
/// which rendering does not need).
///
/// `points` holds `x0, y0, dx1, dy1, ...`: the first pair absolute, every later pair the difference to
/// the previous point, all divided by `quantum`. `pressures` is delta encoded the same way (without the
/// quantum) or empty. Use [`decode_stroke`](crate::decode_stroke) to validate and decode it and
/// [`encode_stroke`](crate::encode_stroke) to build one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stroke {
    /// The `infidraw.stroke.v1.Tool` value, see [`Tool`].
    pub tool: i32,
    /// Colour as `0xRRGGBBAA`.
    pub rgba: u32,
    /// Nominal width in world units × 100.
    pub width: u32,
    /// Divisor of every encoded coordinate; 0 is read as 1.
    pub quantum: u32,
    /// Interleaved, delta encoded coordinates in units of `quantum` / 100 world units.
    pub points: Vec<i32>,
    /// Delta encoded pressures (0–255 once decoded), one per point, or empty.
    pub pressures: Vec<i32>,
}

/// A point in quantized world coordinates (world units × 100).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Point {
    /// Horizontal coordinate, growing to the right.
    pub x: i32,
    /// Vertical coordinate, growing downwards.
    pub y: i32,
}

impl Point {
    /// Creates a point from quantized coordinates.
    pub const fn new(x: i32, y: i32) -> Point {
        Point { x, y }
    }
}

/// A validated stroke with absolute points, ready to render.
///
/// Built by [`decode_stroke`](crate::decode_stroke), which guarantees: at least one point, at most
/// [`MAX_POINTS`], every coordinate within ±[`MAX_COORD`], a path of at most [`MAX_PATH_TILES`]
/// tile spans, width within [`MIN_WIDTH`]`..=`[`MAX_WIDTH`], and either no pressures or exactly one per
/// point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedStroke {
    pub(crate) tool: Tool,
    pub(crate) rgba: u32,
    pub(crate) width: u32,
    pub(crate) points: Vec<Point>,
    pub(crate) pressures: Vec<u8>,
}

impl DecodedStroke {
    /// The drawing tool.
    pub fn tool(&self) -> Tool {
        self.tool
    }

    /// Colour as `0xRRGGBBAA`.
    pub fn rgba(&self) -> u32 {
        self.rgba
    }

    /// Nominal width in world units × 100.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// The absolute points, in drawing order.
    pub fn points(&self) -> &[Point] {
        &self.points
    }

    /// One pressure per point (0–255), or an empty slice when the stroke has none.
    pub fn pressures(&self) -> &[u8] {
        &self.pressures
    }

    /// How far ink may reach from the centre line for [`tiles_touched`](crate::tiles_touched), in
    /// world units × 100: `⌊3 · width / 4⌋ + 100` (the widest pressure factor halved, plus one world
    /// unit of anti-aliasing margin), in integers as the Go indexer computes it.
    pub(crate) fn reach(&self) -> i64 {
        3 * i64::from(self.width) / 4 + COORD_SCALE
    }
}
