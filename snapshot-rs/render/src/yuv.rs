//! Picture to video: premultiplied RGBA composited over an opaque background and converted to I420
//! (YUV 4:2:0, BT.601 studio range, what a VP8 decoder and a browser assume without colour tags).

use std::ops::Range;

/// An I420 picture: a full-size luma plane and two chroma planes of half the width and height.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct I420 {
    width: u32,
    height: u32,
    /// Luma, `width` × `height`.
    y: Vec<u8>,
    /// Blue difference, `width / 2` × `height / 2`.
    u: Vec<u8>,
    /// Red difference, `width / 2` × `height / 2`.
    v: Vec<u8>,
}

impl I420 {
    /// A black picture of even `width` × `height` (rounded down to even).
    pub fn new(width: u32, height: u32) -> I420 {
        let (width, height) = (width & !1, height & !1);
        let luma = width as usize * height as usize;
        I420 {
            width,
            height,
            y: vec![0; luma],
            u: vec![0; luma / 4],
            v: vec![0; luma / 4],
        }
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The three planes, each row-major without padding: luma (`width` per row), then the two chroma
    /// planes (`width / 2` per row).
    pub fn planes(&self) -> [&[u8]; 3] {
        [&self.y, &self.u, &self.v]
    }

    /// Converts the rows `rows` (widened to pairs of rows) of `rgba`, premultiplied RGBA8 of this
    /// picture's size, composited over the opaque colour `background`.
    pub fn convert_rows(&mut self, rgba: &[u8], background: [u8; 3], rows: Range<usize>) {
        let w = self.width as usize;
        assert_eq!(
            rgba.len(),
            w * self.height as usize * 4,
            "RGBA of another size"
        );
        let first = rows.start & !1;
        let end = (rows.end + 1).min(self.height as usize) & !1;
        for pair in (first..end).step_by(2) {
            let top = &rgba[pair * w * 4..(pair + 1) * w * 4];
            let bottom = &rgba[(pair + 1) * w * 4..(pair + 2) * w * 4];
            let (y_top, y_rest) = self.y[pair * w..].split_at_mut(w);
            let y_bottom = &mut y_rest[..w];
            let chroma = pair / 2 * (w / 2);
            let u = &mut self.u[chroma..chroma + w / 2];
            let v = &mut self.v[chroma..chroma + w / 2];
            for x in 0..w / 2 {
                let mut sum = [0u32; 3];
                for (src, dst) in [(top, &mut *y_top), (bottom, &mut *y_bottom)] {
                    for dx in 0..2 {
                        let i = 2 * x + dx;
                        let rgb = over(&src[i * 4..i * 4 + 4], background);
                        dst[i] = luma(rgb);
                        for c in 0..3 {
                            sum[c] += rgb[c];
                        }
                    }
                }
                // The chroma of the block's mean colour.
                let mean = sum.map(|s| (s + 2) / 4);
                let (cb, cr) = chroma_of(mean);
                u[x] = cb;
                v[x] = cr;
            }
        }
    }
}

/// One premultiplied RGBA pixel over an opaque background: the visible colour.
#[inline(always)]
fn over(px: &[u8], background: [u8; 3]) -> [u32; 3] {
    let rest = 255 - u32::from(px[3]);
    let mut out = [0; 3];
    for c in 0..3 {
        out[c] = u32::from(px[c]) + div255(u32::from(background[c]) * rest);
    }
    out
}

/// `x / 255` rounded, for `x` ≤ 255 × 255.
#[inline(always)]
fn div255(x: u32) -> u32 {
    let x = x + 128;
    (x + (x >> 8)) >> 8
}

/// BT.601 studio-range luma of an RGB colour (0–255 each): 16 (black) to 235 (white).
#[inline(always)]
fn luma([r, g, b]: [u32; 3]) -> u8 {
    (((66 * r + 129 * g + 25 * b + 128) >> 8) + 16) as u8
}

/// BT.601 studio-range chroma (Cb, Cr) of an RGB colour, 16 to 240 around 128.
#[inline(always)]
fn chroma_of([r, g, b]: [u32; 3]) -> (u8, u8) {
    let (r, g, b) = (r as i32, g as i32, b as i32);
    let cb = ((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128;
    let cr = ((112 * r - 94 * g - 18 * b + 128) >> 8) + 128;
    (cb as u8, cr as u8)
}

/// The RGB colour of a BT.601 studio-range YUV sample, for tests that compare decoded video with the
/// pictures it was made from.
pub fn rgb_of_yuv(y: u8, u: u8, v: u8) -> [u8; 3] {
    let c = 298 * (i32::from(y) - 16);
    let (d, e) = (i32::from(u) - 128, i32::from(v) - 128);
    let clamp = |x: i32| ((x + 128) >> 8).clamp(0, 255) as u8;
    [
        clamp(c + 409 * e),
        clamp(c - 100 * d - 208 * e),
        clamp(c + 516 * d),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn white_black_and_colours_round_trip_within_a_step() {
        for rgb in [
            [255u8, 255, 255],
            [0, 0, 0],
            [255, 0, 0],
            [0, 128, 255],
            [30, 200, 90],
        ] {
            let (cb, cr) = chroma_of(rgb.map(u32::from));
            let back = rgb_of_yuv(luma(rgb.map(u32::from)), cb, cr);
            for c in 0..3 {
                assert!(
                    (i32::from(back[c]) - i32::from(rgb[c])).abs() <= 3,
                    "{rgb:?} came back as {back:?}"
                );
            }
        }
        assert_eq!(luma([255, 255, 255]), 235);
        assert_eq!(luma([0, 0, 0]), 16);
        assert_eq!(chroma_of([255, 255, 255]), (128, 128));
    }

    #[test]
    fn transparent_pixels_show_the_background_and_only_the_asked_rows_change() {
        let (w, h) = (4usize, 4usize);
        let mut rgba = vec![0u8; w * h * 4];
        // Row 2, pixel 1: half-transparent black (premultiplied: colour 0, alpha 128).
        rgba[(2 * w + 1) * 4 + 3] = 128;
        let mut pic = I420::new(w as u32, h as u32);
        pic.convert_rows(&rgba, [255, 255, 255], 2..3);
        let [y, u, v] = pic.planes();
        assert_eq!(&y[..2 * w], &[0; 8], "rows 0 and 1 were not asked for");
        assert_eq!(y[2 * w], 235, "transparent shows white");
        // 255 × 127 / 255 = 127 grey.
        assert_eq!(y[2 * w + 1], luma([127, 127, 127]));
        assert_eq!(y[3 * w], 235, "the pair's other row is converted too");
        assert_eq!((u[2], v[2]), (128, 128), "grey has no chroma");
        assert_eq!(u[0], 0, "chroma of rows 0 and 1 untouched");
    }
}
