//! Widths: the pen's pressure factor, its mean over each piece of the centre line, and the floor below
//! which nothing is drawn thinner.

use crate::stroke::{DecodedStroke, Tool};

/// Narrowest line drawn, in pixels, so that thin strokes stay visible far out.
pub(crate) const MIN_WIDTH_PX: f64 = 0.5;

/// Pressure assumed when a stroke has none.
const DEFAULT_PRESSURE: u8 = 128;

/// Width factor of the pen at pressure `p`: `0.5 + p / 255`, so that the default pressure draws about
/// the nominal width.
pub(crate) fn pen_factor(p: u8) -> f64 {
    0.5 + f64::from(p) / 255.0
}

/// The largest width factor a stroke of the tool can have: what bounds its ink before its pieces are
/// known.
pub(crate) fn widest_factor(tool: Tool) -> f64 {
    match tool {
        Tool::Pen => pen_factor(u8::MAX),
        Tool::Highlighter | Tool::PixelEraser => 1.0,
    }
}

/// A piece's drawn width in pixels: the stroke's nominal width `base` (pixels) times the piece's
/// factor, never below [`MIN_WIDTH_PX`].
pub(crate) fn width_px(base: f64, factor: f64) -> f64 {
    (base * factor).max(MIN_WIDTH_PX)
}

/// For each piece of [`centre_line`](crate::geometry::centre_line), the mean of a per-point value at
/// its two ends; a midpoint end takes the mean of its two points.
pub(crate) fn piece_means(values: &[f64]) -> Vec<f64> {
    let n = values.len();
    if n < 3 {
        return vec![(values[0] + values[n - 1]) * 0.5];
    }
    let mut out = Vec::with_capacity(n - 1);
    let mut start = values[0];
    for i in 1..n - 1 {
        let end = (values[i] + values[i + 1]) * 0.5;
        out.push((start + end) * 0.5);
        start = end;
    }
    out.push((start + values[n - 1]) * 0.5);
    out
}

/// The widths in pixels of a stroke's pieces.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Widths {
    /// Every piece has this width: the stroke is drawn as one path.
    Uniform(f64),
    /// A pen stroke with pressures: each piece its own width (the mean pen factor of its ends), drawn
    /// one by one.
    PerPiece(Vec<f64>),
}

impl Widths {
    /// The widths of the pieces of `stroke` whose nominal width is `base` pixels: a pen without
    /// pressures has the factor of pressure 128, the highlighter and the pixel eraser 1.
    pub fn of(stroke: &DecodedStroke, base: f64) -> Widths {
        match stroke.tool() {
            Tool::Pen if !stroke.pressures().is_empty() => {
                let factors: Vec<f64> = stroke.pressures().iter().map(|&p| pen_factor(p)).collect();
                let mut widths = piece_means(&factors);
                for w in &mut widths {
                    *w = width_px(base, *w);
                }
                Widths::PerPiece(widths)
            }
            Tool::Pen => Widths::Uniform(width_px(base, pen_factor(DEFAULT_PRESSURE))),
            Tool::Highlighter | Tool::PixelEraser => Widths::Uniform(width_px(base, 1.0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn piece_means_follow_the_pieces() {
        assert_eq!(piece_means(&[1.0, 2.0]), vec![1.5]);
        // Ends: 1 | (2+3)/2 = 2.5 | (3+5)/2 = 4 | 5.
        assert_eq!(piece_means(&[1.0, 2.0, 3.0, 5.0]), vec![1.75, 3.25, 4.5]);
    }
}
