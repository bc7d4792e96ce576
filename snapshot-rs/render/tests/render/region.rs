//! Regions: any rectangle at any resolution, with a background under the strokes.

use crate::common::{Image, check, pen, stroke};
use infidraw_render::{Region, Tool, render_region};

#[test]
fn region_with_background_and_eraser() {
    // World [-100, 300) × [-50, 150) drawn at 2 px per unit (800 × 400).
    let region = Region {
        min_x: -10_000,
        min_y: -5_000,
        max_x: 30_000,
        max_y: 15_000,
        width_px: 800,
        height_px: 400,
        background_rgba: 0xf4f0e8ff,
    };
    let strokes = [
        pen(
            0x303030ff,
            6.0,
            &[
                (-80.0, 0.0),
                (0.0, 120.0),
                (100.0, -20.0),
                (200.0, 120.0),
                (280.0, 0.0),
            ],
        ),
        stroke(
            Tool::Highlighter,
            0x40c0ff80,
            30.0,
            &[(-90.0, 50.0), (290.0, 50.0)],
            &[],
        ),
        stroke(
            Tool::PixelEraser,
            0,
            10.0,
            &[(100.0, -50.0), (100.0, 150.0)],
            &[],
        ),
    ];
    let img = check(
        "region",
        "background",
        &render_region(&region, &strokes).unwrap(),
    );
    assert_eq!((img.width, img.height), (800, 400));
    // The eraser removes ink but never the background.
    assert_eq!(
        img.pixel(400, 200),
        [0xf4, 0xf0, 0xe8, 255],
        "erased highlighter shows paper"
    );
    assert_eq!(img.pixel(5, 5), [0xf4, 0xf0, 0xe8, 255]);
    // Width scales with the region: the highlighter's 30 units are 60 px.
    let blue = (0..400)
        .filter(|&y| {
            let p = img.pixel(60, y);
            u16::from(p[2]) > u16::from(p[0]) + 20
        })
        .count();
    assert_eq!(blue, 60);
}

#[test]
fn transparent_background_and_non_square_scale() {
    let region = Region {
        min_x: 0,
        min_y: 0,
        max_x: 25_600,
        max_y: 25_600,
        width_px: 512,
        height_px: 128,
        background_rgba: 0,
    };
    let img =
        Image::decode(&render_region(&region, &[pen(0x000000ff, 8.0, &[(128.0, 128.0)])]).unwrap());
    assert_eq!(img.pixel(0, 0), [0, 0, 0, 0]);
    // The dot lands at (256, 64), width uses the geometric mean of 2 and 0.5 px per unit: 8 px.
    assert_eq!(img.alpha(256, 64), 255);
    assert_eq!(img.alpha(256 + 5, 64), 0);
}
