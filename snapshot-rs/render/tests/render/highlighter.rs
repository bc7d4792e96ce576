//! The highlighter: translucent, one path per stroke so it never darkens itself.

use crate::common::{Image, check, pen, stroke, tile};
use infidraw_render::Tool;

const YELLOW_HALF: u32 = 0xffd80080;

/// A loop that crosses itself twice.
fn figure_eight() -> Vec<(f64, f64)> {
    (0..=64)
        .map(|i| {
            let t = i as f64 / 64.0 * std::f64::consts::TAU;
            (128.0 + 90.0 * t.sin(), 128.0 + 60.0 * (2.0 * t).sin())
        })
        .collect()
}

#[test]
fn overlapping_itself_does_not_darken() {
    let strokes = [
        pen(0x202020ff, 4.0, &[(20.0, 128.0), (236.0, 128.0)]),
        stroke(Tool::Highlighter, YELLOW_HALF, 24.0, &figure_eight(), &[]),
    ];
    let img = check(
        "highlighter",
        "overlap",
        &tile(0, 0, 0, 256, None, &strokes),
    );
    // The crossing at the centre lies on the pen line; away from it, at (128, 128 ± 8), the path
    // crosses itself. Compare with a single pass of the same stroke far from any crossing.
    let single = img.pixel(218, 128 + 8);
    let crossing = img.pixel(128, 128 + 8);
    assert_eq!(single[3], 0x80, "one pass keeps the stroke's alpha");
    assert_eq!(crossing, single, "a crossing is painted once");
}

#[test]
fn separate_strokes_do_darken() {
    let line = |y: f64| {
        stroke(
            Tool::Highlighter,
            YELLOW_HALF,
            20.0,
            &[(20.0, y), (236.0, y)],
            &[],
        )
    };
    let img = Image::decode(&tile(0, 0, 0, 256, None, &[line(120.0), line(130.0)]));
    let once = img.alpha(128, 112);
    let twice = img.alpha(128, 125);
    assert_eq!(once, 0x80);
    assert!(twice > once + 40, "two strokes compose: {once} vs {twice}");
}

#[test]
fn transparent_highlighter_draws_nothing() {
    let s = stroke(
        Tool::Highlighter,
        0xffd80000,
        20.0,
        &[(20.0, 20.0), (200.0, 200.0)],
        &[],
    );
    let r = infidraw_render::render_tile(infidraw_render::TileCoord::new(0, 0, 0), 256, None, &[s])
        .unwrap();
    assert_eq!(r.strokes_drawn, 0);
    assert_eq!(Image::decode(&r.png).inked(), 0);
}
