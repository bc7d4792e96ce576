//! `src/limits_gen.rs` against its source, `proto/limits.json`: a hand edit of the generated file, or
//! a source changed without `npm run gen`, fails here (and the Go, gateway and browser tests compare
//! their constants with the same file).

use infidraw_render::limits::*;
use serde_json::Value;

/// Every constant of [`infidraw_render::limits`] by its name in the source (defaults as
/// `default_<name>`).
fn rust_limits() -> Vec<(&'static str, i128)> {
    vec![
        ("coord_scale", COORD_SCALE.into()),
        ("max_points", MAX_POINTS as i128),
        ("min_width", MIN_WIDTH.into()),
        ("max_width", MAX_WIDTH.into()),
        ("max_coord", MAX_COORD.into()),
        ("max_path_tiles", MAX_PATH_TILES.into()),
        ("max_tiles_per_stroke", MAX_TILES_PER_STROKE as i128),
        ("max_level", MAX_LEVEL.into()),
        ("max_live_points", MAX_LIVE_POINTS as i128),
        ("max_hit_radius", MAX_HIT_RADIUS.into()),
        ("export_max_side", EXPORT_MAX_SIDE.into()),
        ("export_max_pixels", EXPORT_MAX_PIXELS.into()),
        ("max_page_bytes", MAX_PAGE_BYTES as i128),
        ("realtime_reply_bytes", REALTIME_REPLY_BYTES as i128),
        ("timelapse_max_points", TIMELAPSE_MAX_POINTS as i128),
        ("default_max_frame_bytes", DEFAULT_MAX_FRAME_BYTES as i128),
        ("default_page_bytes", DEFAULT_PAGE_BYTES as i128),
        (
            "default_max_request_bytes",
            DEFAULT_MAX_REQUEST_BYTES as i128,
        ),
    ]
}

/// The source's values by name, defaults prefixed as the generator names them.
fn source_limits() -> Vec<(String, i128)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../proto/limits.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let source: Value = serde_json::from_str(&text).expect("valid JSON");
    let mut out = Vec::new();
    for (section, prefix) in [("limits", ""), ("defaults", "default_")] {
        for (name, limit) in source[section].as_object().expect("an object of limits") {
            let value = limit["value"]
                .as_i64()
                .unwrap_or_else(|| panic!("{name}: no integer value"));
            out.push((format!("{prefix}{name}"), i128::from(value)));
        }
    }
    out
}

#[test]
fn generated_limits_match_their_source() {
    let mut rust: Vec<(String, i128)> = rust_limits()
        .into_iter()
        .map(|(n, v)| (n.to_string(), v))
        .collect();
    let mut source = source_limits();
    rust.sort();
    source.sort();
    assert_eq!(rust, source, "left: Rust, right: proto/limits.json");
}
