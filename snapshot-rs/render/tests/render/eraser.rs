//! The pixel eraser: destination-out over the snapshot and earlier strokes, not later ones.

use crate::common::{Image, check, pen, stroke, tile};
use infidraw_render::Tool;

fn base_snapshot() -> Vec<u8> {
    // Thick bars of three colours, as a previous snapshot of the tile.
    let bars = [
        pen(0xd03030ff, 40.0, &[(20.0, 50.0), (236.0, 50.0)]),
        pen(0x30a040ff, 40.0, &[(20.0, 128.0), (236.0, 128.0)]),
        pen(0x3040d0ff, 40.0, &[(20.0, 206.0), (236.0, 206.0)]),
    ];
    tile(0, 0, 0, 256, None, &bars)
}

#[test]
fn erases_the_base_snapshot_and_earlier_strokes_only() {
    let base = base_snapshot();
    check("eraser", "base", &base);
    let strokes = [
        // Drawn before the eraser: erased where they cross it.
        pen(0xe0a000ff, 10.0, &[(128.0, 10.0), (128.0, 246.0)]),
        stroke(
            Tool::PixelEraser,
            0x00000000,
            30.0,
            &[(30.0, 20.0), (128.0, 236.0), (226.0, 20.0)],
            &[],
        ),
        // Drawn after it: untouched.
        pen(0x101010ff, 6.0, &[(20.0, 236.0), (236.0, 236.0)]),
    ];
    let img = check(
        "eraser",
        "over_base",
        &tile(0, 0, 0, 256, Some(&base), &strokes),
    );
    let b = Image::decode(&base);
    // On the eraser's path the snapshot is gone...
    assert_eq!(b.alpha(42, 50), 255);
    assert_eq!(img.alpha(42, 50), 0);
    // ...and so is the earlier orange line where the smoothed V passes (its bottom is pulled up
    // to y ≈ 160 by the smoothing through the midpoint of its second leg).
    assert_eq!(img.alpha(128, 160), 0);
    assert_eq!(img.alpha(128, 100), 255);
    // Away from it the snapshot is intact.
    assert_eq!(img.pixel(200, 128), b.pixel(200, 128));
    // The later dark line is drawn over the erased area.
    assert_eq!(img.pixel(128, 236), [0x10, 0x10, 0x10, 255]);
}

#[test]
fn incremental_render_equals_full_render() {
    // Rendering a and then b on top of a's PNG gives the same picture as rendering a + b at once.
    let a = [pen(
        0x336699ff,
        8.0,
        &[(10.0, 10.0), (120.0, 200.0), (240.0, 30.0)],
    )];
    let b = [
        stroke(
            Tool::PixelEraser,
            0,
            16.0,
            &[(10.0, 100.0), (246.0, 100.0)],
            &[],
        ),
        stroke(
            Tool::Highlighter,
            0x00ff0060,
            20.0,
            &[(128.0, 10.0), (128.0, 246.0)],
            &[],
        ),
    ];
    let base = tile(0, 0, 0, 256, None, &a);
    let incremental = Image::decode(&tile(0, 0, 0, 256, Some(&base), &b));
    let all: Vec<_> = a.iter().chain(&b).cloned().collect();
    let full = Image::decode(&tile(0, 0, 0, 256, None, &all));
    crate::common::assert_pixels(&full, &incremental, 1, "incremental vs full");
}
