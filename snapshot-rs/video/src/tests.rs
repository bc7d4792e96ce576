//! Whole videos: made, read back, decoded by libvpx's VP8 decoder and compared with the pictures.

use infidraw_render::{
    I420, Point, Region, Stroke, Timelapse, TimelapseFrame, Tool, encode_stroke, render_region,
    rgb_of_yuv,
};

use super::*;
use crate::vpx::decoder::{Decoded, Decoder};

fn region(width_px: u32, height_px: u32) -> Region {
    Region {
        min_x: 0,
        min_y: 0,
        max_x: 32_000,
        max_y: 18_000,
        width_px,
        height_px,
        background_rgba: 0,
    }
}

/// A zigzag of thin lines and a few wide strokes of every tool across the region.
fn strokes() -> Vec<Stroke> {
    let mut out = Vec::new();
    for i in 0..24 {
        let y = 1_000 + i * 650;
        let (tool, rgba, width) = match i % 6 {
            4 => (Tool::Highlighter, 0xffcc0080, 1_200),
            5 => (Tool::PixelEraser, 0, 900),
            _ => (
                Tool::Pen,
                [0x000000ff, 0x1f5fbfff, 0xc02020ff, 0x208040ff][i as usize % 4],
                150,
            ),
        };
        let points: Vec<Point> = (0..12)
            .map(|k| Point::new(1_000 + k * 2_500, y + (k % 2) * 500))
            .collect();
        out.push(encode_stroke(tool, rgba, width, &points, &[]).unwrap());
    }
    out
}

/// Frames that show the strokes two at a time, then erase two and bring one back.
fn frames(n: usize) -> Vec<TimelapseFrame> {
    let mut frames: Vec<TimelapseFrame> = (0..n)
        .map(|k| TimelapseFrame {
            show: if k < 12 {
                vec![2 * k as u32, 2 * k as u32 + 1]
            } else {
                vec![]
            },
            hide: vec![],
        })
        .collect();
    frames[14].hide = vec![3, 8];
    frames[17].show = vec![3];
    frames
}

/// The strokes visible after frame `k` of [`frames`].
fn visible_after(k: usize, all: &[Stroke]) -> Vec<Stroke> {
    (0..all.len())
        .filter(|&i| i < 2 * (k + 1).min(12))
        .filter(|&i| !((14..17).contains(&k) && i == 3 || k >= 14 && i == 8))
        .map(|i| all[i].clone())
        .collect()
}

/// RGB pixels of what `render_region` draws over white.
fn rendered_rgb(r: &Region, strokes: &[Stroke]) -> Vec<[u8; 3]> {
    let png = render_region(
        &Region {
            background_rgba: 0xffffffff,
            ..*r
        },
        strokes,
    )
    .unwrap();
    let mut reader = png::Decoder::new(std::io::Cursor::new(png))
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    reader.next_frame(&mut buf).unwrap();
    buf.chunks(4).map(|p| [p[0], p[1], p[2]]).collect()
}

fn decoded_rgb(d: &Decoded) -> Vec<[u8; 3]> {
    let mut out = Vec::with_capacity(d.width * d.height);
    for y in 0..d.height {
        for x in 0..d.width {
            let c = (y / 2) * d.width.div_ceil(2) + x / 2;
            out.push(rgb_of_yuv(d.y[y * d.width + x], d.u[c], d.v[c]));
        }
    }
    out
}

/// The codec's loss: every plane of the decoded picture is within a mean of `MEAN_STEPS` of the
/// picture that was encoded.
fn assert_planes_close(got: &Decoded, want: &I420, what: &str) {
    const MEAN_STEPS: f64 = 1.25;
    for (p, (g, w)) in [&got.y, &got.u, &got.v]
        .into_iter()
        .zip(want.planes())
        .enumerate()
    {
        assert_eq!(g.len(), w.len(), "{what}: plane {p} size");
        let sum: u64 = g
            .iter()
            .zip(w)
            .map(|(a, b)| u64::from(a.abs_diff(*b)))
            .sum();
        let mean = sum as f64 / g.len() as f64;
        assert!(
            mean < MEAN_STEPS,
            "{what}: plane {p} differs by {mean:.2} on average"
        );
    }
}

/// What a viewer sees against what was drawn: the mean absolute difference per channel stays under
/// 6 steps, and under 3 % of the samples differ by more than 64. Both are mostly 4:2:0's doing: the
/// test picture is dense with saturated lines 1.5 pixels wide, whose colour spreads over 2 × 2 pixels.
fn assert_close(got: &[[u8; 3]], want: &[[u8; 3]], width: usize, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: pixel count");
    let mut sum = [0u64; 3];
    let mut far = 0;
    let mut first_far = None;
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        for c in 0..3 {
            let d = g[c].abs_diff(w[c]);
            sum[c] += u64::from(d);
            if d > 64 {
                far += 1;
                first_far.get_or_insert((i % width, i / width, *g, *w));
            }
        }
    }
    let n = got.len() as f64;
    for (c, s) in sum.iter().enumerate() {
        let mean = *s as f64 / n;
        assert!(
            mean < 6.0,
            "{what}: channel {c} differs by {mean:.2} on average; first far pixel {first_far:?}"
        );
    }
    assert!(
        f64::from(far) < n * 3.0 * 0.01,
        "{what}: {far} samples off by more than 64 of {n}; the first (x, y, got, want): {first_far:?}"
    );
}

#[test]
fn the_video_decodes_to_the_rendered_frames_within_a_tolerance() {
    let (w, h) = (320, 180);
    let r = region(w, h);
    let all = strokes();
    let n = 20;
    let video = TimelapseVideo::new(&r, 10, &all, frames(n)).unwrap();
    assert_eq!((video.frames(), video.strokes()), (20, 24));
    let mut seen = Vec::new();
    let webm = video
        .encode(|done| {
            seen.push(done);
            true
        })
        .unwrap();
    assert_eq!(seen, (1..=20).collect::<Vec<u32>>());

    let info = read_webm(&webm).unwrap();
    assert_eq!(info.codec_id, "V_VP8");
    assert_eq!((info.width, info.height), (w, h));
    assert_eq!(info.duration, 2000.0, "20 frames at 10 fps in ms");
    assert_eq!(info.frames.len(), n);
    assert!(info.frames[0].key, "the first frame is a keyframe");
    assert!(
        info.frames.iter().skip(1).any(|f| !f.key),
        "later frames are predicted"
    );
    let mut decoder = Decoder::new();
    let mut pictures = Timelapse::new(&r, &all, frames(n)).unwrap();
    for (k, frame) in info.frames.iter().enumerate() {
        assert_eq!(frame.time, k as i64 * 100, "time of frame {k}");
        let decoded = decoder.decode(&frame.data).unwrap();
        assert_eq!((decoded.width, decoded.height), (w as usize, h as usize));
        assert_planes_close(
            &decoded,
            pictures.next_frame().unwrap(),
            &format!("frame {k}"),
        );
        let want = rendered_rgb(&r, &visible_after(k, &all));
        assert_close(
            &decoded_rgb(&decoded),
            &want,
            w as usize,
            &format!("frame {k}"),
        );
    }
}

#[test]
fn keyframes_come_every_two_seconds_and_start_clusters_with_cues() {
    let r = region(64, 36);
    let frames = vec![TimelapseFrame::default(); 25];
    let webm = TimelapseVideo::new(&r, 5, &[], frames)
        .unwrap()
        .encode(|_| true)
        .unwrap();
    let info = read_webm(&webm).unwrap();
    let keys: Vec<usize> = (0..25).filter(|&k| info.frames[k].key).collect();
    assert_eq!(keys, [0, 10, 20]);
    assert_eq!(info.cues.len(), 3);
    assert_eq!(
        info.cues.iter().map(|c| c.0).collect::<Vec<_>>(),
        [0, 2000, 4000]
    );
}

#[test]
fn a_false_from_progress_stops_the_encode() {
    let mut calls = 0;
    let result = TimelapseVideo::new(
        &region(64, 36),
        30,
        &[],
        vec![TimelapseFrame::default(); 50],
    )
    .unwrap()
    .encode(|done| {
        calls += 1;
        done < 3
    });
    assert_eq!(result.err(), Some(VideoError::Cancelled));
    assert_eq!(calls, 3);
}

#[test]
fn bad_sizes_rates_counts_and_frames_are_refused_with_a_reason() {
    let one = vec![TimelapseFrame::default()];
    let s = strokes();
    let make = |r: Region, rate: u32, frames: Vec<TimelapseFrame>| {
        TimelapseVideo::new(&r, rate, &s, frames).err().unwrap()
    };
    for (w, h) in [(15, 16), (17, 16), (1922, 16), (16, 1082), (0, 0), (64, 35)] {
        assert_eq!(
            make(region(w, h), 30, one.clone()),
            VideoError::Size {
                width: w,
                height: h
            }
        );
    }
    assert_eq!(
        make(region(64, 36), 0, one.clone()),
        VideoError::FrameRate(0)
    );
    assert_eq!(
        make(region(64, 36), 61, one.clone()),
        VideoError::FrameRate(61)
    );
    assert_eq!(make(region(64, 36), 30, vec![]), VideoError::Frames(0));
    assert_eq!(
        make(region(64, 36), 30, vec![TimelapseFrame::default(); 3601]),
        VideoError::Frames(3601)
    );
    let bad_index = vec![TimelapseFrame {
        show: vec![24],
        hide: vec![],
    }];
    let e = make(region(64, 36), 30, bad_index);
    assert_eq!(
        e.to_string(),
        "frame 0 names stroke 24 but there are 24 strokes"
    );
    let empty = Region {
        max_x: 0,
        ..region(64, 36)
    };
    assert!(matches!(
        make(empty, 30, one.clone()),
        VideoError::Render(RenderError::RegionBounds { .. })
    ));
    assert_eq!(
        make(region(1920, 1081), 30, one).to_string(),
        "video size 1920x1081 px must be even, 16..1920 wide and 16..1080 high"
    );
}

#[test]
fn too_many_points_in_all_are_refused_before_decoding() {
    let line = encode_stroke(
        Tool::Pen,
        0x000000ff,
        100,
        &vec![Point::new(0, 0); infidraw_render::MAX_POINTS],
        &[],
    )
    .unwrap();
    let count = TIMELAPSE_MAX_POINTS / infidraw_render::MAX_POINTS + 1;
    let strokes = vec![line; count];
    let e = TimelapseVideo::new(
        &region(64, 36),
        30,
        &strokes,
        vec![TimelapseFrame::default()],
    )
    .err()
    .unwrap();
    assert_eq!(e, VideoError::Points(count * infidraw_render::MAX_POINTS));
}
