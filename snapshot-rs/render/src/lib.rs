//! Pure tile renderer of infidraw: turns strokes into anti-aliased PNG tiles.
//!
//! This crate implements `docs/tiles.md` of the infidraw repository, the one definition of the tile
//! pyramid and of stroke geometry that every infidraw renderer follows:
//!
//! - [`decode_stroke`] and [`encode_stroke`] convert between the wire form of a stroke ([`Stroke`],
//!   delta encoded and divided by a quantum, mirroring `infidraw.stroke.v1.Stroke`) and absolute points
//!   ([`DecodedStroke`]). The zigzag step of the encoding is the protobuf `sint32` wire type, so the
//!   values here are plain signed integers.
//! - [`tiles_touched`] says which tiles of a level a stroke touches (segment boxes grown by the reach).
//! - [`render_tile`] renders one tile of the pyramid, 256 or 512 pixels square, optionally on top of a
//!   previous PNG of the same tile; [`render_tile_cached`] keeps the pixels of what it rendered in a
//!   [`BaseCache`] so that the tile's next incremental render skips decoding its base;
//!   [`render_region`] renders any rectangle of the world.
//! - [`Timelapse`] draws a region frame by frame as strokes appear and disappear, as [`I420`]
//!   pictures over an opaque background, the input of a video encoder.
//! - [`limits`] holds the limits every infidraw service and the browser share, generated from
//!   `proto/limits.json`; the stroke limits decoding applies are also at the crate root.
//!
//! It does no I/O and starts no threads: callers bring the bytes and decide where the work runs. Every
//! input is validated and every failure is a [`RenderError`]; no input makes it panic.
//!
//! ```
//! use infidraw_render::{encode_stroke, render_tile, Point, TileCoord, Tool};
//!
//! // A red pen line from (10, 10) to (200, 120) world units, 4 units wide.
//! let stroke = encode_stroke(
//!     Tool::Pen,
//!     0xff0000ff,
//!     400,
//!     &[Point::new(1_000, 1_000), Point::new(20_000, 12_000)],
//!     &[],
//! )?;
//! let tile = render_tile(TileCoord::new(0, 0, 0), 256, None, &[stroke])?;
//! assert_eq!(tile.strokes_drawn, 1);
//! assert_eq!(&tile.png[1..4], b"PNG");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

mod bands;
mod base_cache;
mod bits;
mod codec;
mod deflate;
mod error;
mod filter;
mod geometry;
mod huffman;
mod image;
#[path = "limits_gen.rs"]
pub mod limits;
mod paint;
mod raster;
mod render;
mod stroke;
mod tile;
mod timelapse;
#[cfg(test)]
mod vectors;
mod width;
mod yuv;

pub use base_cache::BaseCache;
pub use codec::{decode_stroke, encode_stroke};
pub use error::{RenderError, StrokeError};
pub use render::{
    MAX_REGION_EDGE_PX, MAX_REGION_PIXELS, Region, RenderedTile, draw_tile_pixels,
    encode_tile_pixels, render_region, render_tile, render_tile_cached,
};
// The unit and the stroke limits every renderer applies, at the crate root as before they were
// generated.
pub use limits::{
    COORD_SCALE, MAX_COORD, MAX_LEVEL, MAX_PATH_TILES, MAX_POINTS, MAX_TILES_PER_STROKE, MAX_WIDTH,
    MIN_WIDTH,
};
pub use stroke::{DecodedStroke, Point, Stroke, Tool};
pub use tile::{INK_LIMIT, TILE_PX, TileCoord, tile_of_point, tile_span, tiles_touched};
pub use timelapse::{Timelapse, TimelapseFrame};
pub use yuv::{I420, rgb_of_yuv};
