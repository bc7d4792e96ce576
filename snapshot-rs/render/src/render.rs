//! The entry points: render one tile, or any region of the world.

use tiny_skia::{Color, Pixmap, PixmapPaint, Transform};

use crate::bands::{Encoded, Reuse, encode as encode_bands};
use crate::base_cache::BaseCache;
use crate::codec::decode_stroke;
use crate::error::RenderError;
use crate::geometry::Mapping;
use crate::image::{decode_base, encode};
use crate::paint::Painter;
use crate::stroke::{DecodedStroke, Stroke};
use crate::tile::{INK_LIMIT, TILE_PX, TileCoord};

/// Largest width or height of a region render, in pixels.
pub const MAX_REGION_EDGE_PX: u32 = 8192;

/// Largest pixel count of a region render (40 megapixels, 160 MB of RGBA).
pub const MAX_REGION_PIXELS: u64 = 40_000_000;

/// A rendered tile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedTile {
    /// The PNG: 8-bit RGBA, not premultiplied.
    pub png: Vec<u8>,
    /// How many of the strokes reached the tile (the others lie wholly outside it).
    pub strokes_drawn: u32,
    /// Whether the base's pixels came from a [`BaseCache`] instead of decoding `base_png`.
    pub base_from_cache: bool,
}

/// A rectangle of the world (world units × 100, min inclusive, max exclusive) drawn into
/// `width_px` × `height_px` pixels.
///
/// The axes scale independently; stroke widths use the geometric mean of the two scales, so a region
/// with the aspect ratio of its pixels draws exactly as a tile would.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Region {
    /// Left edge.
    pub min_x: i64,
    /// Top edge.
    pub min_y: i64,
    /// Right edge (exclusive).
    pub max_x: i64,
    /// Bottom edge (exclusive).
    pub max_y: i64,
    /// Output width in pixels.
    pub width_px: u32,
    /// Output height in pixels.
    pub height_px: u32,
    /// Background as `0xRRGGBBAA` (not premultiplied), drawn under the strokes; 0 is transparent.
    /// Pixel erasers remove strokes, never the background.
    pub background_rgba: u32,
}

/// Renders one tile at `size_px` (256 or 512) pixels, on top of `base_png` when given, drawing the
/// strokes in order.
///
/// `base_png` must be a PNG of exactly `size_px` × `size_px` pixels (any colour type); `None` or an
/// empty slice starts from transparent. Every stroke is validated before anything is drawn. Fails
/// on a bad size, level or tile (see [`TileCoord::validate`]), an invalid stroke (with its index) or
/// an undecodable base PNG.
pub fn render_tile(
    coord: TileCoord,
    size_px: u32,
    base_png: Option<&[u8]>,
    strokes: &[Stroke],
) -> Result<RenderedTile, RenderError> {
    render(coord, size_px, base_png, strokes, None)
}

/// [`render_tile`] that takes the base's pixels from `cache` when it holds them, and keeps the
/// result's pixels there for the tile's next incremental render (see [`BaseCache`]).
pub fn render_tile_cached(
    coord: TileCoord,
    size_px: u32,
    base_png: Option<&[u8]>,
    strokes: &[Stroke],
    cache: &BaseCache,
) -> Result<RenderedTile, RenderError> {
    render(coord, size_px, base_png, strokes, Some(cache))
}

fn render(
    coord: TileCoord,
    size_px: u32,
    base_png: Option<&[u8]>,
    strokes: &[Stroke],
    cache: Option<&BaseCache>,
) -> Result<RenderedTile, RenderError> {
    if size_px != TILE_PX && size_px != 2 * TILE_PX {
        return Err(RenderError::TileSize(size_px));
    }
    coord.validate()?;
    let decoded = decode_all(strokes)?;
    let base = base_png.filter(|b| !b.is_empty());
    let cached = base.and_then(|b| cache?.take(b, size_px));
    let base_from_cache = cached.is_some();
    let (mut pixmap, kept_bands) = match (cached, base) {
        (Some((pixmap, bands)), _) => (pixmap, bands),
        (None, Some(bytes)) => (decode_base(bytes, size_px)?, None),
        (None, None) => (new_pixmap(size_px, size_px)?, None),
    };
    let map = Mapping::tile(coord, size_px);
    let mut painter = Painter::new(&pixmap);
    let mut strokes_drawn = 0;
    for stroke in &decoded {
        if painter.draw(&mut pixmap, &map, stroke) {
            strokes_drawn += 1;
        }
    }
    // On a base from the cache, only the bands of rows the strokes changed are encoded again; the
    // others are copied from the base PNG, which is the one those bands were written into.
    let reuse = match (&kept_bands, base) {
        (Some(bands), Some(png)) => Some(Reuse {
            png,
            bands,
            dirty: painter.dirty_rows(),
        }),
        _ => None,
    };
    let Encoded { png, bands } = encode_bands(&pixmap, reuse);
    if let Some(cache) = cache {
        cache.put(&png, pixmap, Some(bands));
    }
    Ok(RenderedTile {
        png,
        strokes_drawn,
        base_from_cache,
    })
}

/// Renders a region of the world to a PNG, strokes in order over the background.
///
/// Fails when the region is empty or reaches beyond ±[`INK_LIMIT`], when the output is empty, wider
/// or taller than [`MAX_REGION_EDGE_PX`] or larger than [`MAX_REGION_PIXELS`], or on an invalid
/// stroke.
pub fn render_region(region: &Region, strokes: &[Stroke]) -> Result<Vec<u8>, RenderError> {
    let r = region;
    let map = region_mapping(r)?;
    let decoded = decode_all(strokes)?;
    let (w, h) = (r.width_px, r.height_px);
    let mut ink = new_pixmap(w, h)?;
    let mut painter = Painter::new(&ink);
    for stroke in &decoded {
        painter.draw(&mut ink, &map, stroke);
    }
    if r.background_rgba == 0 {
        return Ok(encode(&ink));
    }
    let [br, bg, bb, ba] = r.background_rgba.to_be_bytes();
    let mut out = new_pixmap(w, h)?;
    out.fill(Color::from_rgba8(br, bg, bb, ba));
    out.draw_pixmap(
        0,
        0,
        ink.as_ref(),
        &PixmapPaint::default(),
        Transform::identity(),
        None,
    );
    Ok(encode(&out))
}

/// Draws a tile from nothing and returns its premultiplied RGBA8 pixels, without encoding them: what
/// [`render_tile`] does before the PNG step, for benchmarks that time drawing and encoding apart.
#[doc(hidden)]
pub fn draw_tile_pixels(
    coord: TileCoord,
    size_px: u32,
    strokes: &[Stroke],
) -> Result<Vec<u8>, RenderError> {
    if size_px != TILE_PX && size_px != 2 * TILE_PX {
        return Err(RenderError::TileSize(size_px));
    }
    coord.validate()?;
    let decoded = decode_all(strokes)?;
    let mut pixmap = new_pixmap(size_px, size_px)?;
    let map = Mapping::tile(coord, size_px);
    let mut painter = Painter::new(&pixmap);
    for stroke in &decoded {
        painter.draw(&mut pixmap, &map, stroke);
    }
    Ok(pixmap.take())
}

/// Encodes `size_px` × `size_px` premultiplied RGBA8 pixels (from [`draw_tile_pixels`]) as
/// [`render_tile`] does, for benchmarks that time drawing and encoding apart.
#[doc(hidden)]
pub fn encode_tile_pixels(size_px: u32, pixels: Vec<u8>) -> Result<Vec<u8>, RenderError> {
    let size =
        tiny_skia::IntSize::from_wh(size_px, size_px).ok_or(RenderError::TileSize(size_px))?;
    let pixmap = Pixmap::from_vec(pixels, size)
        .ok_or_else(|| RenderError::Encode("pixels of another size".into()))?;
    Ok(encode(&pixmap))
}

/// The mapping of a region onto its pixels, after checking the region and its output size (see
/// [`render_region`]).
pub(crate) fn region_mapping(r: &Region) -> Result<Mapping, RenderError> {
    let within = |v: i64| (-INK_LIMIT..=INK_LIMIT).contains(&v);
    if r.min_x >= r.max_x
        || r.min_y >= r.max_y
        || !within(r.min_x)
        || !within(r.max_x)
        || !within(r.min_y)
        || !within(r.max_y)
    {
        return Err(RenderError::RegionBounds {
            min_x: r.min_x,
            min_y: r.min_y,
            max_x: r.max_x,
            max_y: r.max_y,
        });
    }
    let (w, h) = (r.width_px, r.height_px);
    if w == 0
        || h == 0
        || w > MAX_REGION_EDGE_PX
        || h > MAX_REGION_EDGE_PX
        || u64::from(w) * u64::from(h) > MAX_REGION_PIXELS
    {
        return Err(RenderError::RegionSize {
            width: w,
            height: h,
        });
    }
    let sx = f64::from(w) / (r.max_x - r.min_x) as f64;
    let sy = f64::from(h) / (r.max_y - r.min_y) as f64;
    Ok(Mapping {
        ox: r.min_x,
        oy: r.min_y,
        sx,
        sy,
        sw: (sx * sy).sqrt(),
        width: w,
        height: h,
    })
}

pub(crate) fn decode_all(strokes: &[Stroke]) -> Result<Vec<DecodedStroke>, RenderError> {
    strokes
        .iter()
        .enumerate()
        .map(|(index, s)| decode_stroke(s).map_err(|error| RenderError::Stroke { index, error }))
        .collect()
}

pub(crate) fn new_pixmap(w: u32, h: u32) -> Result<Pixmap, RenderError> {
    Pixmap::new(w, h).ok_or_else(|| RenderError::Encode(format!("cannot allocate {w}x{h} pixels")))
}
