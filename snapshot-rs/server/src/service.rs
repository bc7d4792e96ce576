//! The `RenderService` implementation: wire types in, library call on a blocking thread, wire types
//! out. Renders never run on the async executor threads; a semaphore bounds them to the cores, and a
//! second one keeps timelapse videos (long) to half of them (at least one), so that with two cores or
//! more tiles always find a slot.

use std::sync::Arc;
use std::time::Instant;

use infidraw_render::{BaseCache, RenderError, TileCoord, render_tile_cached};
use tokio::sync::Semaphore;
use tonic::{Request, Response, Status};
use tracing::{debug, warn};

use crate::metrics::Metrics;
use crate::proto::render::v1::render_service_server::RenderService;
use crate::proto::render::v1::{RenderTileRequest, RenderTileResponse, RenderTimelapseRequest};
use crate::timelapse::{TimelapseStream, render_timelapse};

/// The `rpc` label of the tile render metrics.
const RENDER_TILE: &str = "RenderTile";

/// Runs renders on the blocking thread pool, at most one per permit.
#[derive(Clone)]
pub struct Renderer {
    permits: Arc<Semaphore>,
    video_permits: Arc<Semaphore>,
    metrics: Metrics,
    base_cache: Arc<BaseCache>,
}

impl Renderer {
    /// A renderer running up to `parallelism` renders at once (of which up to half, at least one,
    /// timelapse videos), keeping up to `base_cache_bytes` of decoded tiles for their next
    /// incremental render.
    pub fn new(parallelism: usize, metrics: Metrics, base_cache_bytes: usize) -> Renderer {
        Renderer {
            permits: Arc::new(Semaphore::new(parallelism.max(1))),
            video_permits: Arc::new(Semaphore::new((parallelism / 2).max(1))),
            metrics,
            base_cache: Arc::new(BaseCache::new(base_cache_bytes)),
        }
    }

    /// Waits for a free render slot, renders the tile on a blocking thread holding it, and records
    /// the render's metrics.
    async fn render(&self, req: RenderTileRequest) -> Result<RenderTileResponse, Status> {
        let slot = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Status::unavailable("the server is shutting down"))?;
        let (metrics, cache) = (self.metrics.clone(), self.base_cache.clone());
        let start = Instant::now();
        let joined = tokio::task::spawn_blocking(move || {
            // Counted while the job runs, even if the caller stops waiting.
            metrics.in_flight.inc();
            let result = render_tile(req, &metrics, &cache);
            metrics.in_flight.dec();
            drop(slot);
            result
        })
        .await;
        let elapsed = start.elapsed();
        let result =
            joined.unwrap_or_else(|e| Err(Status::internal(format!("render task failed: {e}"))));
        let m = &self.metrics;
        match &result {
            Ok(resp) => {
                m.renders.with_label_values(&[RENDER_TILE]).inc();
                m.duration
                    .with_label_values(&[RENDER_TILE])
                    .observe(elapsed.as_secs_f64());
                m.png_bytes
                    .with_label_values(&[RENDER_TILE])
                    .observe(resp.png.len() as f64);
                debug!(
                    strokes_drawn = resp.strokes_drawn,
                    png_bytes = resp.png.len(),
                    micros = elapsed.as_micros() as u64,
                    "rendered"
                );
            }
            Err(status) => {
                let code = format!("{:?}", status.code());
                m.errors.with_label_values(&[RENDER_TILE, &code]).inc();
                warn!(code, reason = status.message(), "render refused");
            }
        }
        result
    }
}

/// The gRPC service.
#[derive(Clone)]
pub struct RenderSvc {
    renderer: Renderer,
}

impl RenderSvc {
    /// A service rendering through `renderer`.
    pub fn new(renderer: Renderer) -> RenderSvc {
        RenderSvc { renderer }
    }
}

fn to_status(e: RenderError) -> Status {
    match e {
        RenderError::Encode(_) => Status::internal(e.to_string()),
        _ => Status::invalid_argument(e.to_string()),
    }
}

/// Renders one tile request (on a blocking thread).
fn render_tile(
    req: RenderTileRequest,
    metrics: &Metrics,
    base_cache: &BaseCache,
) -> Result<RenderTileResponse, Status> {
    let coord = req
        .coord
        .ok_or_else(|| Status::invalid_argument("coord is required"))?;
    let size_px = if req.size_px == 0 {
        infidraw_render::TILE_PX
    } else {
        req.size_px
    };
    let start = Instant::now();
    let strokes: Vec<infidraw_render::Stroke> = req.strokes.into_iter().map(Into::into).collect();
    metrics.strokes_per_tile.observe(strokes.len() as f64);
    let rendered = render_tile_cached(
        TileCoord::new(coord.level, coord.x, coord.y),
        size_px,
        Some(&req.base_png),
        &strokes,
        base_cache,
    )
    .map_err(to_status)?;
    if !req.base_png.is_empty() {
        let result = if rendered.base_from_cache {
            "hit"
        } else {
            "miss"
        };
        metrics.base_cache.with_label_values(&[result]).inc();
    }
    metrics.base_cache_bytes.set(base_cache.bytes() as i64);
    Ok(RenderTileResponse {
        png: rendered.png.into(),
        strokes_drawn: rendered.strokes_drawn,
        render_micros: start.elapsed().as_micros() as u64,
    })
}

#[tonic::async_trait]
impl RenderService for RenderSvc {
    type RenderTimelapseStream = TimelapseStream;

    async fn render_timelapse(
        &self,
        request: Request<RenderTimelapseRequest>,
    ) -> Result<Response<TimelapseStream>, Status> {
        let r = &self.renderer;
        let stream = render_timelapse(
            request.into_inner(),
            &r.permits,
            &r.video_permits,
            &r.metrics,
        )
        .await?;
        Ok(Response::new(stream))
    }

    async fn render_tile(
        &self,
        request: Request<RenderTileRequest>,
    ) -> Result<Response<RenderTileResponse>, Status> {
        Ok(Response::new(
            self.renderer.render(request.into_inner()).await?,
        ))
    }
}
