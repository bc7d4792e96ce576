//! PNG output in independent horizontal bands, so that re-encoding an image of which a few rows
//! changed compresses only the bands holding them.
//!
//! The image data of a PNG is one zlib stream of filtered rows. Here every band of rows is
//! filtered and deflated on its own:
//!
//! - the first row of a band uses a filter that does not look at the row above (None or Sub), so a
//!   band's filtered bytes depend on its own pixels only;
//! - its deflate blocks are none of them final, use no back-reference beyond the band (the only
//!   matches are runs of a repeated byte at distance 1 that start with a literal inside the band),
//!   and end with an empty stored block (a zlib "sync flush"), so the band's bytes start and end on
//!   a byte boundary and can be laid next to any other band's;
//! - the zlib stream is a 2-byte header, the bands in order, a final empty block and the Adler-32 of
//!   all filtered rows, which [`adler32_combine`] computes from the bands' own without reading their
//!   bytes again.
//!
//! A decoder sees one ordinary zlib stream in one IDAT chunk. Each band is compressed by
//! [`crate::deflate`]: literals and runs, with a Huffman code built from the band's own symbol
//! counts (or deflate's fixed code, or stored, whichever is smallest). The price of the bands is one
//! code description (a few dozen bytes) and one flush (5 bytes) per band, and band boundaries that
//! restart runs and filters. The row filters are [`crate::filter`]'s.

use std::ops::Range;
use std::sync::OnceLock;

use tiny_skia::Pixmap;

use crate::deflate::Deflater;
use crate::filter::filter_row;

/// The image is cut into this many bands (fewer when it has fewer rows): more bands re-encode fewer
/// rows after a small change but add a table header and a flush each.
const BANDS: usize = 16;

/// Where one band's part of the zlib stream lies in the PNG, and what it holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Band {
    /// Offset in the PNG of the band's deflate blocks (none final, ending byte-aligned).
    at: usize,
    /// Their length.
    len: usize,
    /// Adler-32 of the band's filtered rows.
    adler: u32,
    /// Length of the band's filtered rows (rows × (1 + 4 × width)).
    raw_len: usize,
}

/// Where the bands of a PNG written by [`encode`] lie in it: what re-encoding a changed version of
/// the image needs besides that PNG's bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Bands {
    width: u32,
    height: u32,
    bands: Vec<Band>,
}

impl Bands {
    /// Bytes held (for cache accounting).
    pub fn bytes(&self) -> usize {
        std::mem::size_of::<Bands>() + self.bands.len() * std::mem::size_of::<Band>()
    }
}

/// A PNG and where its bands lie in it.
pub(crate) struct Encoded {
    /// The PNG: 8-bit RGBA, not premultiplied.
    pub png: Vec<u8>,
    /// Its bands, for [`encode`] of the next version of the image.
    pub bands: Bands,
}

/// An earlier encoding of an image, and the rows changed since.
pub(crate) struct Reuse<'a> {
    /// The PNG that [`encode`] wrote.
    pub png: &'a [u8],
    /// Its bands, as [`encode`] returned them with it.
    pub bands: &'a Bands,
    /// A range of rows covering every row changed since (empty for none).
    pub dirty: Range<usize>,
}

/// Rows per band for an image `height` rows tall.
fn band_rows(height: usize) -> usize {
    height.div_ceil(BANDS).max(1)
}

/// Encodes a premultiplied pixmap as an 8-bit RGBA PNG (not premultiplied).
///
/// With `reuse` (an earlier encoding of a pixmap of the same size), bands wholly outside the changed
/// rows are copied from the earlier PNG instead of encoded. The result decodes to the same pixels
/// as an encoding from scratch.
pub(crate) fn encode(pixmap: &Pixmap, reuse: Option<Reuse<'_>>) -> Encoded {
    let (width, height) = (pixmap.width(), pixmap.height());
    let (w, h) = (width as usize, height as usize);
    let rows = band_rows(h);
    let row_bytes = 4 * w;
    let reuse = reuse.filter(|r| {
        r.bands.width == width
            && r.bands.height == height
            && r.bands.bands.len() == h.div_ceil(rows)
            && r.bands.bands.iter().all(|b| b.at + b.len <= r.png.len())
    });
    let mut scratch = Scratch::new(row_bytes, rows);
    // Each band's deflate blocks: borrowed from the earlier PNG or new.
    let mut parts: Vec<(std::borrow::Cow<'_, [u8]>, u32, usize)> =
        Vec::with_capacity(h.div_ceil(rows));
    for (i, start) in (0..h).step_by(rows).enumerate() {
        let end = (start + rows).min(h);
        if let Some(r) = &reuse
            && (r.dirty.is_empty() || r.dirty.end <= start || r.dirty.start >= end)
        {
            let b = r.bands.bands[i];
            parts.push((r.png[b.at..b.at + b.len].into(), b.adler, b.raw_len));
            continue;
        }
        let pixels = &pixmap.data()[start * row_bytes..end * row_bytes];
        let (deflate, adler, raw_len) = encode_band(pixels, row_bytes, &mut scratch);
        parts.push((deflate.into(), adler, raw_len));
    }
    assemble(width, height, &parts)
}

/// Buffers reused from band to band.
struct Scratch {
    /// The band's rows, not premultiplied.
    rgba: Vec<u8>,
    /// The band's filtered rows (a filter byte, then the row).
    raw: Vec<u8>,
    /// A candidate filtered row.
    candidate: Vec<u8>,
    deflater: Deflater,
}

impl Scratch {
    fn new(row_bytes: usize, rows: usize) -> Scratch {
        Scratch {
            rgba: vec![0; row_bytes * rows],
            raw: Vec::with_capacity((row_bytes + 1) * rows),
            candidate: vec![0; row_bytes],
            deflater: Deflater::default(),
        }
    }
}

/// Filters and deflates one band: its deflate blocks, the Adler-32 and length of its filtered rows.
fn encode_band(pixels: &[u8], row_bytes: usize, s: &mut Scratch) -> (Vec<u8>, u32, usize) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked just above.
        return unsafe { encode_band_avx2(pixels, row_bytes, s) };
    }
    encode_band_any(pixels, row_bytes, s)
}

/// [`encode_band`] compiled for AVX2: the filters, their costs and the zero tests take 32 bytes a
/// step instead of the x86-64 baseline's 16.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn encode_band_avx2(pixels: &[u8], row_bytes: usize, s: &mut Scratch) -> (Vec<u8>, u32, usize) {
    encode_band_any(pixels, row_bytes, s)
}

#[inline(always)]
fn encode_band_any(pixels: &[u8], row_bytes: usize, s: &mut Scratch) -> (Vec<u8>, u32, usize) {
    let rgba = &mut s.rgba[..pixels.len()];
    demultiply(pixels, rgba);
    s.raw.clear();
    let mut prev: Option<&[u8]> = None;
    for row in rgba.chunks_exact(row_bytes) {
        filter_row(prev, row, &mut s.raw, &mut s.candidate);
        prev = Some(row);
    }
    let raw = &s.raw;
    let adler = adler32(raw);
    (s.deflater.compress(raw), adler, raw.len())
}

/// Un-premultiplies RGBA8 pixels: `c · 255 / a`, rounded half up, through a table.
#[inline(always)]
fn demultiply(pixels: &[u8], rgba: &mut [u8]) {
    let table = demultiply_table();
    for (px, out) in pixels.chunks_exact(4).zip(rgba.chunks_exact_mut(4)) {
        match px[3] {
            0 => out.fill(0),
            u8::MAX => out.copy_from_slice(px),
            a => {
                let row = &table[usize::from(a) << 8..][..256];
                out.copy_from_slice(&[
                    row[usize::from(px[0])],
                    row[usize::from(px[1])],
                    row[usize::from(px[2])],
                    a,
                ]);
            }
        }
    }
}

/// [`demultiply_one`] of every (alpha, channel) pair, indexed `alpha << 8 | channel`: a table
/// lookup instead of a division per channel (64 KiB, built once).
fn demultiply_table() -> &'static [u8; 65536] {
    static TABLE: OnceLock<Box<[u8; 65536]>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = Box::new([0u8; 65536]);
        for a in 1..=255u8 {
            for c in 0..=255u8 {
                t[usize::from(a) << 8 | usize::from(c)] = demultiply_one(c, a);
            }
        }
        t
    })
}

/// `c · 255 / a`, rounded half up, in integers.
pub(crate) fn demultiply_one(c: u8, a: u8) -> u8 {
    let (c, a) = (u32::from(c), u32::from(a));
    ((c * 510 + a) / (2 * a)).min(255) as u8
}

/// Adler-32 of `data`.
fn adler32(data: &[u8]) -> u32 {
    let mut a = simd_adler32::Adler32::new();
    a.write(data);
    a.finish()
}

const ADLER_MOD: u64 = 65521;

/// The Adler-32 of `A ‖ B` from `adler(A)`, `adler(B)` and `len(B)`: with `a = 1 + Σ bytes` and
/// `b = Σ a after each byte`, appending B adds `Σ B − 0` to a and `len(B) · (a_A − 1) + b_B` to b.
fn adler32_combine(adler_a: u32, adler_b: u32, len_b: usize) -> u32 {
    let (a1, b1) = (u64::from(adler_a & 0xffff), u64::from(adler_a >> 16));
    let (a2, b2) = (u64::from(adler_b & 0xffff), u64::from(adler_b >> 16));
    let n = len_b as u64 % ADLER_MOD;
    let a = (a1 + a2 + ADLER_MOD - 1) % ADLER_MOD;
    let b = (b1 + b2 + n * a1 + ADLER_MOD - n) % ADLER_MOD;
    (b << 16 | a) as u32
}

/// The PNG: signature, IHDR, one IDAT holding the zlib stream of the bands, IEND.
fn assemble(
    width: u32,
    height: u32,
    parts: &[(std::borrow::Cow<'_, [u8]>, u32, usize)],
) -> Encoded {
    let deflate_len: usize = parts.iter().map(|p| p.0.len()).sum();
    // Signature 8, IHDR 25, IDAT 12 + zlib 2 + final block 2 + Adler 4, IEND 12.
    let mut png = Vec::with_capacity(deflate_len + 65);
    png.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    let mut ihdr = [0u8; 13];
    ihdr[..4].copy_from_slice(&width.to_be_bytes());
    ihdr[4..8].copy_from_slice(&height.to_be_bytes());
    // Bit depth 8, colour type 6 (RGBA), compression 0, filter 0, no interlace.
    ihdr[8..].copy_from_slice(&[8, 6, 0, 0, 0]);
    chunk(&mut png, b"IHDR", |out| out.extend_from_slice(&ihdr));
    let mut bands = Vec::with_capacity(parts.len());
    chunk(&mut png, b"IDAT", |out| {
        // CMF 0x78 (deflate, 32 KiB window), FLG 0x01 (fastest, check bits).
        out.extend_from_slice(&[0x78, 0x01]);
        let mut adler = 1;
        for (deflate, band_adler, raw_len) in parts {
            bands.push(Band {
                at: out.len(),
                len: deflate.len(),
                adler: *band_adler,
                raw_len: *raw_len,
            });
            out.extend_from_slice(deflate);
            adler = adler32_combine(adler, *band_adler, *raw_len);
        }
        // An empty final block with fixed codes (BFINAL 1, BTYPE 01, end of block), then the
        // checksum.
        out.extend_from_slice(&[0x03, 0x00]);
        out.extend_from_slice(&adler.to_be_bytes());
    });
    chunk(&mut png, b"IEND", |_| {});
    Encoded {
        png,
        bands: Bands {
            width,
            height,
            bands,
        },
    }
}

/// Appends a chunk whose data `fill` writes: length, type, data, CRC of type and data.
fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], fill: impl FnOnce(&mut Vec<u8>)) {
    let at = png.len();
    png.extend_from_slice(&[0; 4]);
    png.extend_from_slice(kind);
    fill(png);
    let len = png.len() - at - 8;
    // Chunks are at most 2^31 − 1 bytes; the largest image here (a region of 40 megapixels) stays
    // under 161 MB even stored.
    png[at..at + 4].copy_from_slice(&(len as u32).to_be_bytes());
    let crc = crc32fast::hash(&png[at + 4..]);
    png.extend_from_slice(&crc.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use tiny_skia::ColorU8;

    /// A pixmap of `w` × `h` with transparent rows, opaque rows, translucent gradients and noise,
    /// each over a few bands.
    fn sample(w: u32, h: u32, seed: u32) -> Pixmap {
        let mut p = Pixmap::new(w, h).unwrap();
        let mut x = seed | 1;
        let mut noise = move || {
            // xorshift32
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x
        };
        for (i, px) in p.pixels_mut().iter_mut().enumerate() {
            let (col, row) = (i as u32 % w, i as u32 / w);
            let n = noise();
            let c = match row % 48 {
                0..8 => ColorU8::from_rgba(0, 0, 0, 0),
                8..16 => ColorU8::from_rgba(col as u8, row as u8, 40, 255),
                16..32 => ColorU8::from_rgba(200, (col * 3) as u8, 10, (col + row) as u8),
                _ => {
                    let [r, g, b, a] = n.to_le_bytes();
                    ColorU8::from_rgba(r, g, b, if a < 64 { 0 } else { a })
                }
            };
            *px = c.premultiply();
        }
        p
    }

    /// The image data by an inflater other than the one `png` uses (miniz_oxide, which checks the
    /// Adler-32) and a plain unfilter: the pixels, not premultiplied, and the IDAT chunks seen.
    fn independent_decode(png: &[u8]) -> (u32, u32, Vec<u8>) {
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let (mut at, mut idat, mut size, mut kinds) = (8, Vec::new(), (0, 0), Vec::new());
        while at < png.len() {
            let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
            let kind = &png[at + 4..at + 8];
            let data = &png[at + 8..at + 8 + len];
            let crc = u32::from_be_bytes(png[at + 8 + len..at + 12 + len].try_into().unwrap());
            assert_eq!(crc, crc32fast::hash(&png[at + 4..at + 8 + len]), "CRC");
            kinds.push(String::from_utf8(kind.to_vec()).unwrap());
            match kind {
                b"IHDR" => {
                    size = (
                        u32::from_be_bytes(data[..4].try_into().unwrap()),
                        u32::from_be_bytes(data[4..8].try_into().unwrap()),
                    );
                    assert_eq!(&data[8..], &[8, 6, 0, 0, 0]);
                }
                b"IDAT" => idat.extend_from_slice(data),
                _ => {}
            }
            at += 12 + len;
        }
        assert_eq!(at, png.len());
        assert_eq!(kinds.first().map(String::as_str), Some("IHDR"));
        assert_eq!(kinds.last().map(String::as_str), Some("IEND"));
        let raw = miniz_oxide::inflate::decompress_to_vec_zlib(&idat).expect("inflate");
        let (w, h) = size;
        let row_bytes = 4 * w as usize;
        assert_eq!(raw.len(), h as usize * (row_bytes + 1));
        let mut out = vec![0u8; h as usize * row_bytes];
        for y in 0..h as usize {
            let f = raw[y * (row_bytes + 1)];
            let line = &raw[y * (row_bytes + 1) + 1..(y + 1) * (row_bytes + 1)];
            for i in 0..row_bytes {
                let a = if i >= 4 {
                    out[y * row_bytes + i - 4]
                } else {
                    0
                };
                let b = if y > 0 {
                    out[(y - 1) * row_bytes + i]
                } else {
                    0
                };
                let c = if y > 0 && i >= 4 {
                    out[(y - 1) * row_bytes + i - 4]
                } else {
                    0
                };
                let pred = match f {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
                    4 => crate::filter::paeth_spec(a, b, c),
                    _ => panic!("filter {f}"),
                };
                out[y * row_bytes + i] = line[i].wrapping_add(pred);
            }
        }
        (w, h, out)
    }

    fn demultiplied(p: &Pixmap) -> Vec<u8> {
        let mut out = vec![0; p.data().len()];
        demultiply(p.data(), &mut out);
        out
    }

    /// `png`'s own decoder: the pixels, not premultiplied.
    fn png_decode(png: &[u8]) -> Vec<u8> {
        let mut reader = png::Decoder::new(std::io::Cursor::new(png))
            .read_info()
            .unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        reader.next_frame(&mut buf).unwrap();
        buf
    }

    #[test]
    fn both_decoders_read_back_the_pixels() {
        for (w, h) in [(256, 256), (512, 512), (1, 1), (37, 5), (300, 1081)] {
            let p = sample(w, h, w ^ h);
            let e = encode(&p, None);
            let want = demultiplied(&p);
            assert_eq!(png_decode(&e.png), want, "{w}x{h} by png");
            assert_eq!(
                independent_decode(&e.png),
                (w, h, want),
                "{w}x{h} by miniz_oxide"
            );
            assert_eq!(e.bands.bands.len(), (h as usize).min(BANDS), "{w}x{h}");
        }
        // Transparent and stored-worthy (pure noise) images.
        let clear = Pixmap::new(256, 256).unwrap();
        let e = encode(&clear, None);
        assert_eq!(independent_decode(&e.png).2, vec![0; 256 * 256 * 4]);
        // 16 bands of 16 × 1025 zeros: a code of three symbols (zero, a length, end of block) in a
        // few dozen bytes, then a few bits per 258 zeros.
        assert!(
            e.png.len() < 800,
            "a transparent tile takes {} bytes",
            e.png.len()
        );
        // Opaque white: bytes of 0xff, whose filtered rows are runs as well.
        let mut white = Pixmap::new(256, 256).unwrap();
        white.fill(tiny_skia::Color::WHITE);
        let e = encode(&white, None);
        assert_eq!(png_decode(&e.png), vec![0xff; 256 * 256 * 4]);
        assert_eq!(independent_decode(&e.png).2, vec![0xff; 256 * 256 * 4]);
        assert!(
            e.png.len() < 1200,
            "a white tile takes {} bytes",
            e.png.len()
        );
        let mut noise = Pixmap::new(64, 64).unwrap();
        let mut x = 0x1234_5677u32;
        for px in noise.pixels_mut() {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let [r, g, b, _] = x.to_le_bytes();
            *px = ColorU8::from_rgba(r, g, b, 255).premultiply();
        }
        let e = encode(&noise, None);
        assert_eq!(independent_decode(&e.png).2, demultiplied(&noise));
        assert_eq!(png_decode(&e.png), demultiplied(&noise));
    }

    #[test]
    fn reusing_bands_gives_the_bytes_of_a_full_encoding() {
        for size in [256u32, 512] {
            let before = sample(size, size, 7);
            let old = encode(&before, None);
            let rows = size as usize;
            for dirty in [
                0..0,
                0..1,
                15..17,
                100..101,
                40..200,
                rows - 1..rows,
                0..rows,
            ] {
                let mut after = before.clone();
                let row_bytes = 4 * rows;
                // Change every row of the range (an empty range changes nothing).
                for y in dirty.clone() {
                    for b in &mut after.data_mut()[y * row_bytes..(y + 1) * row_bytes] {
                        *b /= 2;
                    }
                }
                let full = encode(&after, None);
                let reused = encode(
                    &after,
                    Some(Reuse {
                        png: &old.png,
                        bands: &old.bands,
                        dirty: dirty.clone(),
                    }),
                );
                assert_eq!(reused.png, full.png, "{size} px, rows {dirty:?} changed");
                assert_eq!(reused.bands, full.bands);
            }
        }
    }

    #[test]
    fn every_code_path_encodes_the_same() {
        // The AVX2 build of a band (when the CPU has it) and the portable one write the same bytes.
        let p = sample(256, 48, 3);
        let (mut a, mut b) = (Scratch::new(1024, 48), Scratch::new(1024, 48));
        assert_eq!(
            encode_band(p.data(), 1024, &mut a),
            encode_band_any(p.data(), 1024, &mut b)
        );
    }

    #[test]
    fn reuse_of_another_size_is_ignored() {
        let small = encode(&sample(256, 256, 1), None);
        let big = sample(512, 512, 1);
        let e = encode(
            &big,
            Some(Reuse {
                png: &small.png,
                bands: &small.bands,
                dirty: 0..0,
            }),
        );
        assert_eq!(e.png, encode(&big, None).png);
    }

    #[test]
    fn adler_combine_matches_adler_of_the_concatenation() {
        let data: Vec<u8> = (0..200_000u32).map(|i| ((i * 7919) >> 3) as u8).collect();
        for split in [0, 1, 5552, 65521, 65522, 100_000, 200_000] {
            let (a, b) = data.split_at(split);
            assert_eq!(
                adler32_combine(adler32(a), adler32(b), b.len()),
                adler32(&data),
                "split at {split}"
            );
        }
    }
}
