//! Reference-image and behaviour tests of the renderer, one module per area. References live in
//! `tests/images/<area>/<case>.png`; regenerate them with `INFIDRAW_BLESS=1 cargo test` after
//! looking at what changed.

mod common;

mod base_cache;
mod eraser;
mod highlighter;
mod limits;
mod pen;
mod properties;
mod real_strokes;
mod region;
mod tiles;
mod validation;
mod vectors;
