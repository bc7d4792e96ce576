//! Incremental renders on a base whose pixels a `BaseCache` kept: the same bytes as decoding it.

use crate::common::{pen, stroke, tile};
use infidraw_render::{BaseCache, TileCoord, Tool, render_tile_cached};

#[test]
fn a_cached_base_gives_the_bytes_a_decoded_one_gives() {
    let coord = TileCoord::new(3, -2, 5);
    let a = [pen(
        0x336699c0,
        8.0,
        &[(-4000.0, 10500.0), (-3000.0, 11000.0), (-2500.0, 10300.0)],
    )];
    let b = [
        stroke(
            Tool::PixelEraser,
            0,
            40.0,
            &[(-4096.0, 10600.0), (-2048.0, 10600.0)],
            &[],
        ),
        stroke(
            Tool::Highlighter,
            0x00ff0060,
            60.0,
            &[(-3500.0, 10240.0), (-3500.0, 12288.0)],
            &[],
        ),
    ];
    let cache = BaseCache::new(16 << 20);
    let first = render_tile_cached(coord, 512, None, &a, &cache).unwrap();
    assert!(!first.base_from_cache);
    assert_eq!(first.strokes_drawn, 1);
    assert_eq!(
        first.png,
        tile(3, -2, 5, 512, None, &a),
        "the cache changes no pixel"
    );

    let second = render_tile_cached(coord, 512, Some(&first.png), &b, &cache).unwrap();
    assert!(
        second.base_from_cache,
        "the base is the PNG rendered just before"
    );
    assert_eq!(second.strokes_drawn, 2);
    assert_ne!(second.png, first.png);
    assert_eq!(
        second.png,
        tile(3, -2, 5, 512, Some(&first.png), &b),
        "kept pixels and decoded pixels draw the same tile"
    );

    // The base was taken out and replaced by the result: rendering on it again decodes it.
    let again = render_tile_cached(coord, 512, Some(&first.png), &b, &cache).unwrap();
    assert!(!again.base_from_cache);
    assert_eq!(again.png, second.png);
}

#[test]
fn a_base_of_another_size_or_unknown_bytes_is_decoded() {
    let coord = TileCoord::new(0, 0, 0);
    let a = [pen(0x101010ff, 6.0, &[(20.0, 20.0), (200.0, 200.0)])];
    let cache = BaseCache::new(16 << 20);
    let small = render_tile_cached(coord, 256, None, &a, &cache).unwrap();
    assert!(
        render_tile_cached(coord, 512, Some(&small.png), &a, &cache).is_err(),
        "a 256 px base under a 512 px tile is refused, cached or not"
    );
    let foreign = tile(0, 0, 0, 256, None, &a[..0]);
    let r = render_tile_cached(coord, 256, Some(&foreign), &a, &cache).unwrap();
    assert!(!r.base_from_cache);
}
