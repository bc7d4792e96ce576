//! Timelapse videos of infidraw: a region drawn frame by frame ([`infidraw_render::Timelapse`]),
//! encoded as VP8 by libvpx (linked statically, from Debian's libvpx-dev) and muxed into WebM by
//! [`WebmWriter`].
//!
//! VP8 in WebM plays in every browser and is royalty-free. The encoder runs at libvpx's realtime
//! deadline with a high speed setting: the pictures are drawings on a plain background, mostly the
//! same from one frame to the next, so the quantizer is capped to keep thin lines crisp rather than to
//! meet a bitrate. A keyframe every [`KEYFRAME_SECONDS`] lets players seek.
//!
//! ```
//! use infidraw_render::{encode_stroke, Point, Region, TimelapseFrame, Tool};
//! use infidraw_video::{read_webm, TimelapseVideo};
//!
//! let stroke = encode_stroke(
//!     Tool::Pen, 0x000000ff, 400, &[Point::new(1_000, 1_000), Point::new(9_000, 5_000)], &[],
//! )?;
//! let region = Region {
//!     min_x: 0, min_y: 0, max_x: 10_000, max_y: 10_000,
//!     width_px: 64, height_px: 64, background_rgba: 0,
//! };
//! let frames = vec![TimelapseFrame::default(), TimelapseFrame { show: vec![0], hide: vec![] }];
//! let video = TimelapseVideo::new(&region, 10, &[stroke], frames)?;
//! let webm = video.encode(|_done| true)?;
//! let info = read_webm(&webm)?;
//! assert_eq!(info.frames.len(), 2);
//! assert_eq!(info.duration, 200.0); // milliseconds
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

mod vpx;
mod webm;

use std::fmt;

pub use infidraw_render::limits::TIMELAPSE_MAX_POINTS;
use infidraw_render::{Region, RenderError, Stroke, Timelapse, TimelapseFrame};
pub use webm::{WebmFrame, WebmInfo, WebmReadError, WebmWriter, read_webm};

use crate::vpx::{Encoder, EncoderSettings, Packet};

/// The MIME type of the videos.
pub const CONTENT_TYPE: &str = "video/webm";
/// The smallest width and height in pixels.
pub const MIN_SIDE_PX: u32 = 16;
/// The largest width in pixels.
pub const MAX_WIDTH_PX: u32 = 1920;
/// The largest height in pixels.
pub const MAX_HEIGHT_PX: u32 = 1080;
/// The highest frame rate.
pub const MAX_FRAME_RATE: u32 = 60;
/// The most frames of one video.
pub const MAX_FRAMES: usize = 3600;
/// Seconds between keyframes at most.
pub const KEYFRAME_SECONDS: u32 = 2;
/// The least target bitrate (kbit/s), for small or slow videos.
const MIN_BITRATE_KBPS: u32 = 200;
/// Encoder threads. One: libvpx's VP8 threads wait for each other by spinning, and on a busy
/// machine (2 cores, load 6) two threads made 12–21 frames/s of the benchmark where one made 95–117.
/// Concurrent videos use the other cores instead.
const THREADS: u32 = 1;
/// libvpx's VP8 speed (realtime 0–16): 12 made 117 frames/s of the benchmark, 10 95 and 16 157, with
/// the same loss on the test pictures at 10 and 12.
const SPEED: i32 = 12;
/// The coarsest quantizer (of 63) a frame may use. At 12 the codec's mean loss on the test pictures
/// is half that at 32 (under one step per plane), thin coloured lines stay crisp, and the benchmark's
/// video is no larger (2.3 MB for 10 s of 720p): most frames change little.
const MAX_QUANTIZER: u32 = 12;
/// Target bits per pixel per frame; drawings seldom need them, but a keyframe of a busy picture may.
const BITS_PER_PIXEL: f64 = 0.08;

/// Why a timelapse video could not be made.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VideoError {
    /// The width or height is odd or outside [`MIN_SIDE_PX`]..[`MAX_WIDTH_PX`] ×
    /// [`MIN_SIDE_PX`]..[`MAX_HEIGHT_PX`].
    Size {
        /// Requested width.
        width: u32,
        /// Requested height.
        height: u32,
    },
    /// The frame rate is outside 1..=[`MAX_FRAME_RATE`].
    FrameRate(u32),
    /// The frame count is outside 1..=[`MAX_FRAMES`].
    Frames(usize),
    /// The strokes hold more than [`TIMELAPSE_MAX_POINTS`] points in all.
    Points(usize),
    /// The region, a stroke or a frame is invalid (see [`RenderError`]).
    Render(RenderError),
    /// libvpx failed.
    Encoder(String),
    /// The progress callback asked to stop.
    Cancelled,
}

impl fmt::Display for VideoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VideoError::Size { width, height } => write!(
                f,
                "video size {width}x{height} px must be even, {MIN_SIDE_PX}..{MAX_WIDTH_PX} wide and {MIN_SIDE_PX}..{MAX_HEIGHT_PX} high"
            ),
            VideoError::FrameRate(r) => {
                write!(f, "frame rate {r} is outside 1..{MAX_FRAME_RATE}")
            }
            VideoError::Frames(n) => write!(f, "{n} frames; a video has 1..{MAX_FRAMES}"),
            VideoError::Points(n) => write!(
                f,
                "the strokes hold {n} points; a timelapse takes at most {TIMELAPSE_MAX_POINTS}"
            ),
            VideoError::Render(e) => e.fmt(f),
            VideoError::Encoder(e) => write!(f, "VP8 encoder: {e}"),
            VideoError::Cancelled => write!(f, "cancelled"),
        }
    }
}

impl std::error::Error for VideoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            VideoError::Render(e) => Some(e),
            _ => None,
        }
    }
}

impl From<RenderError> for VideoError {
    fn from(e: RenderError) -> VideoError {
        VideoError::Render(e)
    }
}

/// A validated timelapse, ready to encode.
pub struct TimelapseVideo {
    timelapse: Timelapse,
    width: u32,
    height: u32,
    frame_rate: u32,
}

impl TimelapseVideo {
    /// Validates the video's size and frame rate, the frame count, the points in all, then the region,
    /// every stroke and every frame's indices (see [`Timelapse::new`]).
    pub fn new(
        region: &Region,
        frame_rate: u32,
        strokes: &[Stroke],
        frames: Vec<TimelapseFrame>,
    ) -> Result<TimelapseVideo, VideoError> {
        let (width, height) = (region.width_px, region.height_px);
        let side_ok = |v: u32, max: u32| (MIN_SIDE_PX..=max).contains(&v) && v.is_multiple_of(2);
        if !side_ok(width, MAX_WIDTH_PX) || !side_ok(height, MAX_HEIGHT_PX) {
            return Err(VideoError::Size { width, height });
        }
        if !(1..=MAX_FRAME_RATE).contains(&frame_rate) {
            return Err(VideoError::FrameRate(frame_rate));
        }
        if !(1..=MAX_FRAMES).contains(&frames.len()) {
            return Err(VideoError::Frames(frames.len()));
        }
        let points: usize = strokes.iter().map(|s| s.points.len() / 2).sum();
        if points > TIMELAPSE_MAX_POINTS {
            return Err(VideoError::Points(points));
        }
        Ok(TimelapseVideo {
            timelapse: Timelapse::new(region, strokes, frames)?,
            width,
            height,
            frame_rate,
        })
    }

    /// How many frames the video has.
    pub fn frames(&self) -> u32 {
        self.timelapse.frames() as u32
    }

    /// How many strokes may be drawn.
    pub fn strokes(&self) -> u32 {
        self.timelapse.strokes() as u32
    }

    /// Draws and encodes every frame and returns the WebM file. `progress` is called with the number
    /// of frames done after each frame; returning `false` stops with [`VideoError::Cancelled`].
    pub fn encode(mut self, mut progress: impl FnMut(u32) -> bool) -> Result<Vec<u8>, VideoError> {
        let pixels = f64::from(self.width) * f64::from(self.height);
        let settings = EncoderSettings {
            width: self.width,
            height: self.height,
            frame_rate: self.frame_rate,
            bitrate_kbps: ((pixels * f64::from(self.frame_rate) * BITS_PER_PIXEL / 1000.0) as u32)
                .max(MIN_BITRATE_KBPS),
            max_quantizer: MAX_QUANTIZER,
            keyframe_interval: KEYFRAME_SECONDS * self.frame_rate,
            threads: THREADS,
            speed: SPEED,
        };
        let mut encoder = Encoder::new(&settings).map_err(VideoError::Encoder)?;
        let mut webm = WebmWriter::new(self.width, self.height, self.frame_rate);
        let total = self.frames();
        let mut packets = Vec::new();
        let mut written = 0i64;
        let mut put = |packets: &mut Vec<Packet>| -> Result<(), VideoError> {
            for p in packets.drain(..) {
                // Frames come out one per picture, in order; the muxer times them by their count.
                if p.frame != written {
                    return Err(VideoError::Encoder(format!(
                        "frame {} came out where frame {written} was due",
                        p.frame
                    )));
                }
                webm.push(&p.data, p.key);
                written += 1;
            }
            Ok(())
        };
        let mut k = 0;
        while let Some(picture) = self.timelapse.next_frame() {
            encoder
                .encode(picture, i64::from(k), k == 0, &mut packets)
                .map_err(VideoError::Encoder)?;
            put(&mut packets)?;
            k += 1;
            if !progress(k) {
                return Err(VideoError::Cancelled);
            }
        }
        encoder.finish(&mut packets).map_err(VideoError::Encoder)?;
        put(&mut packets)?;
        if written != i64::from(total) {
            return Err(VideoError::Encoder(format!(
                "{written} of {total} frames came out"
            )));
        }
        Ok(webm.finish())
    }
}

#[cfg(test)]
mod tests;
