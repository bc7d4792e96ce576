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

/// Coverage of an image's pixels (0–255), with the columns touched in each row.
pub(crate) struct Coverage {
    width: usize,
    height: usize,
    cov: Vec<u8>,
    /// Per row, the columns `[start, end)` that may be non-zero; `start >= end` when none.
    spans: Vec<(u32, u32)>,
    /// Rows `[top, bottom)` that may have non-zero columns.
    top: usize,
    bottom: usize,
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
        Coverage {
            width: w,
            height: h,
            cov: vec![0; w * h],
            spans: vec![(u32::MAX, 0); h],
            top: h,
            bottom: 0,
        }
    }

    /// Merges (by maximum) the coverage of the line from `a` to `b` (pixel coordinates, equal for a
    /// dot) with round caps and half width `r` pixels.
    pub fn line(&mut self, a: (f64, f64), b: (f64, f64), r: f64) {
        // Pixel centres at `reach` or farther get nothing.
        let reach = r + 0.5;
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len2 = dx * dx + dy * dy;
        let inv_len2 = if len2 > 0.0 { 1.0 / len2 } else { 0.0 };
        let h = self.height as f64;
        let w = self.width as f64;
        // Clamped in f64 before the cast: far coordinates (up to ~1e7 px) stay harmless.
        let y0 = (a.1.min(b.1) - reach).floor().clamp(0.0, h) as usize;
        let y1 = (a.1.max(b.1) + reach).ceil().clamp(0.0, h) as usize;
        for j in y0..y1 {
            let yc = j as f64 + 0.5;
            // The part of the line within `reach` of this row vertically; ink of the row lies
            // within `reach` horizontally of it.
            let (t0, t1) = if dy == 0.0 {
                if (yc - a.1).abs() >= reach {
                    continue;
                }
                (0.0, 1.0)
            } else {
                let ta = (yc - reach - a.1) / dy;
                let tb = (yc + reach - a.1) / dy;
                (ta.min(tb).max(0.0), ta.max(tb).min(1.0))
            };
            if t0 > t1 {
                continue;
            }
            let (xa, xb) = (a.0 + t0 * dx, a.0 + t1 * dx);
            let i0 = (xa.min(xb) - reach).floor().clamp(0.0, w) as usize;
            let i1 = (xa.max(xb) + reach).ceil().clamp(0.0, w) as usize;
            if i0 >= i1 {
                continue;
            }
            // Offsets to `a` are small near the image, so f32 keeps ~1/1000 px there; the loop has
            // no branch, which lets it run on SIMD lanes.
            let py = (yc - a.1) as f32;
            let px0 = (i0 as f64 + 0.5 - a.0) as f32;
            let (dxf, dyf, inv, rf) = (dx as f32, dy as f32, inv_len2 as f32, r as f32);
            let pdy = py * dyf;
            let row = &mut self.cov[j * self.width + i0..j * self.width + i1];
            for (k, c) in row.iter_mut().enumerate() {
                let px = px0 + k as f32;
                let t = ((px * dxf + pdy) * inv).clamp(0.0, 1.0);
                let (ex, ey) = (px - t * dxf, py - t * dyf);
                let d = (ex * ex + ey * ey).sqrt();
                let cover = ((d + rf).min(0.5) - (d - rf).max(-0.5)).clamp(0.0, 1.0);
                *c = (*c).max((cover * 255.0 + 0.5) as u8);
            }
            self.touch(j, i0, i1);
        }
    }

    fn touch(&mut self, row: usize, start: usize, end: usize) {
        let s = &mut self.spans[row];
        s.0 = s.0.min(start as u32);
        s.1 = s.1.max(end as u32);
        self.top = self.top.min(row);
        self.bottom = self.bottom.max(row + 1);
    }

    /// Visits every touched pixel as (its index, its coverage) and clears the layer.
    fn drain(&mut self, mut f: impl FnMut(usize, u8)) {
        for j in self.top..self.bottom {
            let (s, e) = std::mem::replace(&mut self.spans[j], (u32::MAX, 0));
            if s >= e {
                continue;
            }
            let base = j * self.width;
            for i in base + s as usize..base + e as usize {
                let c = std::mem::take(&mut self.cov[i]);
                if c != 0 {
                    f(i, c);
                }
            }
        }
        self.top = self.height;
        self.bottom = 0;
    }

    /// Composites this layer onto `dst` as if drawn over it with the same opaque colour (coverages
    /// a, b give a + b − ab), and clears this layer. This is what drawing two shapes one after the
    /// other does; source-over being associative, the result is the same once composited.
    pub fn fold_into(&mut self, dst: &mut Coverage) {
        debug_assert_eq!((self.width, self.height), (dst.width, dst.height));
        for j in self.top..self.bottom {
            let (s, e) = self.spans[j];
            if s < e {
                dst.touch(j, s as usize, e as usize);
            }
        }
        let out = &mut dst.cov;
        self.drain(|i, c| {
            let (a, c) = (u32::from(out[i]), u32::from(c));
            out[i] = (a + c - div255(a * c)) as u8;
        });
    }

    /// Composites the layer onto premultiplied RGBA8 pixels of the same size and clears it.
    pub fn composite(&mut self, pixels: &mut [u8], ink: Ink) {
        debug_assert_eq!(pixels.len(), self.width * self.height * 4);
        match ink {
            Ink::Over([r, g, b, a]) => {
                let (r, g, b, a) = (u32::from(r), u32::from(g), u32::from(b), u32::from(a));
                self.drain(|i, c| {
                    let sa = if a == 255 {
                        u32::from(c)
                    } else {
                        div255(a * u32::from(c))
                    };
                    if sa == 0 {
                        return;
                    }
                    let px = &mut pixels[i * 4..i * 4 + 4];
                    let keep = 255 - sa;
                    for (d, s) in
                        px.iter_mut()
                            .zip([div255(r * sa), div255(g * sa), div255(b * sa), sa])
                    {
                        *d = (s + div255(u32::from(*d) * keep)) as u8;
                    }
                });
            }
            Ink::Erase => self.drain(|i, c| {
                let keep = 255 - u32::from(c);
                for d in &mut pixels[i * 4..i * 4 + 4] {
                    *d = div255(u32::from(*d) * keep) as u8;
                }
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(c: &Coverage, x: usize, y: usize) -> u8 {
        c.cov[y * c.width + x]
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
        assert!(piece.cov.iter().all(|&v| v == 0));

        let mut pixels = vec![0u8; 8 * 8 * 4];
        stroke.composite(&mut pixels, Ink::Over([255, 0, 0, 255]));
        let i = (4 * 8 + 4) * 4;
        assert_eq!(&pixels[i..i + 4], &[twice, 0, 0, twice]);
        assert!(stroke.cov.iter().all(|&v| v == 0));
        stroke.line((0.0, 0.0), (8.0, 8.0), 8.0);
        stroke.composite(&mut pixels, Ink::Erase);
        assert!(pixels.iter().all(|&v| v == 0));
    }
}
