//! Every invalid input is a typed error, never a panic.

use infidraw_render::{
    MAX_REGION_EDGE_PX, Region, RenderError, Stroke, StrokeError, TileCoord, Tool, render_region,
    render_tile,
};

use crate::common::{pen, tile};

fn ok_stroke() -> Stroke {
    pen(0x000000ff, 2.0, &[(10.0, 10.0)])
}

fn region() -> Region {
    Region {
        min_x: 0,
        min_y: 0,
        max_x: 25_600,
        max_y: 25_600,
        width_px: 256,
        height_px: 256,
        background_rgba: 0,
    }
}

#[test]
fn tile_size_must_be_256_or_512() {
    for size in [0, 128, 255, 1024] {
        assert_eq!(
            render_tile(TileCoord::new(0, 0, 0), size, None, &[]),
            Err(RenderError::TileSize(size))
        );
    }
}

#[test]
fn level_and_tile_range_are_checked() {
    assert_eq!(
        render_tile(TileCoord::new(17, 0, 0), 256, None, &[]),
        Err(RenderError::Level(17))
    );
    assert_eq!(
        render_tile(TileCoord::new(0, i32::MAX, 0), 256, None, &[]),
        Err(RenderError::TileOutOfRange {
            level: 0,
            x: i32::MAX,
            y: 0
        })
    );
}

#[test]
fn invalid_strokes_name_their_index() {
    let mut bad = ok_stroke();
    bad.points.push(7);
    let err = render_tile(TileCoord::new(0, 0, 0), 256, None, &[ok_stroke(), bad]).unwrap_err();
    assert_eq!(
        err,
        RenderError::Stroke {
            index: 1,
            error: StrokeError::OddPointValues(3)
        }
    );
    assert_eq!(
        err.to_string(),
        "stroke 1: points holds 3 values, an odd number (x without y)"
    );
    let mut unspecified = ok_stroke();
    unspecified.tool = 0;
    assert!(matches!(
        render_region(&region(), &[unspecified]),
        Err(RenderError::Stroke {
            index: 0,
            error: StrokeError::UnknownTool(0)
        })
    ));
    let _ = Tool::Pen;
}

#[test]
fn bad_base_png_is_rejected() {
    let coord = TileCoord::new(0, 0, 0);
    assert!(matches!(
        render_tile(coord, 256, Some(b"\x89PNG\r\n\x1a\ngarbage"), &[]),
        Err(RenderError::BasePng(_))
    ));
    let small = tile(0, 0, 0, 256, None, &[]);
    assert_eq!(
        render_tile(coord, 512, Some(&small), &[]),
        Err(RenderError::BasePngSize {
            expected: 512,
            width: 256,
            height: 256
        })
    );
    // Truncated in the middle of the image data.
    let full = tile(
        0,
        0,
        0,
        256,
        None,
        &[pen(0x000000ff, 50.0, &[(0.0, 0.0), (256.0, 256.0)])],
    );
    assert!(matches!(
        render_tile(coord, 256, Some(&full[..full.len() - 30]), &[]),
        Err(RenderError::BasePng(_))
    ));
    // An empty base means "start from transparent".
    assert!(render_tile(coord, 256, Some(&[]), &[]).is_ok());
}

#[test]
fn region_bounds_and_size_are_checked() {
    let bad_bounds = [
        Region {
            max_x: 0,
            ..region()
        },
        Region {
            min_y: 25_600,
            ..region()
        },
        Region {
            min_x: i64::MIN,
            ..region()
        },
        Region {
            max_y: 3_000_000_000,
            ..region()
        },
    ];
    for r in bad_bounds {
        assert!(
            matches!(
                render_region(&r, &[]),
                Err(RenderError::RegionBounds { .. })
            ),
            "{r:?}"
        );
    }
    let bad_sizes = [
        (0, 10),
        (10, 0),
        (MAX_REGION_EDGE_PX + 1, 10),
        (10, MAX_REGION_EDGE_PX + 1),
        (8000, 8000), // 64 Mpx > 40 Mpx
    ];
    for (w, h) in bad_sizes {
        let r = Region {
            width_px: w,
            height_px: h,
            ..region()
        };
        assert_eq!(
            render_region(&r, &[]),
            Err(RenderError::RegionSize {
                width: w,
                height: h
            })
        );
    }
}

#[test]
fn errors_have_readable_messages() {
    let cases = [
        (RenderError::TileSize(3), "size_px 3 is not 256 or 512"),
        (RenderError::Level(20), "level 20 exceeds the maximum 16"),
        (
            RenderError::TileOutOfRange {
                level: 0,
                x: 1,
                y: 2,
            },
            "tile (1, 2) lies outside the world at level 0",
        ),
        (
            RenderError::BasePngSize {
                expected: 256,
                width: 1,
                height: 2,
            },
            "base_png is 1x2 pixels, the tile is 256x256",
        ),
        (
            RenderError::RegionSize {
                width: 0,
                height: 1,
            },
            "region output 0x1 px is empty or larger than 8192x8192 / 40000000 pixels",
        ),
    ];
    for (e, msg) in cases {
        assert_eq!(e.to_string(), msg);
    }
}
