//! Benchmark of RenderTimelapse's work on real strokes (Quick, Draw! raw drawings): a region of 1,000
//! strokes at 1280 × 720 played over 300 frames at 30 fps, the strokes appearing in order a few per
//! frame and, every 50 frames, one of them erased again (a redraw of the whole layer). Prints one
//! JSON object:
//!
//! - `fps`: frames per second of server time for the whole video (draw, convert, encode, mux), the
//!   issue's goal being at least 60; `seconds` the same time;
//! - `draw_fps`: the frames alone (drawing and conversion to I420, no encoding); `strokes_drawn` the
//!   strokes they drew, each redraw counting every visible stroke again;
//! - `video_bytes`: the size of the WebM file; `strokes`, `points`, `frames`, `width`, `height`.
//!
//! `cargo run --release -p infidraw-video --example bench_timelapse [-- DATA_DIR [OUT.webm]]`
//!
//! DATA_DIR defaults to `$INFIDRAW_STROKES_DIR` (`source scripts/env.sh`), else the shared data
//! folder beside the checkout; OUT.webm keeps the video to look at.

#[allow(dead_code)]
#[path = "../../render/examples/common/mod.rs"]
mod common;

use std::time::Instant;

use common::{Rng, data_dir, load, place, round};
use infidraw_render::{Region, Timelapse, TimelapseFrame};
use infidraw_video::{TimelapseVideo, read_webm};

const STROKES: usize = 1000;
const FRAMES: usize = 300;
const FRAME_RATE: u32 = 30;
const ERASE_EVERY: usize = 50;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = data_dir(
        args.next()
            .or_else(|| std::env::var("INFIDRAW_STROKES_DIR").ok()),
    );
    let out = args.next();
    let drawings = load(&dir);
    let mut rng = Rng(0x005e_ed0f_7173);

    // Drawings at natural size (about 256 units) scattered over 3200 × 1800 units: 2.5 units a pixel.
    let mut strokes = Vec::new();
    let mut i = 0;
    while strokes.len() < STROKES {
        let d = &drawings[i % drawings.len()];
        i += 1;
        let (ox, oy) = (rng.below(3000) as f64 - 50.0, rng.below(1600) as f64 - 50.0);
        strokes.extend(place(d, 1.0, ox, oy, &mut rng));
    }
    strokes.truncate(STROKES);
    let points: usize = strokes.iter().map(|s| s.points.len() / 2).sum();
    let region = Region {
        min_x: 0,
        min_y: 0,
        max_x: 320_000,
        max_y: 180_000,
        width_px: 1280,
        height_px: 720,
        background_rgba: 0,
    };
    // Frame k shows strokes [k·S/F, (k+1)·S/F); every ERASE_EVERY frames one shown stroke is hidden.
    let frames: Vec<TimelapseFrame> = (0..FRAMES)
        .map(|k| TimelapseFrame {
            show: (k * STROKES / FRAMES..(k + 1) * STROKES / FRAMES)
                .map(|i| i as u32)
                .collect(),
            hide: if k > 0 && k % ERASE_EVERY == 0 {
                vec![(k * STROKES / FRAMES / 2) as u32]
            } else {
                vec![]
            },
        })
        .collect();

    // The frames alone.
    let start = Instant::now();
    let mut t = Timelapse::new(&region, &strokes, frames.clone()).unwrap();
    while t.next_frame().is_some() {}
    let draw_seconds = start.elapsed().as_secs_f64();
    let strokes_drawn = t.strokes_drawn();

    // The whole video, as the server makes it.
    let start = Instant::now();
    let video = TimelapseVideo::new(&region, FRAME_RATE, &strokes, frames).unwrap();
    let webm = video.encode(|_| true).unwrap();
    let seconds = start.elapsed().as_secs_f64();

    let info = read_webm(&webm).unwrap();
    assert_eq!(info.frames.len(), FRAMES, "frames in the file");
    if let Some(path) = out {
        std::fs::write(&path, &webm).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
    println!(
        "{}",
        serde_json::json!({
            "strokes": STROKES,
            "points": points,
            "frames": FRAMES,
            "width": region.width_px,
            "height": region.height_px,
            "fps": round(FRAMES as f64 / seconds),
            "seconds": round(seconds),
            "draw_fps": round(FRAMES as f64 / draw_seconds),
            "strokes_drawn": strokes_drawn,
            "video_bytes": webm.len(),
        })
    );
}
