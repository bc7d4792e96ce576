//! Coverage rasterisation of round-capped lines and compositing of that coverage onto the image.
//!
//! A stroke with round caps and joins is the set of points within half its width of its centre line,
//! so its coverage of a pixel follows from one number: the distance d from the pixel centre to the
//! (flattened) centre line. For half width r the coverage is the overlap of `[d − r, d + r]` with the
//! pixel's `[−½, ½]`: 1 inside, `r + ½ − d` across the edge, and at most 2r for lines thinner than a
//! pixel. That is the exact area coverage of a straight edge and a close one of curves, and it costs a
//! few multiplications per pixel, where general path filling (stroker, edge list, sort, scanline
//! supersampling) costs microseconds per fill, which is most of a tile of small strokes.
//!
//! Coverage is kept in 8-bit layers as large as the image: a stroke's lines are merged into a layer by
//! maximum (their union, so a stroke never darkens itself), and the layer is composited onto the
//! image once per stroke. Only the columns touched in each row are visited again and cleared.

/// Pixels computed at once in [`Coverage::line`]; rows are padded by as many bytes.
const LANES: usize = 8;

/// Adding 2²³ to an f32 in `[0, 2²³)` leaves its value rounded to an integer in the low mantissa bits.
const ROUND: f32 = 8_388_608.0;

/// Coverage of an image's pixels (0–255), with the columns touched in each row.
pub(crate) struct Coverage {
    width: usize,
    height: usize,
    /// Bytes per row: the width and [`LANES`] of padding that is written but never read.
    stride: usize,
    cov: Vec<u8>,
    /// Per row, the columns `[start, end)` that may be non-zero; `start >= end` when none.
    spans: Vec<(u32, u32)>,
    /// Rows `[top, bottom)` that may have non-zero columns.
    top: usize,
    bottom: usize,
}

/// A run of [`LANES`] pixels of a row to cover: its offset in the layer and the centre of its first
/// pixel relative to the line's start.
#[derive(Clone, Copy)]
struct Chunk {
    at: usize,
    px0: f32,
    py: f32,
}

/// Chunks of one line waiting to be computed (a fixed array: no allocation per line).
struct ChunkQueue {
    chunks: [Chunk; 16],
    len: usize,
}

impl ChunkQueue {
    fn new() -> ChunkQueue {
        ChunkQueue {
            chunks: [Chunk {
                at: 0,
                px0: 0.0,
                py: 0.0,
            }; 16],
            len: 0,
        }
    }
    fn len(&self) -> usize {
        self.len
    }
    fn capacity(&self) -> usize {
        self.chunks.len()
    }
    fn push(&mut self, c: Chunk) {
        self.chunks[self.len] = c;
        self.len += 1;
    }
    fn as_slice(&self) -> &[Chunk] {
        &self.chunks[..self.len]
    }
    fn clear(&mut self) {
        self.len = 0;
    }
}

/// What the coverage of every pixel of one line depends on: its direction (end minus start),
/// `1 / |direction|²` (0 for a dot) and its half width, in pixels.
struct LineConsts {
    dx: f32,
    dy: f32,
    inv_len2: f32,
    r: f32,
}

impl LineConsts {
    /// Coverage (0–255) of the pixels of `C` chunks (`N` = `C` · [`LANES`]), lane `k` of chunk `c`
    /// at `(c.px0 + k, c.py)` from the line's start.
    #[inline(always)]
    fn cover<const WIDE: bool, const C: usize, const N: usize>(
        &self,
        chunks: [Chunk; C],
    ) -> [u8; N] {
        debug_assert_eq!(N, C * LANES);
        let mut v = [0u8; N];
        for (i, v) in v.iter_mut().enumerate() {
            let c = chunks[i / LANES];
            let (px, py) = (c.px0 + (i % LANES) as f32, c.py);
            let t = ((px * self.dx + py * self.dy) * self.inv_len2).clamp(0.0, 1.0);
            let (ex, ey) = (px - t * self.dx, py - t * self.dy);
            let d = (ex * ex + ey * ey).sqrt();
            let cover = if WIDE {
                (self.r + 0.5 - d).clamp(0.0, 1.0)
            } else {
                ((d + self.r).min(0.5) - (d - self.r).max(-0.5)).clamp(0.0, 1.0)
            };
            // Rounds to the nearest integer in the low mantissa bits: a cast that vectorises.
            *v = ((cover * 255.0 + ROUND).to_bits() & 0xff) as u8;
        }
        v
    }
}

/// How coverage is put onto the image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ink {
    /// Source-over of the colour `[r, g, b, a]` (not premultiplied) scaled by the coverage.
    Over([u8; 4]),
    /// Destination-out: the image keeps `1 − coverage` of itself.
    Erase,
}

/// `v / 255` rounded to nearest, for `v ≤ 255 · 255`.
#[inline]
fn div255(v: u32) -> u32 {
    let v = v + 128;
    (v + (v >> 8)) >> 8
}

impl Coverage {
    /// An empty layer for a `width` × `height` image.
    pub fn new(width: u32, height: u32) -> Coverage {
        let (w, h) = (width as usize, height as usize);
        let stride = w + LANES;
        Coverage {
            width: w,
            height: h,
            stride,
            cov: vec![0; stride * h],
            spans: vec![(u32::MAX, 0); h],
            top: h,
            bottom: 0,
        }
    }

    /// Merges (by maximum) the coverage of the line from `a` to `b` (pixel coordinates, equal for a
    /// dot) with round caps and half width `r` pixels.
    pub fn line(&mut self, a: (f64, f64), b: (f64, f64), r: f64) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            return unsafe { self.line_avx2(a, b, r) };
        }
        self.line_any(a, b, r);
    }

    /// [`Coverage::line`] compiled for AVX2, whose 8-float registers take a whole chunk at once
    /// (the x86-64 baseline has 4).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn line_avx2(&mut self, a: (f64, f64), b: (f64, f64), r: f64) {
        self.line_any(a, b, r);
    }

    /// Lines at least a pixel wide, nearly all, cover `r + ½ − d` clamped to [0, 1]: the general
    /// overlap reduces to that, in fewer operations per pixel.
    #[inline(always)]
    fn line_any(&mut self, a: (f64, f64), b: (f64, f64), r: f64) {
        if r >= 0.5 {
            self.line_of::<true>(a, b, r);
        } else {
            self.line_of::<false>(a, b, r);
        }
    }

    #[inline(always)]
    fn line_of<const WIDE: bool>(&mut self, a: (f64, f64), b: (f64, f64), r: f64) {
        // Pixel centres at `reach` or farther get nothing.
        let reach = r + 0.5;
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len2 = dx * dx + dy * dy;
        let inv_len2 = if len2 > 0.0 { 1.0 / len2 } else { 0.0 };
        let inv_dy = 1.0 / dy;
        let (h, w) = (self.height as f64, self.width as f64);
        // Truncation of values clamped at 0 is the floor; far coordinates saturate harmlessly.
        let y0 = (a.1.min(b.1) - reach).max(0.0) as usize;
        let y1 = ((a.1.max(b.1) + reach).clamp(0.0, h) as usize + 1).min(self.height);
        let line = LineConsts {
            dx: dx as f32,
            dy: dy as f32,
            inv_len2: inv_len2 as f32,
            r: r as f32,
        };
        let mut chunks = ChunkQueue::new();
        // A short line (most of a flattened curve) is covered over its whole box: every row takes
        // the same chunks, which saves the per-row extent (scalar work that cost more than the
        // few pixels of coverage 0 it skips). Pixels outside the reach get 0 either way.
        let (xl, xr) = (a.0.min(b.0) - reach, a.0.max(b.0) + reach);
        if xr - xl <= (2 * LANES) as f64 {
            let i0 = (xl - 0.5).clamp(0.0, w) as usize;
            let i1 = ((xr + 0.5).clamp(0.0, w) as usize).min(self.width);
            if i0 >= i1 {
                return;
            }
            let end = (i0 + (i1 - i0).div_ceil(LANES) * LANES).min(self.width);
            for j in y0..y1 {
                let py = (j as f64 + 0.5 - a.1) as f32;
                for start in (i0..i1).step_by(LANES) {
                    if chunks.len() == chunks.capacity() {
                        self.merge_chunks::<WIDE>(&mut chunks, &line);
                    }
                    chunks.push(Chunk {
                        at: j * self.stride + start,
                        px0: (start as f64 + 0.5 - a.0) as f32,
                        py,
                    });
                }
                self.touch(j, i0, end);
            }
            self.merge_chunks::<WIDE>(&mut chunks, &line);
            return;
        }
        for j in y0..y1 {
            let yc = j as f64 + 0.5;
            // The part of the line within `reach` of this row vertically: ink of the row lies
            // within `reach` horizontally of it. (The exact extent of the capsule costs more to
            // compute than the few pixels it saves.)
            let (t0, t1) = if dy == 0.0 {
                if (yc - a.1).abs() >= reach {
                    continue;
                }
                (0.0, 1.0)
            } else {
                let ta = (yc - reach - a.1) * inv_dy;
                let tb = (yc + reach - a.1) * inv_dy;
                (ta.min(tb).max(0.0), ta.max(tb).min(1.0))
            };
            if t0 > t1 {
                continue;
            }
            let (xa, xb) = (a.0 + t0 * dx, a.0 + t1 * dx);
            let (xl, xr) = (xa.min(xb) - reach, xa.max(xb) + reach);
            // Columns whose centre lies in (xl, xr).
            let i0 = (xl - 0.5).clamp(0.0, w) as usize;
            let i1 = ((xr + 0.5).clamp(0.0, w) as usize).min(self.width);
            if i0 >= i1 {
                continue;
            }
            // In offsets to `a` f32 still resolves 1/128 px at the 2^16 px the clip lets a line
            // reach. Whole chunks of LANES pixels without a branch run on SIMD lanes; a chunk may
            // run past `i1` into the row's padding or pixels out of reach, which get coverage 0.
            let py = (yc - a.1) as f32;
            let row = j * self.stride;
            for start in (i0..i1).step_by(LANES) {
                let px0 = (start as f64 + 0.5 - a.0) as f32;
                if chunks.len() == chunks.capacity() {
                    self.merge_chunks::<WIDE>(&mut chunks, &line);
                }
                chunks.push(Chunk {
                    at: row + start,
                    px0,
                    py,
                });
            }
            // The whole chunks, so that nothing written is left uncleared.
            let end = (i0 + (i1 - i0).div_ceil(LANES) * LANES).min(self.width);
            self.touch(j, i0, end);
        }
        self.merge_chunks::<WIDE>(&mut chunks, &line);
    }

    /// Computes the coverage of the queued chunks two at a time (two independent chains of
    /// operations, so that one's square root overlaps the other's arithmetic) and merges it by
    /// maximum.
    #[inline(always)]
    fn merge_chunks<const WIDE: bool>(&mut self, chunks: &mut ChunkQueue, line: &LineConsts) {
        let mut pairs = chunks.as_slice().chunks_exact(2);
        for pair in &mut pairs {
            let v = line.cover::<WIDE, 2, { 2 * LANES }>([pair[0], pair[1]]);
            self.merge(pair, &v);
        }
        if let [c] = *pairs.remainder() {
            let v = line.cover::<WIDE, 1, LANES>([c]);
            self.merge(&[c], &v);
        }
        chunks.clear();
    }

    /// Merges the coverage of `chunks`, [`LANES`] bytes each in `coverage`, by maximum.
    #[inline(always)]
    fn merge(&mut self, chunks: &[Chunk], coverage: &[u8]) {
        for (c, v) in chunks.iter().zip(coverage.chunks_exact(LANES)) {
            for (d, &v) in self.cov[c.at..c.at + LANES].iter_mut().zip(v) {
                *d = (*d).max(v);
            }
        }
    }

    fn touch(&mut self, row: usize, start: usize, end: usize) {
        let s = &mut self.spans[row];
        s.0 = s.0.min(start as u32);
        s.1 = s.1.max(end as u32);
        self.top = self.top.min(row);
        self.bottom = self.bottom.max(row + 1);
    }

    /// The touched rows, forgotten (the caller clears their coverage with [`take_span`]).
    fn take_rows(&mut self) -> std::ops::Range<usize> {
        let rows = self.top..self.bottom.max(self.top);
        self.top = self.height;
        self.bottom = 0;
        rows
    }

    /// Composites this layer onto `dst` as if drawn over it with the same opaque colour (coverages
    /// a, b give a + b − ab), and clears this layer. This is what drawing two shapes one after the
    /// other does; source-over being associative, the result is the same once composited.
    pub fn fold_into(&mut self, dst: &mut Coverage) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            return unsafe { self.fold_into_avx2(dst) };
        }
        self.fold_into_any(dst);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn fold_into_avx2(&mut self, dst: &mut Coverage) {
        self.fold_into_any(dst);
    }

    #[inline(always)]
    fn fold_into_any(&mut self, dst: &mut Coverage) {
        debug_assert_eq!((self.width, self.height), (dst.width, dst.height));
        let stride = self.stride;
        for j in self.take_rows() {
            let Some((s, e)) = take_span(&mut self.spans[j]) else {
                continue;
            };
            dst.touch(j, s, e);
            let range = j * stride + s..j * stride + e;
            let cov = &mut self.cov[range.clone()];
            for (d, &p) in dst.cov[range].iter_mut().zip(&*cov) {
                let (a, p) = (u32::from(*d), u32::from(p));
                *d = (a + p - div255(a * p)) as u8;
            }
            cov.fill(0);
        }
    }

    /// Composites the layer onto premultiplied RGBA8 pixels of the same size and clears it; returns
    /// the rows it may have changed (empty when none), which is what an incremental encoding
    /// re-encodes.
    pub fn composite(&mut self, pixels: &mut [u8], ink: Ink) -> std::ops::Range<usize> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            return unsafe { self.composite_avx2(pixels, ink) };
        }
        self.composite_any(pixels, ink)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn composite_avx2(&mut self, pixels: &mut [u8], ink: Ink) -> std::ops::Range<usize> {
        self.composite_any(pixels, ink)
    }

    /// Branch-free per pixel, four channels at once in a u32, so that it runs on SIMD lanes.
    #[inline(always)]
    fn composite_any(&mut self, pixels: &mut [u8], ink: Ink) -> std::ops::Range<usize> {
        debug_assert_eq!(pixels.len(), self.width * self.height * 4);
        let (width, stride) = (self.width, self.stride);
        let rows = self.take_rows();
        for j in rows.clone() {
            let Some((s, e)) = take_span(&mut self.spans[j]) else {
                continue;
            };
            // Widened to whole groups of LANES within the row: coverage outside the span is 0,
            // which leaves a pixel as it is.
            let e = (s + (e - s).div_ceil(LANES) * LANES).min(width);
            let s = s.min(e.saturating_sub((e - s).div_ceil(LANES) * LANES));
            let cov = &mut self.cov[j * stride + s..j * stride + e];
            let px = &mut pixels[(j * width + s) * 4..(j * width + e) * 4];
            match ink {
                Ink::Over([r, g, b, a]) => {
                    // The colour premultiplied, as it is drawn at full coverage.
                    let src =
                        scale(u32::from_le_bytes([r, g, b, 0]), u32::from(a)) | u32::from(a) << 24;
                    for_pixels(px, cov, |d, c| {
                        let s = scale(src, c);
                        s + scale(d, 255 - (s >> 24))
                    });
                }
                Ink::Erase => for_pixels(px, cov, |d, c| scale(d, 255 - c)),
            }
            cov.fill(0);
        }
        rows
    }
}

/// Replaces each RGBA pixel `d` of `px` by `f(d, c)` with `c` its coverage, in groups of [`LANES`]
/// pixels held in arrays, which the compiler turns into SIMD lanes.
#[inline(always)]
fn for_pixels(px: &mut [u8], cov: &[u8], f: impl Fn(u32, u32) -> u32) {
    let (px_groups, px_rest) = px.as_chunks_mut::<{ LANES * 4 }>();
    let (cov_groups, cov_rest) = cov.as_chunks::<LANES>();
    for (p, c) in px_groups.iter_mut().zip(cov_groups) {
        // Inside the span of a curved stroke lie pixels it never reached (a loop's hollow).
        if u64::from_ne_bytes(*c) == 0 {
            continue;
        }
        let (pixels, _) = p.as_chunks_mut::<4>();
        let mut out = [0u32; LANES];
        for ((o, d), &c) in out.iter_mut().zip(pixels.iter()).zip(c) {
            *o = f(u32::from_le_bytes(*d), u32::from(c));
        }
        for (d, o) in pixels.iter_mut().zip(out) {
            *d = o.to_le_bytes();
        }
    }
    let (pixels, _) = px_rest.as_chunks_mut::<4>();
    for (d, &c) in pixels.iter_mut().zip(cov_rest) {
        *d = f(u32::from_le_bytes(*d), u32::from(c)).to_le_bytes();
    }
}

/// The columns `[start, end)` of a row's span, if any, leaving it empty.
#[inline(always)]
fn take_span(span: &mut (u32, u32)) -> Option<(usize, usize)> {
    let (s, e) = std::mem::replace(span, (u32::MAX, 0));
    (s < e).then_some((s as usize, e as usize))
}

/// Each byte of `x` times `k / 255` (k ≤ 255), rounded to nearest: two bytes per multiplication,
/// each in its own 16 bits, where `v + 128 + ((v + 128) >> 8)) >> 8` is exactly `v / 255` rounded.
#[inline(always)]
fn scale(x: u32, k: u32) -> u32 {
    let rb = (x & 0x00ff_00ff) * k + 0x0080_0080;
    let ag = ((x >> 8) & 0x00ff_00ff) * k + 0x0080_0080;
    let rb = ((rb + ((rb >> 8) & 0x00ff_00ff)) >> 8) & 0x00ff_00ff;
    let ag = (ag + ((ag >> 8) & 0x00ff_00ff)) & 0xff00_ff00;
    rb | ag
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(c: &Coverage, x: usize, y: usize) -> u8 {
        c.cov[y * c.stride + x]
    }

    #[test]
    fn div255_rounds_to_nearest() {
        for v in 0..=255 * 255 {
            assert_eq!(div255(v), (f64::from(v) / 255.0).round() as u32, "{v}");
        }
    }

    #[test]
    fn a_horizontal_line_has_exact_edge_coverage() {
        // Centre line at y = 10, half width 1.25: rows 9 and 10 (centres 9.5, 10.5) fully inside,
        // rows 8 and 11 (centres 1.5 away) covered 0.25, nothing beyond.
        let mut c = Coverage::new(32, 32);
        c.line((4.0, 10.0), (28.0, 10.0), 1.25);
        assert_eq!([8, 9, 10, 11].map(|y| at(&c, 16, y)), [64, 255, 255, 64]);
        assert_eq!(at(&c, 16, 7), 0);
        assert_eq!(at(&c, 16, 12), 0);
        // The round cap reaches 1.25 px left of x = 4.
        assert_eq!(at(&c, 3, 10), 255);
        assert_eq!(at(&c, 1, 10), 0);
    }

    #[test]
    fn thin_lines_cover_their_width() {
        // Half width 0.25 through pixel centres: coverage 0.5.
        let mut c = Coverage::new(16, 16);
        c.line((0.0, 8.5), (16.0, 8.5), 0.25);
        assert_eq!(at(&c, 5, 8), 128);
        assert_eq!(at(&c, 5, 7), 0);
    }

    #[test]
    fn union_then_fold_then_composite() {
        let mut stroke = Coverage::new(8, 8);
        let mut piece = Coverage::new(8, 8);
        piece.line((4.0, 4.0), (4.0, 4.0), 0.5);
        piece.line((4.0, 4.0), (4.0, 4.0), 0.5);
        piece.fold_into(&mut stroke);
        let once = at(&stroke, 4, 4);
        assert!(once > 0 && once < 255);
        piece.line((4.0, 4.0), (4.0, 4.0), 0.5);
        piece.fold_into(&mut stroke);
        let twice = at(&stroke, 4, 4);
        let k = f64::from(once) / 255.0;
        assert_eq!(twice, ((1.0 - (1.0 - k) * (1.0 - k)) * 255.0).round() as u8);
        assert_eq!(at(&piece, 4, 4), 0);

        let mut pixels = vec![0u8; 8 * 8 * 4];
        stroke.composite(&mut pixels, Ink::Over([255, 0, 0, 255]));
        let i = (4 * 8 + 4) * 4;
        assert_eq!(&pixels[i..i + 4], &[twice, 0, 0, twice]);
        assert_eq!(at(&stroke, 4, 4), 0);
        stroke.line((0.0, 0.0), (8.0, 8.0), 8.0);
        stroke.composite(&mut pixels, Ink::Erase);
        assert!(pixels.iter().all(|&v| v == 0));
    }

    #[test]
    fn every_code_path_draws_the_same() {
        // The dispatching methods take the AVX2 path where the CPU has it; the portable bodies must
        // agree with them exactly.
        let draw = |portable: bool| {
            let (mut stroke, mut piece) = (Coverage::new(40, 30), Coverage::new(40, 30));
            let mut pixels = vec![90u8; 40 * 30 * 4];
            let lines = [
                ((3.3, 4.1), (35.2, 20.7), 2.6),
                ((20.0, 25.0), (20.0, 25.0), 4.0),
            ];
            for (i, &(a, b, r)) in lines.iter().enumerate() {
                let layer = if i == 0 { &mut stroke } else { &mut piece };
                if portable {
                    layer.line_any(a, b, r);
                } else {
                    layer.line(a, b, r);
                }
            }
            if portable {
                piece.fold_into_any(&mut stroke);
                stroke.composite_any(&mut pixels, Ink::Over([10, 200, 30, 150]));
            } else {
                piece.fold_into(&mut stroke);
                stroke.composite(&mut pixels, Ink::Over([10, 200, 30, 150]));
            }
            stroke.line((0.0, 0.0), (40.0, 30.0), 1.5);
            if portable {
                stroke.composite_any(&mut pixels, Ink::Erase);
            } else {
                stroke.composite(&mut pixels, Ink::Erase);
            }
            pixels
        };
        let fast = draw(false);
        assert_eq!(fast, draw(true));
        assert!(fast.iter().any(|&v| v != 90));
    }
}
