//! The point encoding: first pair absolute, then deltas, all divided by the stroke's quantum.

use crate::error::StrokeError;
use crate::limits::{MAX_COORD, MAX_PATH_TILES, MAX_POINTS, MAX_WIDTH, MIN_WIDTH};
use crate::stroke::{DecodedStroke, Point, Stroke, Tool};
use crate::tile::tile_span;

/// Validates a wire stroke and decodes its points and pressures, in time linear in its points.
///
/// `x[i] = quantum · (points[0] + points[2] + … + points[2i])`, likewise for `y`; pressures are running
/// sums of `pressures` without the quantum. Fails when the tool is unknown, the width lies outside
/// [`MIN_WIDTH`]`..=`[`MAX_WIDTH`], there are no points, an odd number of values or more than
/// [`MAX_POINTS`] points, a coordinate leaves ±[`MAX_COORD`] (overflow included), the centre line is
/// longer than [`MAX_PATH_TILES`] level-0 tile spans (sum of `max(|dx|, |dy|)`), or pressures are
/// neither absent nor one per point in 0–255.
pub fn decode_stroke(stroke: &Stroke) -> Result<DecodedStroke, StrokeError> {
    let tool = Tool::from_i32(stroke.tool).ok_or(StrokeError::UnknownTool(stroke.tool))?;
    check_width(stroke.width)?;
    let values = stroke.points.len();
    if values == 0 {
        return Err(StrokeError::NoPoints);
    }
    if !values.is_multiple_of(2) {
        return Err(StrokeError::OddPointValues(values));
    }
    let n = values / 2;
    if n > MAX_POINTS {
        return Err(StrokeError::TooManyPoints(n));
    }
    let quantum = i64::from(stroke.quantum.max(1));
    let mut points = Vec::with_capacity(n);
    // Running sums in units of the quantum: at most 10^4 values of magnitude 2^31, so no i64 overflow.
    let (mut sx, mut sy) = (0i64, 0i64);
    for (i, pair) in stroke.points.chunks_exact(2).enumerate() {
        sx += i64::from(pair[0]);
        sy += i64::from(pair[1]);
        let x = scale(sx, quantum).ok_or(StrokeError::CoordinateOutOfRange { point: i })?;
        let y = scale(sy, quantum).ok_or(StrokeError::CoordinateOutOfRange { point: i })?;
        points.push(Point::new(x, y));
    }
    check_path(&points)?;
    let pressures = decode_pressures(&stroke.pressures, n)?;
    Ok(DecodedStroke {
        tool,
        rgba: stroke.rgba,
        width: stroke.width,
        points,
        pressures,
    })
}

fn check_width(width: u32) -> Result<(), StrokeError> {
    if (MIN_WIDTH..=MAX_WIDTH).contains(&width) {
        Ok(())
    } else {
        Err(StrokeError::WidthOutOfRange(width))
    }
}

/// Refuses a centre line longer than [`MAX_PATH_TILES`] level-0 spans: below that bound, walking the
/// tiles of the stroke or flattening it costs what its points cost ([`tiles_touched`](crate::tiles_touched)
/// cuts segments by this very measure, so it visits at most `MAX_PATH_TILES + MAX_POINTS` pieces).
/// With at most [`MAX_POINTS`] points within ±[`MAX_COORD`] the sum stays below 2^45.
fn check_path(points: &[Point]) -> Result<(), StrokeError> {
    let path: i64 = points
        .windows(2)
        .map(|w| {
            let dx = (i64::from(w[1].x) - i64::from(w[0].x)).abs();
            let dy = (i64::from(w[1].y) - i64::from(w[0].y)).abs();
            dx.max(dy)
        })
        .sum();
    if path > MAX_PATH_TILES * tile_span(0) {
        return Err(StrokeError::PathTooLong {
            tiles: path / tile_span(0),
        });
    }
    Ok(())
}

fn scale(sum: i64, quantum: i64) -> Option<i32> {
    let v = sum.checked_mul(quantum)?;
    if v.abs() > MAX_COORD {
        return None;
    }
    i32::try_from(v).ok()
}

fn decode_pressures(deltas: &[i32], points: usize) -> Result<Vec<u8>, StrokeError> {
    if deltas.is_empty() {
        return Ok(Vec::new());
    }
    if deltas.len() != points {
        return Err(StrokeError::PressureCount {
            points,
            pressures: deltas.len(),
        });
    }
    let mut sum = 0i64;
    deltas
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            sum += i64::from(d);
            u8::try_from(sum).map_err(|_| StrokeError::PressureOutOfRange {
                point: i,
                value: sum,
            })
        })
        .collect()
}

/// Encodes absolute points (and optional pressures, empty for none) into the wire form.
///
/// The quantum is the greatest common divisor of all coordinates (1 when they are all zero), which
/// shrinks the varints of strokes recorded on a coarse grid. Fails on the same conditions as
/// [`decode_stroke`], so that every encoded stroke decodes back to the same points.
pub fn encode_stroke(
    tool: Tool,
    rgba: u32,
    width: u32,
    points: &[Point],
    pressures: &[u8],
) -> Result<Stroke, StrokeError> {
    check_width(width)?;
    if points.is_empty() {
        return Err(StrokeError::NoPoints);
    }
    if points.len() > MAX_POINTS {
        return Err(StrokeError::TooManyPoints(points.len()));
    }
    if !pressures.is_empty() && pressures.len() != points.len() {
        return Err(StrokeError::PressureCount {
            points: points.len(),
            pressures: pressures.len(),
        });
    }
    let mut g = 0u64;
    for (i, p) in points.iter().enumerate() {
        if i64::from(p.x).abs() > MAX_COORD || i64::from(p.y).abs() > MAX_COORD {
            return Err(StrokeError::CoordinateOutOfRange { point: i });
        }
        g = gcd(g, i64::from(p.x).unsigned_abs());
        g = gcd(g, i64::from(p.y).unsigned_abs());
    }
    check_path(points)?;
    let quantum = g.max(1) as i64;
    let mut encoded = Vec::with_capacity(points.len() * 2);
    let mut prev = (0i64, 0i64);
    for p in points {
        let (x, y) = (i64::from(p.x), i64::from(p.y));
        // |x - prev.x| ≤ 2 · MAX_COORD < 2^31, so the deltas fit in i32.
        encoded.push(((x - prev.0) / quantum) as i32);
        encoded.push(((y - prev.1) / quantum) as i32);
        prev = (x, y);
    }
    let mut prev_p = 0i32;
    let pressures = pressures
        .iter()
        .map(|&p| {
            let d = i32::from(p) - prev_p;
            prev_p = i32::from(p);
            d
        })
        .collect();
    Ok(Stroke {
        tool: tool as i32,
        rgba,
        width,
        quantum: quantum as u32,
        points: encoded,
        pressures,
    })
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pen(points: Vec<i32>) -> Stroke {
        Stroke {
            tool: Tool::Pen as i32,
            rgba: 0x000000ff,
            width: 200,
            quantum: 0,
            points,
            pressures: Vec::new(),
        }
    }

    #[test]
    fn round_trip_keeps_points_and_pressures() {
        let points = [
            Point::new(-1_000_000_000, 1_000_000_000),
            Point::new(-999_999_963, 999_987_655),
            Point::new(-999_000_000, 1_000_000_000),
            Point::new(-999_999_963, 999_999_999),
        ];
        let pressures = [0, 255, 128, 7];
        let s = encode_stroke(Tool::Highlighter, 0x11223344, 1234, &points, &pressures).unwrap();
        assert_eq!(s.quantum, 1);
        let d = decode_stroke(&s).unwrap();
        assert_eq!(d.points(), &points);
        assert_eq!(d.pressures(), &pressures);
        assert_eq!(d.tool(), Tool::Highlighter);
        assert_eq!(d.rgba(), 0x11223344);
        assert_eq!(d.width(), 1234);
    }

    #[test]
    fn quantum_is_the_gcd_and_shrinks_values() {
        let points = [
            Point::new(1_500, -300),
            Point::new(1_800, 600),
            Point::new(0, 0),
        ];
        let s = encode_stroke(Tool::Pen, 0, 100, &points, &[]).unwrap();
        assert_eq!(s.quantum, 300);
        assert_eq!(s.points, vec![5, -1, 1, 3, -6, -2]);
        assert_eq!(decode_stroke(&s).unwrap().points(), &points);
    }

    #[test]
    fn all_zero_points_use_quantum_one() {
        let s = encode_stroke(Tool::Pen, 0, 100, &[Point::new(0, 0)], &[]).unwrap();
        assert_eq!(s.quantum, 1);
        assert_eq!(decode_stroke(&s).unwrap().points(), &[Point::new(0, 0)]);
    }

    #[test]
    fn quantum_zero_reads_as_one() {
        let d = decode_stroke(&pen(vec![10, 20, -5, 5])).unwrap();
        assert_eq!(d.points(), &[Point::new(10, 20), Point::new(5, 25)]);
    }

    #[test]
    fn explicit_quantum_multiplies_the_sums() {
        let mut s = pen(vec![1, 2, 3, -4]);
        s.quantum = 100;
        let d = decode_stroke(&s).unwrap();
        assert_eq!(d.points(), &[Point::new(100, 200), Point::new(400, -200)]);
    }

    #[test]
    fn pressures_are_running_sums() {
        let mut s = pen(vec![0, 0, 1, 1, 1, 1]);
        s.pressures = vec![100, 50, -150];
        assert_eq!(decode_stroke(&s).unwrap().pressures(), &[100, 150, 0]);
    }

    #[test]
    fn unknown_tool_is_rejected() {
        let mut s = pen(vec![0, 0]);
        for t in [0, 4, -1] {
            s.tool = t;
            assert_eq!(decode_stroke(&s), Err(StrokeError::UnknownTool(t)));
        }
    }

    #[test]
    fn empty_odd_and_too_many_points_are_rejected() {
        assert_eq!(decode_stroke(&pen(vec![])), Err(StrokeError::NoPoints));
        assert_eq!(
            decode_stroke(&pen(vec![1, 2, 3])),
            Err(StrokeError::OddPointValues(3))
        );
        assert_eq!(
            decode_stroke(&pen(vec![0; 2 * MAX_POINTS + 2])),
            Err(StrokeError::TooManyPoints(MAX_POINTS + 1))
        );
        assert_eq!(
            encode_stroke(Tool::Pen, 0, 100, &[], &[]),
            Err(StrokeError::NoPoints)
        );
        assert_eq!(
            encode_stroke(
                Tool::Pen,
                0,
                100,
                &vec![Point::new(0, 0); MAX_POINTS + 1],
                &[]
            ),
            Err(StrokeError::TooManyPoints(MAX_POINTS + 1))
        );
    }

    #[test]
    fn coordinates_out_of_range_are_rejected() {
        // Just inside, then one past the limit on the second point.
        assert!(decode_stroke(&pen(vec![1_000_000_000, -1_000_000_000])).is_ok());
        assert_eq!(
            decode_stroke(&pen(vec![1_000_000_000, 0, 1, 0])),
            Err(StrokeError::CoordinateOutOfRange { point: 1 })
        );
        // Sums that wander far off and come back are still rejected at the first bad point.
        assert_eq!(
            decode_stroke(&pen(vec![i32::MAX, 0, i32::MIN, 0])),
            Err(StrokeError::CoordinateOutOfRange { point: 0 })
        );
        // Overflow of sum × quantum.
        let mut s = pen(vec![i32::MAX, 0]);
        s.quantum = u32::MAX;
        assert_eq!(
            decode_stroke(&s),
            Err(StrokeError::CoordinateOutOfRange { point: 0 })
        );
        assert_eq!(
            encode_stroke(Tool::Pen, 0, 100, &[Point::new(0, -1_000_000_001)], &[]),
            Err(StrokeError::CoordinateOutOfRange { point: 0 })
        );
    }

    #[test]
    fn width_out_of_range_is_rejected() {
        let mut s = pen(vec![0, 0]);
        for w in [0, MIN_WIDTH - 1, MAX_WIDTH + 1, u32::MAX] {
            s.width = w;
            assert_eq!(decode_stroke(&s), Err(StrokeError::WidthOutOfRange(w)));
            assert_eq!(
                encode_stroke(Tool::Pen, 0, w, &[Point::new(0, 0)], &[]),
                Err(StrokeError::WidthOutOfRange(w))
            );
        }
        for w in [MIN_WIDTH, MAX_WIDTH] {
            s.width = w;
            assert!(decode_stroke(&s).is_ok());
        }
    }

    /// Back and forth between x = a and x = b, n points, quantum 1.
    fn zigzag(n: usize, a: i32, b: i32) -> Stroke {
        let mut points = vec![a, 12_800];
        for i in 1..n {
            let d = if i % 2 == 1 { b - a } else { a - b };
            points.extend([d, 0]);
        }
        Stroke {
            width: 1000,
            ..pen(points)
        }
    }

    #[test]
    fn path_is_bounded() {
        let span = tile_span(0);
        // Four tiles long each way: exactly MAX_PATH_TILES spans with 4097 points, one unit over with
        // one more point one unit away.
        let four = (4 * span) as i32;
        let mut at_limit = zigzag(MAX_PATH_TILES as usize / 4 + 1, 0, four);
        assert!(decode_stroke(&at_limit).is_ok());
        at_limit.points.extend([1, 0]);
        assert_eq!(
            decode_stroke(&at_limit),
            Err(StrokeError::PathTooLong {
                tiles: MAX_PATH_TILES
            })
        );
        // Issue 12's stroke: every segment under the per-segment bound, 41 million tiles in all.
        let err = decode_stroke(&zigzag(MAX_POINTS, 12_800, 104_819_200)).unwrap_err();
        assert_eq!(
            err,
            StrokeError::PathTooLong {
                tiles: 9_999 * (104_819_200 - 12_800) / span
            }
        );
        assert!(
            err.to_string().contains("the limit is 16384"),
            "{err} does not name the limit"
        );
        // encode_stroke refuses what decode_stroke would.
        let far = Point::new(104_819_200, 12_800);
        let near = Point::new(12_800, 12_800);
        let points: Vec<Point> = (0..MAX_POINTS)
            .map(|i| if i % 2 == 1 { far } else { near })
            .collect();
        assert!(matches!(
            encode_stroke(Tool::Pen, 0, 1000, &points, &[]),
            Err(StrokeError::PathTooLong { .. })
        ));
    }

    #[test]
    fn bad_pressures_are_rejected() {
        let mut s = pen(vec![0, 0, 1, 1]);
        s.pressures = vec![1];
        assert_eq!(
            decode_stroke(&s),
            Err(StrokeError::PressureCount {
                points: 2,
                pressures: 1
            })
        );
        s.pressures = vec![200, 56];
        assert_eq!(
            decode_stroke(&s),
            Err(StrokeError::PressureOutOfRange {
                point: 1,
                value: 256
            })
        );
        s.pressures = vec![-1, 1];
        assert_eq!(
            decode_stroke(&s),
            Err(StrokeError::PressureOutOfRange {
                point: 0,
                value: -1
            })
        );
        assert_eq!(
            encode_stroke(Tool::Pen, 0, 100, &[Point::new(0, 0)], &[1, 2]),
            Err(StrokeError::PressureCount {
                points: 1,
                pressures: 2
            })
        );
    }
}
