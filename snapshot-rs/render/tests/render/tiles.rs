//! The pyramid: negative tiles, seams between tiles, levels and 512-pixel tiles.

use crate::common::{Image, assert_pixels, check, pen, stroke, tile};
use infidraw_render::{Region, Tool, render_region};

#[test]
fn negative_tile_coordinates() {
    // Tile (-1, -1) covers world [-256, 0) on both axes.
    let strokes = [
        pen(0x000000ff, 8.0, &[(-230.0, -230.0), (-30.0, -80.0)]),
        // Crosses into the positive quadrant: only its negative part shows here.
        pen(0xc02020ff, 12.0, &[(-128.0, -200.0), (100.0, 100.0)]),
    ];
    let img = check("tiles", "negative", &tile(0, -1, -1, 256, None, &strokes));
    assert_eq!(
        img.pixel(26, 26),
        [0, 0, 0, 255],
        "(-230, -230) maps to pixel (26, 26)"
    );
    assert_eq!(
        img.alpha(226, 176),
        255,
        "(-30, -80) maps to pixel (226, 176)"
    );
    // The red line reaches the tile's bottom-right corner near world (0, 0)... at x = -1 it is at
    // y = -200 + 300 / 228 · 127 ≈ -32.9 → pixel (255, 223).
    assert_eq!(img.pixel(255, 223)[0], 0xc0);
}

#[test]
fn a_stroke_crossing_a_border_matches_at_the_seam() {
    // Crosses x = 256 (the border of tiles (0, 0) and (1, 0)) on a slant and with a curve.
    let strokes = [
        pen(
            0x204080ff,
            9.0,
            &[(150.0, 60.0), (300.0, 110.0), (360.0, 40.0)],
        ),
        stroke(
            Tool::Highlighter,
            0xff800090,
            22.0,
            &[(200.0, 200.0), (256.0, 150.0), (320.0, 210.0)],
            &[],
        ),
        pen(0x000000ff, 3.0, &[(256.0, 20.0), (256.0, 240.0)]),
    ];
    let left = check("tiles", "seam_left", &tile(0, 0, 0, 256, None, &strokes));
    let right = check("tiles", "seam_right", &tile(0, 1, 0, 256, None, &strokes));
    // The same strokes rendered as one 512 × 256 region must equal the two tiles side by side.
    let region = Region {
        min_x: 0,
        min_y: 0,
        max_x: 51_200,
        max_y: 25_600,
        width_px: 512,
        height_px: 256,
        background_rgba: 0,
    };
    let both = Image::decode(&render_region(&region, &strokes).unwrap());
    assert_pixels(
        &both.crop(0, 0, 256, 256),
        &left,
        1,
        "left half vs tile (0, 0)",
    );
    assert_pixels(
        &both.crop(256, 0, 256, 256),
        &right,
        1,
        "right half vs tile (1, 0)",
    );
    // The vertical line on the border shows half in each tile.
    assert_eq!(left.alpha(255, 100), 255);
    assert_eq!(right.alpha(0, 100), 255);
    // Ink on both sides of the seam for the slanted stroke.
    assert!(left.alpha(255, 95) > 0 && right.alpha(0, 95) > 0);
}

#[test]
fn higher_levels_scale_down() {
    let drawing = [
        pen(0x000000ff, 16.0, &[(40.0, 40.0), (470.0, 40.0)]),
        pen(
            0x000000ff,
            16.0,
            &[(40.0, 100.0), (470.0, 100.0), (470.0, 470.0)],
        ),
        pen(0x2060c0ff, 24.0, &[(256.0, 256.0)]),
    ];
    let l0 = check("tiles", "level0", &tile(0, 0, 0, 256, None, &drawing));
    let l1 = check("tiles", "level1", &tile(1, 0, 0, 256, None, &drawing));
    let l2 = check("tiles", "level2", &tile(2, 0, 0, 256, None, &drawing));
    // Level 1 covers 512 units in 256 pixels: the dot at (256, 256) sits at pixel (128, 128) with
    // radius 6; at level 2 at (64, 64) with radius 3.
    assert_eq!(l1.pixel(128, 128), [0x20, 0x60, 0xc0, 255]);
    assert_eq!(l1.alpha(128, 128 + 7), 0);
    assert_eq!(l2.pixel(64, 64), [0x20, 0x60, 0xc0, 255]);
    assert_eq!(l2.alpha(64, 64 + 4), 0);
    // The line at y = 40 is 16 px thick at level 0, 8 at level 1, 4 at level 2.
    // (Rows above the second line only.)
    let thick =
        |img: &Image, x: u32, rows: u32| (0..rows).filter(|&y| img.alpha(x, y) >= 128).count();
    assert_eq!(thick(&l0, 100, 70), 16);
    assert_eq!(thick(&l1, 100, 35), 8);
    assert_eq!(thick(&l2, 50, 17), 4);
}

#[test]
fn tiles_of_512_pixels() {
    let zigzag = [
        (20.0, 200.0),
        (60.0, 30.0),
        (128.0, 220.0),
        (190.0, 30.0),
        (236.0, 200.0),
    ];
    let strokes = [
        pen(0x108040ff, 5.0, &zigzag),
        stroke(
            Tool::Highlighter,
            0xff00ff70,
            14.0,
            &[(20.0, 128.0), (236.0, 128.0)],
            &[],
        ),
    ];
    let hi = check("tiles", "size512", &tile(0, 0, 0, 512, None, &strokes));
    let lo = Image::decode(&tile(0, 0, 0, 256, None, &strokes));
    assert_eq!((hi.width, hi.height), (512, 512));
    // Same picture at twice the resolution: averaged 2 × 2 blocks match the 256 tile closely.
    let mut worst = 0u8;
    for y in 0..256 {
        for x in 0..256 {
            let mut sum = 0u32;
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                sum += u32::from(hi.alpha(2 * x + dx, 2 * y + dy));
            }
            worst = worst.max(((sum / 4) as u8).abs_diff(lo.alpha(x, y)));
        }
    }
    assert!(worst <= 80, "alpha of 2x2 averages differs by {worst}");
    let ratio = hi.inked() as f64 / lo.inked() as f64;
    assert!((3.5..4.6).contains(&ratio), "inked pixel ratio {ratio}");
}

#[test]
fn strokes_far_outside_are_culled_and_huge_ones_still_render() {
    use infidraw_render::{TileCoord, render_tile};
    // A stroke in another tile: not drawn, not counted.
    let far = pen(0x000000ff, 4.0, &[(1000.0, 1000.0), (1100.0, 1000.0)]);
    // A line 4 million world units long through tile (0, 0): 15,625 tiles, under the path bound.
    let across = pen(
        0xff0000ff,
        10.0,
        &[(-2_000_000.0, 128.0), (2_000_000.0, 128.0)],
    );
    // A dot of the widest width beside the tile: its ink (250 units around it) reaches in.
    let huge = pen(0x0000ffff, 500.0, &[(-200.0, 128.0)]);
    let r = render_tile(TileCoord::new(0, 0, 0), 256, None, &[far.clone(), across]).unwrap();
    assert_eq!(r.strokes_drawn, 1);
    let img = Image::decode(&r.png);
    assert_eq!(img.pixel(0, 128), [255, 0, 0, 255]);
    assert_eq!(img.pixel(255, 128), [255, 0, 0, 255]);
    assert_eq!(img.alpha(128, 120), 0);
    let r = render_tile(TileCoord::new(0, 0, 0), 256, None, &[huge]).unwrap();
    assert_eq!(r.strokes_drawn, 1);
    let img = Image::decode(&r.png);
    assert_eq!(img.pixel(0, 128), [0, 0, 255, 255]);
    assert_eq!(img.pixel(40, 128), [0, 0, 255, 255]);
    assert_eq!(img.alpha(60, 128), 0);
    // At the far edge of the world, at the deepest level.
    let edge = pen(
        0x00ff00ff,
        4.0,
        &[(9_999_000.0, -9_999_000.0), (10_000_000.0, -10_000_000.0)],
    );
    let t = infidraw_render::tile_of_point(
        infidraw_render::Point::new(1_000_000_000, -1_000_000_000),
        0,
    )
    .unwrap();
    let r = render_tile(t, 256, None, &[edge]).unwrap();
    assert_eq!(r.strokes_drawn, 1);
    assert!(Image::decode(&r.png).inked() > 0);
}
