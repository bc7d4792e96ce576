//! Property tests (proptest) of stroke decoding and rendering, the Rust side of issue 12's fuzzing:
//! arbitrary wire strokes decode or fail with a typed error, never a panic; what decodes is within the
//! stroke limits and encodes back to itself; and any strokes render into any tile, or fail with a typed
//! error. `make test` runs proptest's default 256 cases per property; `make fuzz` sets PROPTEST_CASES.

use infidraw_render::{
    MAX_COORD, MAX_LEVEL, MAX_PATH_TILES, MAX_POINTS, MAX_WIDTH, MIN_WIDTH, Point, RenderError,
    Stroke, TileCoord, Tool, decode_stroke, encode_stroke, render_tile, tile_of_point, tile_span,
};
use proptest::collection::vec;
use proptest::prelude::*;

/// Wire strokes from drawing-like (small deltas, usual widths) to hostile (any value), with tools and
/// pressures both valid and not.
fn wire_stroke(max_points: usize) -> impl Strategy<Value = Stroke> {
    let value = prop_oneof![4 => -3_000i32..3_000, 1 => any::<i32>()];
    let width = prop_oneof![4 => MIN_WIDTH..=MAX_WIDTH, 1 => any::<u32>()];
    let quantum = prop_oneof![Just(0u32), 1u32..20_000, any::<u32>()];
    let pressures = prop_oneof![Just(Vec::new()), vec(-300i32..300, 0..=max_points)];
    (
        -1i32..5,
        width,
        quantum,
        vec(value, 0..=2 * max_points + 1),
        pressures,
    )
        .prop_map(|(tool, width, quantum, points, pressures)| Stroke {
            tool,
            rgba: 0x336699ff,
            width,
            quantum,
            points,
            pressures,
        })
}

/// Valid strokes of every tool around the origin, some with pressures: what renders.
fn drawn_stroke() -> impl Strategy<Value = Stroke> {
    (
        1i32..=3,
        MIN_WIDTH..=MAX_WIDTH,
        vec((-60_000i32..60_000, -60_000i32..60_000), 1..32),
        any::<bool>(),
    )
        .prop_flat_map(|(tool, width, points, with_pressures)| {
            let n = if with_pressures { points.len() } else { 0 };
            (Just((tool, width, points)), vec(any::<u8>(), n))
        })
        .prop_map(|((tool, width, points), pressures)| {
            let tool = Tool::from_i32(tool).expect("a valid tool");
            let points: Vec<Point> = points.into_iter().map(|(x, y)| Point::new(x, y)).collect();
            encode_stroke(tool, 0x33669980, width, &points, &pressures).expect("a valid stroke")
        })
}

/// Strokes that go back and forth over long distances with many points: most are over the path limit.
fn long_stroke() -> impl Strategy<Value = Stroke> {
    (1usize..=MAX_POINTS + 1, 1i32..9_000, 1u32..=12_800).prop_map(|(n, step, quantum)| {
        let mut points = vec![1, 1];
        for i in 1..n {
            points.extend([if i % 2 == 1 { step } else { -step }, 0]);
        }
        Stroke {
            tool: 1,
            rgba: 0xff,
            width: 1000,
            quantum,
            points,
            pressures: Vec::new(),
        }
    })
}

fn path(points: &[Point]) -> i64 {
    points
        .windows(2)
        .map(|w| {
            let dx = (i64::from(w[1].x) - i64::from(w[0].x)).abs();
            let dy = (i64::from(w[1].y) - i64::from(w[0].y)).abs();
            dx.max(dy)
        })
        .sum()
}

/// What decode_stroke accepts is within every limit and survives an encode/decode round trip.
fn check_decoded(s: &Stroke) -> Result<(), TestCaseError> {
    let Ok(d) = decode_stroke(s) else {
        return Ok(());
    };
    let n = d.points().len();
    prop_assert!((1..=MAX_POINTS).contains(&n));
    prop_assert!((MIN_WIDTH..=MAX_WIDTH).contains(&d.width()));
    let in_world =
        |p: &Point| i64::from(p.x).abs() <= MAX_COORD && i64::from(p.y).abs() <= MAX_COORD;
    prop_assert!(d.points().iter().all(in_world));
    prop_assert!(path(d.points()) <= MAX_PATH_TILES * tile_span(0));
    prop_assert!(d.pressures().is_empty() || d.pressures().len() == n);
    let again = encode_stroke(d.tool(), d.rgba(), d.width(), d.points(), d.pressures())
        .map_err(|e| TestCaseError::fail(format!("re-encoding refused: {e}")))?;
    prop_assert_eq!(decode_stroke(&again), Ok(d));
    Ok(())
}

proptest! {
    #[test]
    fn decoding_never_panics_and_accepts_only_strokes_within_the_limits(s in wire_stroke(64)) {
        check_decoded(&s)?;
    }

    #[test]
    fn long_strokes_are_refused_by_the_path_bound_not_by_time(s in long_stroke()) {
        check_decoded(&s)?;
    }

    #[test]
    fn any_strokes_render_into_any_tile_or_fail_with_a_typed_error(
        strokes in vec(prop_oneof![3 => drawn_stroke(), 1 => wire_stroke(16)], 0..4),
        level in 0u32..=MAX_LEVEL,
        near in any::<bool>(),
        dx in -2i32..=2,
        dy in -2i32..=2,
    ) {
        // A tile at or beside the first stroke's first point, or the origin's.
        let first = strokes.iter().find_map(|s| decode_stroke(s).ok()).map(|d| d.points()[0]);
        let base = match (near, first) {
            (true, Some(p)) => tile_of_point(p, level).unwrap(),
            _ => TileCoord::new(level, 0, 0),
        };
        let coord = TileCoord::new(level, base.x.saturating_add(dx), base.y.saturating_add(dy));
        match render_tile(coord, 256, None, &strokes) {
            Ok(t) => {
                prop_assert!(t.strokes_drawn as usize <= strokes.len());
                prop_assert!(strokes.iter().all(|s| decode_stroke(s).is_ok()));
            }
            Err(RenderError::Stroke { index, error }) => {
                prop_assert_eq!(decode_stroke(&strokes[index]), Err(error));
            }
            Err(RenderError::TileOutOfRange { .. }) => prop_assert!(coord.validate().is_err()),
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }
}
