//! Paint: how each tool puts a decoded stroke onto the image.

use std::ops::Range;

use tiny_skia::Pixmap;

use crate::geometry::{Box64, Clip, Mapping, P, Piece, centre_line};
use crate::raster::{Coverage, Ink};
use crate::stroke::{DecodedStroke, Tool};
use crate::width::{MIN_WIDTH_PX, Widths, widest_factor, width_px};

/// Draws strokes onto one image, reusing its coverage layers from stroke to stroke.
pub(crate) struct Painter {
    /// The stroke being drawn.
    stroke: Coverage,
    /// One piece of a pen stroke with pressures, created when first needed.
    piece: Option<Coverage>,
    /// Rows that the strokes drawn so far may have changed (empty when none).
    dirty: Range<usize>,
}

impl Painter {
    /// A painter for images of the pixmap's size.
    pub fn new(pixmap: &Pixmap) -> Painter {
        Painter {
            stroke: Coverage::new(pixmap.width(), pixmap.height()),
            piece: None,
            dirty: 0..0,
        }
    }

    /// The rows that the strokes drawn so far may have changed; empty when none.
    pub fn dirty_rows(&self) -> Range<usize> {
        self.dirty.clone()
    }

    /// The rows changed since the last call (or since the painter was made), and starts counting
    /// anew; empty when none.
    pub fn take_dirty_rows(&mut self) -> Range<usize> {
        std::mem::take(&mut self.dirty)
    }

    /// Draws one stroke; returns whether any of it could reach the pixmap.
    pub fn draw(&mut self, pixmap: &mut Pixmap, map: &Mapping, stroke: &DecodedStroke) -> bool {
        let base_width = f64::from(stroke.width()) * map.sw;
        let widest = width_px(base_width, widest_factor(stroke.tool()));

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
        let drawn = match Widths::of(stroke, base_width) {
            Widths::PerPiece(widths) => {
                // Piece by piece, each composited over the ones before (folded into the stroke's
                // layer, which is the same for one opaque colour); pieces of length zero are dots.
                let piece_layer = self
                    .piece
                    .get_or_insert_with(|| Coverage::new(map.width, map.height));
                let mut drawn = false;
                for (piece, w) in pieces.into_iter().zip(widths) {
                    if add(piece_layer, map, piece, w, near) {
                        piece_layer.fold_into(&mut self.stroke);
                        drawn = true;
                    }
                }
                drawn
            }
            Widths::Uniform(w) => {
                // One shape: the union of the pieces, so overlaps do not accumulate.
                let mut drawn = false;
                for piece in pieces {
                    drawn |= add(&mut self.stroke, map, piece, w, near);
                }
                drawn
            }
        };
        let rows = self.stroke.composite(pixmap.data_mut(), ink);
        if !rows.is_empty() {
            self.dirty = if self.dirty.is_empty() {
                rows
            } else {
                self.dirty.start.min(rows.start)..self.dirty.end.max(rows.end)
            };
        }
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
