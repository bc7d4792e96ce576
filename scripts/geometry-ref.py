#!/usr/bin/env python3
"""The reference of infidraw's stroke geometry: docs/tiles.md ("How a stroke becomes pixels" and "Hit
test") stated as code, independently of the Go, Rust and TypeScript implementations that it checks.

It writes docs/testdata/stroke-geometry.json (format: docs/tiles.md, "Stroke geometry vectors"):
centre-line pieces, per-piece pressure means and pen factors, widths in pixels with their floor, the
pieces of a stroke drawn in a tile, flattened curves, and disks just inside and just outside a stroke's
ink. Every value is computed exactly with rationals (fractions.Fraction) and only rounded to a double
when written, so the file is the mathematics rounded once, not one implementation's floating point.

    python3 scripts/geometry-ref.py          # rewrite the file
    python3 scripts/geometry-ref.py --check  # fail if the committed file differs (make test runs this)

Python 3 standard library only; the output is deterministic (the same bytes on every machine).
"""

import argparse
import json
import math
import sys
from decimal import Decimal, localcontext
from fractions import Fraction as Q
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "docs" / "testdata" / "stroke-geometry.json"

COORD_SCALE = 100  # encoded units per world unit
TILE_PX = 256  # a level-L tile spans TILE_PX * 2^L world units
PEN, HIGHLIGHTER, PIXEL_ERASER = 1, 2, 3  # infidraw.stroke.v1.Tool
DEFAULT_PRESSURE = 128  # the pressure of points that carry none
MIN_WIDTH_PX = Q(1, 2)  # the width floor: nothing is drawn thinner than half a pixel

# Tolerances (docs/tiles.md, "Stroke geometry vectors").
VALUE_TOLERANCE = 1e-9  # relative: doubles against the exact values written here
FLATTEN_TOLERANCE_PX = Q(1, 25)  # 0.04 px: renderers' flattened lines against the curve
HIT_TOLERANCE = 1  # encoded units (0.01 world unit): the band around the ink's edge where a hit test may go either way
HIT_MARGIN = 2  # encoded units: every disk in the vectors is at least this far from the edge
FLATTEN_SAMPLES = 31  # samples per curve, at t = (k + 1/2) / 31: never on a power-of-two grid of lines


# ---- the definitions of docs/tiles.md, exactly


def pen_factor(p):
    """The pen's width factor at pressure p (0..255): 0.5 + p / 255, so f(128) is about 1."""
    return Q(1, 2) + Q(p, 255)


def mid(a, b):
    return ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)


def centre_line(pts):
    """The smoothed centre line through points p0..pn-1: one piece for one or two points (a dot, or the
    line p0-p1); for more, a quadratic from p0 with control p1 to mid(p1, p2), one quadratic per further
    inner point pi from the previous midpoint to mid(pi, pi+1), and a line from the last midpoint to pn-1.
    A piece is ("line", a, b) or ("quad", a, control, b)."""
    n = len(pts)
    if n < 3:
        return [("line", pts[0], pts[-1])]
    pieces, start = [], pts[0]
    for i in range(1, n - 1):
        end = mid(pts[i], pts[i + 1])
        pieces.append(("quad", start, pts[i], end))
        start = end
    pieces.append(("line", start, pts[-1]))
    return pieces


def piece_means(values):
    """Per piece of centre_line, the mean of a per-point value at the piece's two ends, where an end at
    the midpoint of pi and pi+1 takes the mean of their values."""
    n = len(values)
    if n < 3:
        return [(values[0] + values[-1]) / 2]
    means, start = [], values[0]
    for i in range(1, n - 1):
        end = (values[i] + values[i + 1]) / 2
        means.append((start + end) / 2)
        start = end
    means.append((start + values[-1]) / 2)
    return means


def piece_factors(s):
    """Width factor of each piece: for the pen the mean of its ends' pen factors (a stroke without
    pressures has 128 at every point); 1 for the highlighter and the pixel eraser."""
    n = len(s["points"])
    if s["tool"] != PEN:
        return [Q(1)] * max(1, n - 1)
    ps = s["pressures"] or [DEFAULT_PRESSURE] * n
    return piece_means([pen_factor(p) for p in ps])


def width_px(width, scale, factor):
    """Drawn width in pixels of a piece: the nominal width (encoded units) in world units, times pixels
    per world unit, times the piece's factor, never below the floor."""
    return max(MIN_WIDTH_PX, Q(width, COORD_SCALE) * scale * factor)


def controls(piece):
    """A piece as a quadratic Bezier (start, control, end): a line's control is its midpoint, which
    traces the same segment."""
    if piece[0] == "line":
        return piece[1], mid(piece[1], piece[2]), piece[2]
    return piece[1], piece[2], piece[3]


def at(piece, t):
    """B(t) = (1 - t)^2 a + 2 t (1 - t) c + t^2 b."""
    a, c, b = controls(piece)
    u = 1 - t
    return tuple(u * u * a[k] + 2 * t * u * c[k] + t * t * b[k] for k in (0, 1))


def second_difference(piece):
    """|a - 2c + b|: a uniform cut of the piece into n lines strays at most this / (4 n^2) from it."""
    a, c, b = controls(piece)
    return math.hypot(a[0] - 2 * c[0] + b[0], a[1] - 2 * c[1] + b[1])


def poly(coeffs, t):
    v = Q(0)
    for c in coeffs:
        v = v * t + c
    return v


def roots_in_unit(coeffs):
    """Real roots in [0, 1] of a polynomial (highest degree first), to within 2^-64. Between consecutive
    roots of its derivative the polynomial is monotonic, so each such interval holds at most one root,
    found by bisection where the sign changes; the interval ends are returned too (as candidates they
    only ever make a minimum search more thorough)."""
    while coeffs and coeffs[0] == 0:
        coeffs = coeffs[1:]
    if len(coeffs) <= 1:
        return []
    degree = len(coeffs) - 1
    derivative = [c * (degree - i) for i, c in enumerate(coeffs[:-1])]
    cuts = sorted({Q(0), Q(1), *roots_in_unit(derivative)})
    found = list(cuts)
    for lo, hi in zip(cuts, cuts[1:]):
        flo, fhi = poly(coeffs, lo), poly(coeffs, hi)
        if flo * fhi >= 0:
            continue
        for _ in range(64):
            m = (lo + hi) / 2
            fm = poly(coeffs, m)
            if (fm < 0) == (flo < 0):
                lo, flo = m, fm
            else:
                hi = m
        found.append((lo + hi) / 2)
    return found


def distance_sq(piece, q):
    """Squared distance from q to the piece: the least |B(t) - q|^2 over t in [0, 1]. With
    B(t) - q = w + 2t u + t^2 v (w = a - q, u = c - a, v = a - 2c + b), its derivative is 4 times
    (v.v) t^3 + 3 (u.v) t^2 + (2 u.u + w.v) t + w.u, so the least value is at t = 0, t = 1 or a root of
    that cubic."""
    a, c, b = controls(piece)
    w = (a[0] - q[0], a[1] - q[1])
    u = (c[0] - a[0], c[1] - a[1])
    v = (a[0] - 2 * c[0] + b[0], a[1] - 2 * c[1] + b[1])

    def dot(p, r):
        return p[0] * r[0] + p[1] * r[1]

    cubic = [dot(v, v), 3 * dot(u, v), 2 * dot(u, u) + dot(w, v), dot(w, u)]
    best = None
    for t in {Q(0), Q(1), *roots_in_unit(cubic)}:
        p = at(piece, t)
        d = (p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2
        best = d if best is None or d < best else best
    return best


def sqrt(x):
    """Square root of a non-negative rational, to 40 significant digits."""
    with localcontext() as ctx:
        ctx.prec = 40
        return Q((Decimal(x.numerator) / Decimal(x.denominator)).sqrt())


def hit_margin(s, disk):
    """Signed distance (encoded units) from the disk to the edge of the stroke's ink: the least, over the
    pieces, of the distance from the disk's centre to the piece minus (r + width * factor / 2). The disk
    hits the stroke when it is <= 0; a pixel-eraser stroke is never hit (None)."""
    if s["tool"] == PIXEL_ERASER:
        return None
    x, y, r = disk
    pts = [(Q(px), Q(py)) for px, py in s["points"]]
    margins = []
    for piece, f in zip(centre_line(pts), piece_factors(s)):
        reach = r + Q(s["width"]) * f / 2
        margins.append(sqrt(distance_sq(piece, (Q(x), Q(y)))) - reach)
    return min(margins)


# ---- the cases


def stroke(name, tool, width, points, pressures=None):
    return {"name": name, "tool": tool, "width": width, "points": points, "pressures": pressures}


STROKES = [
    stroke("one point, pen without pressures", PEN, 400, [(1000, 2000)]),
    stroke("one point, pen at pressure 255", PEN, 400, [(1000, 2000)], [255]),
    stroke("one point, highlighter", HIGHLIGHTER, 600, [(-700, 900)]),
    stroke("two points, pen without pressures", PEN, 1000, [(0, 0), (10000, 0)]),
    stroke("two points, pen, pressures 0 and 255", PEN, 300, [(2000, 3000), (7000, 12000)], [0, 255]),
    stroke("four points, pen, pressures 0 255 255 0", PEN, 1000, [(0, 0), (10000, 0), (20000, 0), (30000, 0)], [0, 255, 255, 0]),
    stroke("two points, highlighter", HIGHLIGHTER, 1000, [(0, 0), (10000, 0)]),
    stroke("right angle, highlighter", HIGHLIGHTER, 200, [(0, 0), (10000, 0), (10000, 10000)]),
    stroke("two points, pixel eraser", PIXEL_ERASER, 1000, [(0, 0), (10000, 0)]),
    stroke("wave at negative coordinates, pen with pressures", PEN, 800,
           [(-20000, -9000), (-17000, -12000), (-14000, -8000), (-11000, -13000), (-8000, -7000), (-5000, -10000)],
           [40, 90, 250, 10, 180, 128]),
    stroke("repeated points, pen with pressures", PEN, 500, [(0, 0), (0, 0), (5000, 5000), (5000, 5000)], [255, 0, 255, 0]),
    stroke("three equal points, highlighter", HIGHLIGHTER, 600, [(3000, 3000), (3000, 3000), (3000, 3000)]),
    stroke("a curve two million world units wide, pen", PEN, 1000, [(-100000000, 0), (0, 100000000), (100000000, 0)]),
]
BY_NAME = {s["name"]: s for s in STROKES}

# (stroke, tile [level, x, y], size in pixels)
RENDERS = [
    ("one point, pen at pressure 255", (0, 0, 0), 256),
    ("two points, pen without pressures", (0, 0, 0), 256),
    ("four points, pen, pressures 0 255 255 0", (0, 0, 0), 512),
    ("four points, pen, pressures 0 255 255 0", (4, 0, -1), 256),
    ("right angle, highlighter", (0, 0, 0), 256),
    ("wave at negative coordinates, pen with pressures", (0, -1, -1), 256),
    ("wave at negative coordinates, pen with pressures", (3, -1, -1), 512),
    ("repeated points, pen with pressures", (0, 0, 0), 256),
    ("three equal points, highlighter", (0, 0, 0), 256),
    ("a curve two million world units wide, pen", (16, -1, 0), 256),
]

PEN_FACTOR_PRESSURES = [0, 1, 64, 127, 128, 200, 254, 255]

# (nominal width in encoded units, factor, pixels per world unit): tiles at levels 0, 1, 4, 8 and 16 at
# 256 and 512 pixels, and browser zooms times device pixel ratios.
WIDTH_PX = [
    (10, Q(1), Q(1)),
    (100, Q(1), Q(1)),
    (100, pen_factor(0), Q(1)),
    (100, pen_factor(255), Q(1)),
    (400, pen_factor(128), Q(2)),
    (400, Q(1), Q(1, 2)),
    (1000, pen_factor(128), Q(1, 16)),
    (1000, Q(1), Q(2, 16)),
    (1000, pen_factor(255), Q(1, 256)),
    (50000, Q(1), Q(1, 65536)),
    (50000, Q(1), Q(512, 256 * 65536)),
    (300, pen_factor(200), Q(3, 2)),
    (300, Q(1), Q(3, 10)),
]

FLATTEN = [
    ("a line stays itself", ("line", (1, 2), (3, 4))),
    ("an arch", ("quad", (0, 0), (50, 100), (100, 0))),
    ("a curve shorter than a pixel", ("quad", (10, 10), (Q(21, 2), Q(41, 4)), (11, 10))),
    ("a hairpin: control far beyond the ends", ("quad", (0, 0), (200, 0), (0, 1))),
    ("three equal points", ("quad", (5, 5), (5, 5), (5, 5))),
    ("a curve that needs more than 1024 lines", ("quad", (-65000, -65000), (65000, 65000), (-65000, 65000))),
    ("fractional pixels", ("quad", (Q(-3001, 8), Q(77, 16)), (Q(12, 5), Q(-7, 3)), (Q(301, 4), Q(99, 8)))),
]


def beside(piece, t, side):
    """A ray from the point of the stroke's piece `piece` at parameter t along its normal (side +1: left
    of the direction of travel, -1: right), as (origin, unit direction) of the stroke's points."""

    def ray(pts):
        pc = centre_line(pts)[piece]
        a, c, b = controls(pc)
        # B'(t) = 2 ((1 - t)(c - a) + t (b - c)).
        dx = float((1 - t) * (c[0] - a[0]) + t * (b[0] - c[0]))
        dy = float((1 - t) * (c[1] - a[1]) + t * (b[1] - c[1]))
        n = math.hypot(dx, dy)
        p = at(pc, t)
        return (float(p[0]), float(p[1])), (-side * dy / n, side * dx / n)

    return ray


def beyond(point, degrees):
    """A ray from the stroke's point `point` (an index) at `degrees` (y down): round caps and dots."""

    def ray(pts):
        rad = math.radians(degrees)
        return (float(pts[point][0]), float(pts[point][1])), (math.cos(rad), math.sin(rad))

    return ray


def at_edge(name, ray, r, margin):
    """A disk of radius r centred on the ray, `margin` encoded units beyond the edge of the stroke's ink
    (negative: inside), rounded to encoded units. The edge is found by stepping along the ray by the
    exact margin, which near the edge changes about as much as the step: the rays leave the ink about
    along its normal."""
    s = BY_NAME[name]
    (ox, oy), (dx, dy) = ray([(Q(x), Q(y)) for x, y in s["points"]])
    d = float(r)
    for _ in range(6):
        d -= float(hit_margin(s, (Q(ox + dx * d), Q(oy + dy * d), r))) - margin
    return round(ox + dx * d), round(oy + dy * d), r


def edge_pair(label, name, ray, r, outside_note=""):
    """Two cases on the ray: a disk 3 encoded units inside the ink's edge and one 3 outside."""
    return [
        (f"{label}: inside", name, at_edge(name, ray, r, -3)),
        (f"{label}: outside{outside_note}", name, at_edge(name, ray, r, 3)),
    ]


PEN_LINE = "two points, pen without pressures"
PRESSURES = "four points, pen, pressures 0 255 255 0"
BEND = "right angle, highlighter"
WAVE = "wave at negative coordinates, pen with pressures"
HUGE = "a curve two million world units wide, pen"

HITS = [
    *edge_pair("pen line, beside", PEN_LINE, beside(0, Q(1, 2), 1), 100, " (a width x 1.5 rule would hit)"),
    *edge_pair("pen line, the round cap at 45 degrees", PEN_LINE, beyond(1, -45), 100),
    *edge_pair("pen line, the cap at the start", PEN_LINE, beyond(0, 180), 10),
    ("pen line: the corner of a square cap is not ink", PEN_LINE, (10550, 550, 1)),
    *edge_pair("pen line, a disk far larger than the stroke", PEN_LINE, beside(0, Q(1, 4), -1), 300000),
    *edge_pair("pressures, the widest piece", PRESSURES, beside(1, Q(1, 2), 1), 50),
    *edge_pair("pressures, the narrow last piece", PRESSURES, beside(2, Q(3, 5), -1), 50, " (f(128) would hit)"),
    *edge_pair("pressures, the first piece", PRESSURES, beside(0, Q(1, 3), 1), 20),
    *edge_pair("highlighter, factor 1", "two points, highlighter", beside(0, Q(1, 2), 1), 100),
    ("curve: the polyline's corner is not ink", BEND, (10000, 0, 100)),
    *edge_pair("curve, the outer side of the bend", BEND, beside(0, Q(1, 2), 1), 100),
    *edge_pair("curve, the inner side of the bend", BEND, beside(0, Q(3, 4), -1), 100),
    *edge_pair("curve, the cap of its last piece, a line to the last point", BEND, beyond(2, 90), 50),
    *edge_pair("dot at pressure 255", "one point, pen at pressure 255", beyond(0, 53), 20),
    *edge_pair("dot without pressures", "one point, pen without pressures", beyond(0, 200), 20),
    *edge_pair("highlighter dot", "one point, highlighter", beyond(0, -120), 5),
    ("a pixel eraser is never hit", "two points, pixel eraser", (5000, 0, 100)),
    *edge_pair("negative coordinates, beside a piece", WAVE, beside(2, Q(2, 5), 1), 30),
    *edge_pair("negative coordinates, the last cap", WAVE, beyond(5, 10), 30),
    *edge_pair("repeated points, the end (the wider piece's cap)", "repeated points, pen with pressures", beyond(3, 0), 10),
    *edge_pair("three equal points", "three equal points, highlighter", beyond(2, 45), 10),
    *edge_pair("huge curve, its convex side", HUGE, beside(0, Q(3, 10), 1), 200),
    *edge_pair("huge curve, its concave side", HUGE, beside(0, Q(3, 10), -1), 200),
]


# ---- output


def num(v):
    """A rational as JSON: an integer when it is one, else the nearest double."""
    v = Q(v)
    return v.numerator if v.denominator == 1 else float(v)


def piece_json(piece, f=lambda p: p):
    kind, *ps = piece
    return {kind: [num(c) for p in ps for c in f(p)]}


def stroke_case(s):
    pts = [(Q(x), Q(y)) for x, y in s["points"]]
    ps = s["pressures"]
    return {
        "name": s["name"],
        "tool": s["tool"],
        "width": s["width"],
        "points": [c for p in s["points"] for c in p],
        "pressures": ps,
        "pieces": [piece_json(p) for p in centre_line(pts)],
        "pressure_means": [num(m) for m in piece_means([Q(p) for p in ps])] if ps else None,
        "factors": [num(f) for f in piece_factors(s)],
    }


def render_case(name, tile, size):
    s = BY_NAME[name]
    level, tx, ty = tile
    span = TILE_PX * 2**level * COORD_SCALE  # encoded units per tile edge
    scale = Q(size, span)  # pixels per encoded unit

    def px(p):
        return ((p[0] - tx * span) * scale, (p[1] - ty * span) * scale)

    pts = [(Q(x), Q(y)) for x, y in s["points"]]
    per_world = scale * COORD_SCALE
    return {
        "stroke": name,
        "tile": list(tile),
        "size": size,
        "scale": num(per_world),
        "pieces": [piece_json(p, px) for p in centre_line(pts)],
        "widths": [num(width_px(s["width"], per_world, f)) for f in piece_factors(s)],
    }


def flatten_case(name, piece):
    kind, *ps = piece
    piece = (kind, *[(Q(x), Q(y)) for x, y in ps])
    ts = [Q(0)] + [Q(2 * k + 1, 2 * FLATTEN_SAMPLES) for k in range(FLATTEN_SAMPLES)] + [Q(1)]
    # The widest step between samples is 1/31 (the two end steps are half of it).
    sample_error = second_difference(piece) / (4 * FLATTEN_SAMPLES**2)
    return {
        "name": name,
        "piece": piece_json(piece),
        "samples": [num(c) for t in ts for c in at(piece, t)],
        "sample_error": float(f"{sample_error:.6g}"),
    }


def hit_case(name, stroke_name, disk):
    m = hit_margin(BY_NAME[stroke_name], disk)
    if m is not None and abs(m) < HIT_MARGIN:
        raise SystemExit(f"hit case {name!r}: the disk is {float(m):.3f} units from the edge, closer than {HIT_MARGIN}")
    return {
        "name": name,
        "stroke": stroke_name,
        "disk": list(disk),
        "hit": m is not None and m <= 0,
        "margin": None if m is None else float(f"{float(m):.4f}"),
    }


ABOUT = (
    "Stroke geometry vectors of docs/tiles.md (format and tolerances: its section 'Stroke geometry vectors'), "
    "generated by scripts/geometry-ref.py from the definitions, exactly, then rounded to doubles; do not edit, "
    "change the script and rerun it. Read by tile-delta-go/internal/geometry, ggrender and hittest (Go), "
    "snapshot-rs/render (Rust) and web/test/geometry-vectors.unit.test.ts (TypeScript). Coordinates, widths "
    "and disks are encoded units (world units x 100) unless named _px; pieces are {line: [x0,y0,x1,y1]} or "
    "{quad: [x0,y0,cx,cy,x1,y1]}."
)


def generate():
    sections = [
        ("tolerances", {
            "value": VALUE_TOLERANCE,
            "flatten_px": num(FLATTEN_TOLERANCE_PX),
            "hit": HIT_TOLERANCE,
            "hit_margin": HIT_MARGIN,
        }),
        ("pen_factor", [{"pressure": p, "factor": num(pen_factor(p))} for p in PEN_FACTOR_PRESSURES]),
        ("width_px", [{"width": w, "factor": num(f), "scale": num(sc), "width_px": num(width_px(w, sc, f))} for w, f, sc in WIDTH_PX]),
        ("strokes", [stroke_case(s) for s in STROKES]),
        ("renders", [render_case(*r) for r in RENDERS]),
        ("flatten", [flatten_case(*f) for f in FLATTEN]),
        ("hits", [hit_case(*h) for h in HITS]),
    ]

    def dump(v):
        return json.dumps(v, ensure_ascii=False, separators=(",", ":"))

    lines = ["{", f'  "about": {dump(ABOUT)},']
    for i, (key, value) in enumerate(sections):
        comma = "," if i < len(sections) - 1 else ""
        if isinstance(value, list):
            rows = [f"    {dump(v)}" for v in value]
            lines.append(f'  "{key}": [\n' + ",\n".join(rows) + f"\n  ]{comma}")
        else:
            lines.append(f'  "{key}": {dump(value)}{comma}')
    lines.append("}")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="fail if the committed file differs from the generated one")
    args = ap.parse_args()
    text = generate()
    if args.check:
        if OUT.read_text(encoding="utf-8") != text:
            sys.exit(f"{OUT} is stale: run python3 scripts/geometry-ref.py and commit it")
        print(f"{OUT.name} matches scripts/geometry-ref.py")
        return
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
