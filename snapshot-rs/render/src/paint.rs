//! Paint: how each tool puts a decoded stroke onto the image.

use tiny_skia::Pixmap;

use crate::geometry::{Box64, Clip, Mapping, P, Piece, centre_line, piece_means};
use crate::raster::{Coverage, Ink};
use crate::stroke::{DecodedStroke, Tool};

/// Narrowest line drawn, in pixels.
const MIN_WIDTH_PX: f64 = 0.5;

/// Pressure assumed when a stroke has none.
const DEFAULT_PRESSURE: u8 = 128;

/// Width factor of the pen at pressure `p`: `0.5 + p / 255`.
fn pen_factor(p: u8) -> f64 {
    0.5 + f64::from(p) / 255.0
}

/// Draws strokes onto one image, reusing its coverage layers from stroke to stroke.
pub(crate) struct Painter {
    /// The stroke being drawn.
    stroke: Coverage,
    /// One piece of a pen stroke with pressures, created when first needed.
    piece: Option<Coverage>,
}

impl Painter {
    /// A painter for images of the pixmap's size.
    pub fn new(pixmap: &Pixmap) -> Painter {
        Painter {
            stroke: Coverage::new(pixmap.width(), pixmap.height()),
            piece: None,
        }
    }

    /// Draws one stroke; returns whether any of it could reach the pixmap.
    pub fn draw(&mut self, pixmap: &mut Pixmap, map: &Mapping, stroke: &DecodedStroke) -> bool {
        let base_width = f64::from(stroke.width()) * map.sw;
        let widest = match stroke.tool() {
            Tool::Pen => base_width * pen_factor(u8::MAX),
            Tool::Highlighter | Tool::PixelEraser => base_width,
        }
        .max(MIN_WIDTH_PX);

        // Cheap rejection of the whole stroke by the box of its points.
        let points: Vec<P> = stroke.points().iter().map(|&p| map.map(p)).collect();
        let bounds = Box64::of(&points);
        if !Clip::new(map.width, map.height, widest * 0.5).reaches(&bounds) {
            return false;
        }
        // The usual case, a stroke wholly near the image: every piece is kept as it is.
        let near = Clip::new(map.width, map.height, MIN_WIDTH_PX * 0.5).holds(&bounds);
        let Some(ink) = ink_for(stroke) else {
            return false;
        };

        let pieces = centre_line(&points);
        let drawn = match stroke.tool() {
            Tool::Pen if !stroke.pressures().is_empty() => {
                // Piece by piece, each with the mean factor of its ends, each composited over the
                // ones before (folded into the stroke's layer, which is the same for one opaque
                // colour); pieces of length zero are dots.
                let factors: Vec<f64> = stroke.pressures().iter().map(|&p| pen_factor(p)).collect();
                let piece_layer = self
                    .piece
                    .get_or_insert_with(|| Coverage::new(map.width, map.height));
                let mut drawn = false;
                for (piece, f) in pieces.into_iter().zip(piece_means(&factors)) {
                    let w = (base_width * f).max(MIN_WIDTH_PX);
                    if add(piece_layer, map, piece, w, near) {
                        piece_layer.fold_into(&mut self.stroke);
                        drawn = true;
                    }
                }
                drawn
            }
            tool => {
                let f = match tool {
                    Tool::Pen => pen_factor(DEFAULT_PRESSURE),
                    Tool::Highlighter | Tool::PixelEraser => 1.0,
                };
                let w = (base_width * f).max(MIN_WIDTH_PX);
                // One shape: the union of the pieces, so overlaps do not accumulate.
                let mut drawn = false;
                for piece in pieces {
                    drawn |= add(&mut self.stroke, map, piece, w, near);
                }
                drawn
            }
        };
        self.stroke.composite(pixmap.data_mut(), ink);
        drawn
    }
}

/// Adds the ink of one piece of width `width` pixels (round caps) to `layer` by union; returns whether
/// any of it could reach the image. `near`: the piece lies within the image's safe box and meets it,
/// so it needs neither culling nor splitting (the lines cull themselves row by row).
fn add(layer: &mut Coverage, map: &Mapping, piece: Piece, width: f64, near: bool) -> bool {
    let r = width * 0.5;
    let mut line = |kept: Piece| kept.flatten(|a, b| layer.line((a.x, a.y), (b.x, b.y), r));
    if near {
        line(piece);
        return true;
    }
    Clip::new(map.width, map.height, r).add(piece, &mut line)
}

/// The ink of a stroke's tool, or `None` when it would leave no trace (a fully transparent
/// highlighter).
fn ink_for(stroke: &DecodedStroke) -> Option<Ink> {
    let [r, g, b, a] = stroke.rgba().to_be_bytes();
    match stroke.tool() {
        Tool::Pen => Some(Ink::Over([r, g, b, u8::MAX])),
        Tool::Highlighter if a == 0 => None,
        Tool::Highlighter => Some(Ink::Over([r, g, b, a])),
        Tool::PixelEraser => Some(Ink::Erase),
    }
}
