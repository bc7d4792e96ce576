//! `RenderTimelapse`: the request mapped to an [`infidraw_video::TimelapseVideo`], encoded on a
//! blocking thread holding a render slot and a video slot, and streamed back as the header, progress
//! and the file in parts.

use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use infidraw_render::{Region, TimelapseFrame};
use infidraw_video::{CONTENT_TYPE, TimelapseVideo, VideoError};
use prost::bytes::Bytes;
use tokio::sync::{Semaphore, mpsc};
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;
use tracing::{debug, warn};

use crate::metrics::Metrics;
use crate::proto::render::v1::render_timelapse_response::Part;
use crate::proto::render::v1::{RenderTimelapseRequest, RenderTimelapseResponse};
use crate::proto::tile::v1::{TimelapseHeader, TimelapseProgress};

/// The `rpc` label of the metrics.
const RENDER_TIMELAPSE: &str = "RenderTimelapse";
/// The most bytes of one video part.
pub const VIDEO_PART_BYTES: usize = 1 << 20;
/// A progress message goes out when this share of the frames is done since the last one...
const PROGRESS_SHARE: u32 = 20;
/// ...or when this long has passed (and a frame was done).
const PROGRESS_INTERVAL: Duration = Duration::from_millis(250);
/// Messages waiting for the client; the encoder waits when they are not read.
const QUEUE: usize = 8;

/// The response stream.
pub type TimelapseStream =
    Pin<Box<dyn Stream<Item = Result<RenderTimelapseResponse, Status>> + Send + 'static>>;

/// Waits for a render slot and a video slot, then encodes on a blocking thread. Returns the stream
/// once the request is validated (an invalid one is refused with INVALID_ARGUMENT before any part is
/// sent): the header, progress, then the video in parts. Dropping the stream (the client cancelled)
/// stops the encode at its next frame.
pub async fn render_timelapse(
    req: RenderTimelapseRequest,
    render_slots: &Arc<Semaphore>,
    video_slots: &Arc<Semaphore>,
    metrics: &Metrics,
) -> Result<TimelapseStream, Status> {
    let closed = || Status::unavailable("the server is shutting down");
    // The video slot first, so that no render slot is held while waiting for it.
    let video_slot = video_slots
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| closed())?;
    let render_slot = render_slots
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| closed())?;
    let (tx, mut rx) = mpsc::channel(QUEUE);
    let metrics = metrics.clone();
    tokio::task::spawn_blocking(move || {
        metrics.in_flight.inc();
        let start = Instant::now();
        let result = encode(req, &tx);
        metrics.in_flight.dec();
        drop((render_slot, video_slot));
        let elapsed = start.elapsed();
        match result {
            Ok(frames) => {
                metrics.renders.with_label_values(&[RENDER_TIMELAPSE]).inc();
                metrics.timelapse_frames.inc_by(u64::from(frames));
                metrics.timelapse_seconds.observe(elapsed.as_secs_f64());
                debug!(frames, micros = elapsed.as_micros() as u64, "timelapse");
            }
            Err(status) => {
                let code = format!("{:?}", status.code());
                metrics
                    .errors
                    .with_label_values(&[RENDER_TIMELAPSE, &code])
                    .inc();
                warn!(
                    code,
                    reason = status.message(),
                    "timelapse refused or stopped"
                );
                // Nobody reads it when the client went away.
                let _ = tx.blocking_send(Err(status));
            }
        }
    });
    match rx.recv().await {
        Some(Ok(header)) => {
            let rest = ReceiverStream::new(rx);
            Ok(Box::pin(tokio_stream::StreamExt::chain(
                tokio_stream::once(Ok(header)),
                rest,
            )))
        }
        Some(Err(status)) => Err(status),
        None => Err(Status::internal("the timelapse task ended without a word")),
    }
}

/// Validates, encodes and sends every part; returns the frame count. A closed channel (the client
/// went away) stops it with CANCELLED.
fn encode(
    req: RenderTimelapseRequest,
    tx: &mpsc::Sender<Result<RenderTimelapseResponse, Status>>,
) -> Result<u32, Status> {
    let gone = || Status::cancelled("the client went away");
    let send = |part: Part| {
        tx.blocking_send(Ok(RenderTimelapseResponse { part: Some(part) }))
            .map_err(|_| gone())
    };
    let viewport = req
        .region
        .ok_or_else(|| Status::invalid_argument("region is required"))?;
    let region = Region {
        min_x: viewport.min_x,
        min_y: viewport.min_y,
        max_x: viewport.max_x,
        max_y: viewport.max_y,
        width_px: req.width_px,
        height_px: req.height_px,
        background_rgba: req.background_rgba,
    };
    let strokes: Vec<infidraw_render::Stroke> = req.strokes.into_iter().map(Into::into).collect();
    let frames = req
        .frames
        .into_iter()
        .map(|f| TimelapseFrame {
            show: f.show,
            hide: f.hide,
        })
        .collect();
    let video =
        TimelapseVideo::new(&region, req.frame_rate, &strokes, frames).map_err(to_status)?;
    drop(strokes);
    let total = video.frames();
    send(Part::Header(TimelapseHeader {
        content_type: CONTENT_TYPE.into(),
        frames: total,
        frame_rate: req.frame_rate,
        width_px: req.width_px,
        height_px: req.height_px,
        from_seq: req.from_seq,
        to_seq: req.to_seq,
        strokes: video.strokes(),
    }))?;
    let (mut sent_frames, mut sent_at) = (0, Instant::now());
    let webm = video
        .encode(|done| {
            let due = (done - sent_frames) * PROGRESS_SHARE >= total
                || sent_at.elapsed() >= PROGRESS_INTERVAL
                || done == total;
            if !due {
                return !tx.is_closed();
            }
            (sent_frames, sent_at) = (done, Instant::now());
            send(Part::Progress(TimelapseProgress {
                frames_done: done,
                frames: total,
            }))
            .is_ok()
        })
        .map_err(|e| match e {
            VideoError::Cancelled => gone(),
            e => to_status(e),
        })?;
    let webm = Bytes::from(webm);
    for start in (0..webm.len()).step_by(VIDEO_PART_BYTES) {
        let end = (start + VIDEO_PART_BYTES).min(webm.len());
        send(Part::Video(webm.slice(start..end)))?;
    }
    Ok(total)
}

fn to_status(e: VideoError) -> Status {
    match e {
        VideoError::Encoder(_) | VideoError::Render(infidraw_render::RenderError::Encode(_)) => {
            Status::internal(e.to_string())
        }
        VideoError::Cancelled => Status::cancelled(e.to_string()),
        _ => Status::invalid_argument(e.to_string()),
    }
}
