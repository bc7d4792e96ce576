//! PNG in and out: base snapshots are decoded into premultiplied pixmaps; results are encoded as 8-bit
//! non-premultiplied RGBA in bands (`bands.rs`).

use std::io::Cursor;

use png::{BitDepth, ColorType, Decoder, Transformations};
use tiny_skia::{ColorU8, Pixmap};

use crate::error::RenderError;

/// Decodes a base PNG of exactly `size` × `size` pixels. Any colour type and bit depth is accepted
/// and converted to RGBA8.
pub(crate) fn decode_base(bytes: &[u8], size: u32) -> Result<Pixmap, RenderError> {
    let bad = |e: png::DecodingError| RenderError::BasePng(e.to_string());
    let mut decoder = Decoder::new(Cursor::new(bytes));
    decoder.set_transformations(Transformations::normalize_to_color8());
    let header = decoder.read_header_info().map_err(bad)?;
    if header.width != size || header.height != size {
        return Err(RenderError::BasePngSize {
            expected: size,
            width: header.width,
            height: header.height,
        });
    }
    let mut reader = decoder.read_info().map_err(bad)?;
    let len = reader
        .output_buffer_size()
        .ok_or_else(|| RenderError::BasePng("image too large".into()))?;
    let mut pixmap = Pixmap::new(size, size).ok_or_else(|| RenderError::BasePng("size".into()))?;
    // The format this crate writes, RGBA8: decode straight into the pixmap and premultiply there,
    // which saves a second image-sized buffer (and its page faults) and a copy.
    if reader.output_color_type() == (ColorType::Rgba, BitDepth::Eight)
        && len == pixmap.data().len()
    {
        reader.next_frame(pixmap.data_mut()).map_err(bad)?;
        premultiply_in_place(pixmap.data_mut());
        return Ok(pixmap);
    }
    let mut buf = vec![0; len];
    let frame = reader.next_frame(&mut buf).map_err(bad)?;
    let (color, depth) = reader.output_color_type();
    if depth != BitDepth::Eight {
        return Err(RenderError::BasePng(format!(
            "unsupported bit depth {depth:?}"
        )));
    }
    let stride = frame.line_size;
    let channels = color.samples();
    let row_bytes = 4 * size as usize;
    for (src, dst) in buf
        .chunks(stride)
        .zip(pixmap.data_mut().chunks_exact_mut(row_bytes))
    {
        match color {
            // The format this crate writes: premultiply whole rows, no per-pixel dispatch.
            ColorType::Rgba => premultiply_row(&src[..row_bytes], dst),
            _ => {
                for (px, out) in src.chunks_exact(channels).zip(dst.chunks_exact_mut(4)) {
                    let [r, g, b, a] = match color {
                        ColorType::Rgb => [px[0], px[1], px[2], u8::MAX],
                        ColorType::GrayscaleAlpha => [px[0], px[0], px[0], px[1]],
                        ColorType::Grayscale => [px[0], px[0], px[0], u8::MAX],
                        _ => {
                            return Err(RenderError::BasePng("palette was not expanded".into()));
                        }
                    };
                    let p = ColorU8::from_rgba(r, g, b, a).premultiply();
                    out.copy_from_slice(&[p.red(), p.green(), p.blue(), p.alpha()]);
                }
            }
        }
    }
    Ok(pixmap)
}

/// Premultiplies RGBA8 pixels where they are; transparent and opaque pixels (most of a tile) are left
/// as they are.
fn premultiply_in_place(pixels: &mut [u8]) {
    for px in pixels.chunks_exact_mut(4) {
        let a = px[3];
        if a != 0 && a != u8::MAX {
            let p = ColorU8::from_rgba(px[0], px[1], px[2], a).premultiply();
            px.copy_from_slice(&[p.red(), p.green(), p.blue(), a]);
        } else if a == 0 {
            // A transparent pixel's colour is meaningless in a PNG; premultiplied it is 0.
            px.fill(0);
        }
    }
}

/// Premultiplies a row of RGBA8 into `dst`; transparent and opaque pixels (most of a tile) skip the
/// arithmetic.
fn premultiply_row(src: &[u8], dst: &mut [u8]) {
    for (px, out) in src.chunks_exact(4).zip(dst.chunks_exact_mut(4)) {
        match px[3] {
            0 => out.fill(0),
            u8::MAX => out.copy_from_slice(px),
            a => {
                let p = ColorU8::from_rgba(px[0], px[1], px[2], a).premultiply();
                out.copy_from_slice(&[p.red(), p.green(), p.blue(), a]);
            }
        }
    }
}

/// Encodes a pixmap as 8-bit RGBA, not premultiplied (see [`crate::bands`]).
pub(crate) fn encode(pixmap: &Pixmap) -> Vec<u8> {
    crate::bands::encode(pixmap, None).png
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bands::demultiply_one as demultiply;
    use png::Encoder;

    #[test]
    fn demultiply_then_premultiply_is_lossless() {
        // What keeps incremental renders stable: a PNG written here and read back as a base gives the
        // same premultiplied pixels.
        for a in 1..=255u8 {
            for c in 0..=a {
                let back = ColorU8::from_rgba(demultiply(c, a), 0, 0, a).premultiply();
                assert_eq!(back.red(), c, "c={c} a={a}");
            }
        }
    }

    #[test]
    fn encode_then_decode_keeps_pixels() {
        let mut pixmap = Pixmap::new(256, 256).unwrap();
        for (i, p) in pixmap.pixels_mut().iter_mut().enumerate() {
            let a = (i % 256) as u8;
            *p = ColorU8::from_rgba(200, 100, 50, a).premultiply();
        }
        let png = encode(&pixmap);
        let back = decode_base(&png, 256).unwrap();
        assert_eq!(back.data(), pixmap.data());
    }

    #[test]
    fn decode_checks_size_and_format() {
        let pixmap = Pixmap::new(256, 256).unwrap();
        let png = encode(&pixmap);
        assert_eq!(
            decode_base(&png, 512).unwrap_err(),
            RenderError::BasePngSize {
                expected: 512,
                width: 256,
                height: 256
            }
        );
        assert!(matches!(
            decode_base(b"not a png", 256),
            Err(RenderError::BasePng(_))
        ));
        assert!(matches!(
            decode_base(&png[..png.len() / 2], 256),
            Err(RenderError::BasePng(_))
        ));
    }

    #[test]
    fn decode_premultiplies_rgba_from_another_encoder() {
        // Straight RGBA as another encoder writes it, colour kept under alpha 0.
        let mut rgba = Vec::new();
        for i in 0..256 * 256u32 {
            rgba.extend_from_slice(&[200, (i % 251) as u8, 9, (i % 256) as u8]);
        }
        let mut out = Vec::new();
        let mut e = Encoder::new(&mut out, 256, 256);
        e.set_color(ColorType::Rgba);
        e.set_depth(BitDepth::Eight);
        let mut w = e.write_header().unwrap();
        w.write_image_data(&rgba).unwrap();
        w.finish().unwrap();
        let pixmap = decode_base(&out, 256).unwrap();
        for (px, want) in pixmap.pixels().iter().zip(rgba.chunks_exact(4)) {
            let p = ColorU8::from_rgba(want[0], want[1], want[2], want[3]).premultiply();
            assert_eq!(*px, p);
        }
    }

    #[test]
    fn decode_accepts_rgb_and_gray() {
        for (color, bytes_per_px) in [(ColorType::Rgb, 3), (ColorType::Grayscale, 1)] {
            let mut out = Vec::new();
            let mut e = Encoder::new(&mut out, 256, 256);
            e.set_color(color);
            e.set_depth(BitDepth::Eight);
            let mut w = e.write_header().unwrap();
            w.write_image_data(&vec![77u8; 256 * 256 * bytes_per_px])
                .unwrap();
            w.finish().unwrap();
            let pixmap = decode_base(&out, 256).unwrap();
            let p = pixmap.pixel(10, 10).unwrap();
            assert_eq!((p.red(), p.green(), p.blue(), p.alpha()), (77, 77, 77, 255));
        }
    }
}
