//! The pen: opaque ink, round caps and joins, smoothing, pressure.

use crate::common::{Image, check, pen, stroke, tile};
use infidraw_render::Tool;

const BLACK: u32 = 0x000000ff;

#[test]
fn single_dot() {
    // A 20-unit dot in the middle of tile (0, 0): a disc of radius 10 px.
    let png = tile(0, 0, 0, 256, None, &[pen(BLACK, 20.0, &[(128.0, 128.0)])]);
    let img = check("pen", "single_dot", &png);
    assert_eq!(img.pixel(128, 128), [0, 0, 0, 255]);
    // Radius 10.02: the row 9..10 below the centre is almost covered, the next one only by a
    // 0.02 px sliver (under 1 % of a pixel).
    assert_eq!(img.alpha(128, 128 + 8), 255);
    assert!(img.alpha(128, 128 + 9) > 230);
    assert!(img.alpha(128, 128 + 10) <= 3);
    assert_eq!(img.ink_box(4), Some((118, 118, 137, 137)));
}

#[test]
fn straight_line() {
    let s = pen(0x1f4fd0ff, 6.0, &[(30.0, 40.0), (220.0, 200.0)]);
    let img = check("pen", "straight_line", &tile(0, 0, 0, 256, None, &[s]));
    // Opaque along the middle, the alpha byte of the colour ignored, round caps past the ends.
    assert_eq!(img.pixel(125, 120), [0x1f, 0x4f, 0xd0, 255]);
    let (x0, y0, x1, y1) = img.ink_box(1).unwrap();
    assert!(
        (26..=28).contains(&x0) && (36..=38).contains(&y0),
        "{x0} {y0}"
    );
    assert!(
        (222..=224).contains(&x1) && (202..=204).contains(&y1),
        "{x1} {y1}"
    );
}

#[test]
fn pen_ignores_the_alpha_byte() {
    let a = tile(
        0,
        0,
        0,
        256,
        None,
        &[pen(0x1f4fd000, 6.0, &[(30.0, 40.0), (220.0, 200.0)])],
    );
    let b = tile(
        0,
        0,
        0,
        256,
        None,
        &[pen(0x1f4fd0ff, 6.0, &[(30.0, 40.0), (220.0, 200.0)])],
    );
    assert_eq!(a, b);
}

#[test]
fn smoothed_curve() {
    let zigzag = [
        (20.0, 200.0),
        (60.0, 30.0),
        (128.0, 220.0),
        (190.0, 30.0),
        (236.0, 200.0),
    ];
    let img = check(
        "pen",
        "smoothed_curve",
        &tile(0, 0, 0, 256, None, &[pen(0x108040ff, 5.0, &zigzag)]),
    );
    // The curve passes through the midpoints of the inner points, not through the inner points.
    assert_eq!(img.alpha(94, 125), 255, "midpoint of (60,30)-(128,220)");
    assert_eq!(
        img.alpha(60, 30),
        0,
        "the control point is not on the curve"
    );
    // Ends are exact.
    assert_eq!(img.alpha(20, 200), 255);
    assert_eq!(img.alpha(236, 200), 255);
}

#[test]
fn pressure_varying_pen() {
    // Pressure 0 → factor 0.5, 255 → 1.5: the stroke swells from 6 to 18 px and back.
    let n = 9;
    let points: Vec<(f64, f64)> = (0..n).map(|i| (24.0 + 26.0 * i as f64, 128.0)).collect();
    let pressures: Vec<u8> = (0..n)
        .map(|i| (255.0 * (1.0 - ((i as f64 - 4.0) / 4.0).abs())) as u8)
        .collect();
    let s = stroke(Tool::Pen, 0x802060ff, 12.0, &points, &pressures);
    let img = check("pen", "pressure", &tile(0, 0, 0, 256, None, &[s]));
    let thickness = |x: u32| (0..256).filter(|&y| img.alpha(x, y) >= 128).count();
    let (thin, thick) = (thickness(40), thickness(128));
    assert!((6..=9).contains(&thin), "thin end {thin}");
    assert!((16..=19).contains(&thick), "thick middle {thick}");
    // Without pressures the pen uses 128: factor ≈ 1.
    let plain = Image::decode(&tile(0, 0, 0, 256, None, &[pen(0x802060ff, 12.0, &points)]));
    let t = (0..256).filter(|&y| plain.alpha(128, y) >= 128).count();
    assert!((12..=13).contains(&t), "plain width {t}");
}

#[test]
fn thin_strokes_are_floored_at_half_a_pixel() {
    // 0.1 units wide (the narrowest allowed): drawn 0.5 px wide, so it still leaves a faint trace.
    let img = Image::decode(&tile(
        0,
        0,
        0,
        256,
        None,
        &[pen(BLACK, 0.1, &[(10.0, 10.5), (200.0, 10.5)])],
    ));
    let a = img.alpha(100, 10);
    assert!((100..=160).contains(&a), "alpha {a}");
}

#[test]
fn repeated_points_draw_a_dot() {
    let s = stroke(Tool::Pen, BLACK, 10.0, &[(50.0, 50.0); 4], &[]);
    let img = Image::decode(&tile(0, 0, 0, 256, None, &[s]));
    assert_eq!(img.ink_box(1), Some((45, 45, 54, 54)));
    let s = stroke(Tool::Pen, BLACK, 10.0, &[(50.0, 50.0); 3], &[255, 255, 0]);
    let img = Image::decode(&tile(0, 0, 0, 256, None, &[s]));
    assert!(
        img.alpha(50, 50 + 6) > 0,
        "the widest piece (mean factor 1.25) sets the dot"
    );
}
