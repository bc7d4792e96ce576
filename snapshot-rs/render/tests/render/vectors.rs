//! The shared test vectors of `docs/testdata/tile-math.json` (expected values written by the Go
//! implementation, `shared-go/strokes`): this crate must agree with them case for case. The level for
//! a zoom is the browser's alone and is not checked here.

use infidraw_render::{
    COORD_SCALE, MAX_COORD, MAX_LEVEL, MAX_TILES_PER_STROKE, Point, RenderError, Stroke, TILE_PX,
    TileCoord, decode_stroke, tile_of_point, tiles_touched,
};
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/testdata/tile-math.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).expect("valid JSON")
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

fn tile(v: &Value) -> TileCoord {
    TileCoord::new(int(&v[0]) as u32, int(&v[1]) as i32, int(&v[2]) as i32)
}

#[test]
fn constants_agree() {
    let c = &vectors()["constants"];
    assert_eq!(int(&c["coord_scale"]), COORD_SCALE);
    assert_eq!(int(&c["tile_px"]), i64::from(TILE_PX));
    assert_eq!(int(&c["max_level"]), i64::from(MAX_LEVEL));
    assert_eq!(int(&c["max_coord"]), MAX_COORD);
    assert_eq!(int(&c["max_tiles_per_stroke"]), MAX_TILES_PER_STROKE as i64);
}

#[test]
fn tile_of_a_point() {
    for c in vectors()["tile_of_point"].as_array().unwrap() {
        let p = Point::new(int(&c["x"]) as i32, int(&c["y"]) as i32);
        let got = tile_of_point(p, int(&c["level"]) as u32).unwrap();
        assert_eq!(got, tile(&c["tile"]), "{c}");
    }
}

#[test]
fn parent_of_a_tile() {
    for c in vectors()["parent"].as_array().unwrap() {
        let want = (!c["parent"].is_null()).then(|| tile(&c["parent"]));
        assert_eq!(tile(&c["tile"]).parent(), want, "{c}");
    }
}

#[test]
fn level_0_tiles_a_stroke_touches() {
    for c in vectors()["tiles_touched"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let ints = |key: &str| -> Vec<i64> { c[key].as_array().unwrap().iter().map(int).collect() };
        let stroke = Stroke {
            tool: 1,
            rgba: 0xff,
            width: int(&c["width"]) as u32,
            quantum: int(&c["quantum"]) as u32,
            points: ints("points").into_iter().map(|v| v as i32).collect(),
            pressures: Vec::new(),
        };
        let decoded = decode_stroke(&stroke).unwrap_or_else(|e| panic!("{name}: {e}"));
        let absolute: Vec<i64> = decoded
            .points()
            .iter()
            .flat_map(|p| [i64::from(p.x), i64::from(p.y)])
            .collect();
        assert_eq!(absolute, ints("absolute"), "{name}: decoded points");
        let got = tiles_touched(&decoded, 0);
        if c["refused"].as_bool().unwrap() {
            assert_eq!(got, Err(RenderError::TooManyTiles { level: 0 }), "{name}");
            continue;
        }
        let got: Vec<(i64, i64)> = got
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .iter()
            .map(|t| (i64::from(t.x), i64::from(t.y)))
            .collect();
        let want: Vec<(i64, i64)> = c["tiles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (int(&t[0]), int(&t[1])))
            .collect();
        assert_eq!(got, want, "{name}");
    }
}
