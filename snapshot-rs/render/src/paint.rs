//! Paint: how each tool puts a decoded stroke onto a pixmap.

use tiny_skia::{
    BlendMode, Color, FillRule, LineCap, LineJoin, Paint, PathBuilder, Pixmap, Transform,
};

use crate::geometry::{
    Box64, Clip, Mapping, P, PathSink, Piece, centre_line, flatten, piece_means,
};
use crate::stroke::{DecodedStroke, Tool};

/// Narrowest line drawn, in pixels.
const MIN_WIDTH_PX: f64 = 0.5;

/// Pressure assumed when a stroke has none.
const DEFAULT_PRESSURE: u8 = 128;

/// Width factor of the pen at pressure `p`: `0.5 + p / 255`.
fn pen_factor(p: u8) -> f64 {
    0.5 + f64::from(p) / 255.0
}

/// Draws one stroke; returns whether any of it could reach the pixmap.
pub(crate) fn draw_stroke(pixmap: &mut Pixmap, map: &Mapping, stroke: &DecodedStroke) -> bool {
    let base_width = f64::from(stroke.width()) * map.sw;
    let widest = match stroke.tool() {
        Tool::Pen => base_width * pen_factor(u8::MAX),
        Tool::Highlighter | Tool::PixelEraser => base_width,
    }
    .max(MIN_WIDTH_PX);

    // Cheap rejection of the whole stroke by the box of its points.
    let points: Vec<P> = stroke.points().iter().map(|&p| map.map(p)).collect();
    let whole = Clip::new(map.width, map.height, widest * 0.5);
    if !whole.reaches(&Box64::of(&points)) {
        return false;
    }

    let Some(paint) = paint_for(stroke) else {
        return false;
    };

    match stroke.tool() {
        Tool::Pen if !stroke.pressures().is_empty() => {
            // Piece by piece, each with the mean factor of its ends; pieces of length zero are dots.
            let factors: Vec<f64> = stroke.pressures().iter().map(|&p| pen_factor(p)).collect();
            let mut drawn = false;
            for (piece, f) in centre_line(&points).into_iter().zip(piece_means(&factors)) {
                let w = (base_width * f).max(MIN_WIDTH_PX);
                drawn |= if piece.is_point() {
                    fill_dot(pixmap, piece.start(), w, &paint)
                } else {
                    stroke_pieces(pixmap, std::iter::once(piece), w, &paint)
                };
            }
            drawn
        }
        tool => {
            let f = match tool {
                Tool::Pen => pen_factor(DEFAULT_PRESSURE),
                Tool::Highlighter | Tool::PixelEraser => 1.0,
            };
            let w = (base_width * f).max(MIN_WIDTH_PX);
            if points.iter().all(|p| *p == points[0]) {
                fill_dot(pixmap, points[0], w, &paint)
            } else {
                stroke_pieces(pixmap, centre_line(&points).into_iter(), w, &paint)
            }
        }
    }
}

/// The paint of a stroke's tool, or `None` when it would leave no trace (a fully transparent
/// highlighter).
fn paint_for(stroke: &DecodedStroke) -> Option<Paint<'static>> {
    let [r, g, b, a] = stroke.rgba().to_be_bytes();
    let (color, blend_mode) = match stroke.tool() {
        Tool::Pen => (Color::from_rgba8(r, g, b, u8::MAX), BlendMode::SourceOver),
        Tool::Highlighter if a == 0 => return None,
        Tool::Highlighter => (Color::from_rgba8(r, g, b, a), BlendMode::SourceOver),
        Tool::PixelEraser => (Color::BLACK, BlendMode::DestinationOut),
    };
    let mut paint = Paint {
        blend_mode,
        anti_alias: true,
        ..Paint::default()
    };
    paint.set_color(color);
    Some(paint)
}

/// Strokes the pieces as one path (round caps and joins) and fills the outline once, so overlaps of
/// the path do not accumulate.
fn stroke_pieces(
    pixmap: &mut Pixmap,
    pieces: impl Iterator<Item = Piece>,
    width: f64,
    paint: &Paint,
) -> bool {
    let clip = Clip::new(pixmap.width(), pixmap.height(), width * 0.5);
    let mut sink = PathSink::new();
    for piece in pieces {
        clip.add(&mut sink, piece);
    }
    let Some(path) = sink.finish() else {
        return false;
    };
    let stroke = tiny_skia::Stroke {
        width: width as f32,
        line_cap: LineCap::Round,
        line_join: LineJoin::Round,
        ..tiny_skia::Stroke::default()
    };
    let Some(outline) = path.stroke(&stroke, 1.0).as_ref().and_then(flatten) else {
        return false;
    };
    pixmap.fill_path(
        &outline,
        paint,
        FillRule::Winding,
        Transform::identity(),
        None,
    );
    true
}

/// Fills a disc of diameter `width`: what a round-capped segment of length zero covers.
fn fill_dot(pixmap: &mut Pixmap, c: P, width: f64, paint: &Paint) -> bool {
    let clip = Clip::new(pixmap.width(), pixmap.height(), width * 0.5);
    if !clip.reaches(&Box64::of(&[c])) {
        return false;
    }
    let circle = PathBuilder::from_circle(c.x as f32, c.y as f32, (width * 0.5) as f32);
    let Some(circle) = circle.as_ref().and_then(flatten) else {
        return false;
    };
    pixmap.fill_path(
        &circle,
        paint,
        FillRule::Winding,
        Transform::identity(),
        None,
    );
    true
}
