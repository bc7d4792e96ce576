//! The `RenderService` implementation: wire types in, library call on a blocking thread, wire types
//! out. Renders never run on the async executor threads; a semaphore bounds them to the cores.

use std::sync::Arc;
use std::time::Instant;

use infidraw_render::{
    BaseCache, Region, RenderError, TileCoord, render_region, render_tile_cached,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};
use tracing::{debug, warn};

use crate::metrics::Metrics;
use crate::proto::render::v1::render_service_server::RenderService;
use crate::proto::render::v1::{
    RenderRegionRequest, RenderRegionResponse, RenderTileRequest, RenderTileResponse,
    RenderTilesRequest, RenderTilesResponse,
};
use crate::proto::stroke::v1 as stroke_pb;

const RENDER_TILE: &str = "RenderTile";
const RENDER_TILES: &str = "RenderTiles";
const RENDER_REGION: &str = "RenderRegion";

/// Runs renders on the blocking thread pool, at most one per permit.
#[derive(Clone)]
pub struct Renderer {
    permits: Arc<Semaphore>,
    metrics: Metrics,
    base_cache: Arc<BaseCache>,
}

/// What a finished render reports to the metrics.
struct Outcome<T> {
    value: T,
    strokes: usize,
    png_bytes: usize,
}

impl Renderer {
    /// A renderer running up to `parallelism` renders at once, keeping up to `base_cache_bytes` of
    /// decoded tiles for their next incremental render.
    pub fn new(parallelism: usize, metrics: Metrics, base_cache_bytes: usize) -> Renderer {
        Renderer {
            permits: Arc::new(Semaphore::new(parallelism.max(1))),
            metrics,
            base_cache: Arc::new(BaseCache::new(base_cache_bytes)),
        }
    }

    /// Waits for a free render slot.
    async fn slot(&self) -> Result<OwnedSemaphorePermit, Status> {
        self.permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Status::unavailable("the server is shutting down"))
    }

    /// Runs `job` on a blocking thread holding `slot`, and records its metrics under `rpc`.
    async fn run<T: Send + 'static>(
        &self,
        rpc: &'static str,
        slot: OwnedSemaphorePermit,
        job: impl FnOnce() -> Result<Outcome<T>, Status> + Send + 'static,
    ) -> Result<T, Status> {
        let in_flight = self.metrics.in_flight.clone();
        let start = Instant::now();
        let joined = tokio::task::spawn_blocking(move || {
            // Counted while the job runs, even if the caller stops waiting.
            in_flight.inc();
            let result = job();
            in_flight.dec();
            drop(slot);
            result
        })
        .await;
        let elapsed = start.elapsed();
        let result =
            joined.unwrap_or_else(|e| Err(Status::internal(format!("render task failed: {e}"))));
        match &result {
            Ok(o) => {
                self.metrics.renders.with_label_values(&[rpc]).inc();
                self.metrics
                    .duration
                    .with_label_values(&[rpc])
                    .observe(elapsed.as_secs_f64());
                self.metrics
                    .png_bytes
                    .with_label_values(&[rpc])
                    .observe(o.png_bytes as f64);
                debug!(
                    rpc,
                    strokes = o.strokes,
                    png_bytes = o.png_bytes,
                    micros = elapsed.as_micros() as u64,
                    "rendered"
                );
            }
            Err(status) => self.record_error(rpc, status),
        }
        result.map(|o| o.value)
    }

    fn record_error(&self, rpc: &'static str, status: &Status) {
        let code = format!("{:?}", status.code());
        self.metrics.errors.with_label_values(&[rpc, &code]).inc();
        warn!(rpc, code, reason = status.message(), "render refused");
    }
}

/// The gRPC service.
#[derive(Clone)]
pub struct RenderSvc {
    renderer: Renderer,
    /// Bound of responses waiting to be sent per RenderTiles stream.
    stream_buffer: usize,
}

impl RenderSvc {
    /// A service rendering through `renderer`.
    pub fn new(renderer: Renderer, parallelism: usize) -> RenderSvc {
        RenderSvc {
            renderer,
            stream_buffer: 2 * parallelism.max(1),
        }
    }
}

fn to_status(e: RenderError) -> Status {
    match e {
        RenderError::Encode(_) => Status::internal(e.to_string()),
        _ => Status::invalid_argument(e.to_string()),
    }
}

fn to_strokes(strokes: Vec<stroke_pb::Stroke>) -> Vec<infidraw_render::Stroke> {
    strokes
        .into_iter()
        .map(|s| infidraw_render::Stroke {
            tool: s.tool,
            rgba: s.rgba,
            width: s.width,
            quantum: s.quantum,
            points: s.points,
            pressures: s.pressures,
        })
        .collect()
}

/// Renders one tile request (on a blocking thread).
fn tile_job(
    req: RenderTileRequest,
    metrics: &Metrics,
    base_cache: &BaseCache,
) -> Result<Outcome<RenderTileResponse>, Status> {
    let coord = req
        .coord
        .ok_or_else(|| Status::invalid_argument("coord is required"))?;
    let size_px = if req.size_px == 0 {
        infidraw_render::TILE_PX
    } else {
        req.size_px
    };
    let start = Instant::now();
    let strokes = to_strokes(req.strokes);
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
    let png_bytes = rendered.png.len();
    Ok(Outcome {
        value: RenderTileResponse {
            png: rendered.png.into(),
            strokes_drawn: rendered.strokes_drawn,
            render_micros: start.elapsed().as_micros() as u64,
        },
        strokes: strokes.len(),
        png_bytes,
    })
}

#[tonic::async_trait]
impl RenderService for RenderSvc {
    async fn render_tile(
        &self,
        request: Request<RenderTileRequest>,
    ) -> Result<Response<RenderTileResponse>, Status> {
        let req = request.into_inner();
        let slot = self.renderer.slot().await?;
        let (metrics, cache) = (
            self.renderer.metrics.clone(),
            self.renderer.base_cache.clone(),
        );
        let resp = self
            .renderer
            .run(RENDER_TILE, slot, move || tile_job(req, &metrics, &cache))
            .await?;
        Ok(Response::new(resp))
    }

    type RenderTilesStream = ReceiverStream<Result<RenderTilesResponse, Status>>;

    async fn render_tiles(
        &self,
        request: Request<Streaming<RenderTilesRequest>>,
    ) -> Result<Response<Self::RenderTilesStream>, Status> {
        let mut input = request.into_inner();
        let (tx, rx) = mpsc::channel(self.stream_buffer);
        let renderer = self.renderer.clone();
        tokio::spawn(async move {
            loop {
                let msg = match input.message().await {
                    Ok(Some(m)) => m,
                    Ok(None) => break,
                    Err(status) => {
                        renderer.record_error(RENDER_TILES, &status);
                        let _ = tx.send(Err(status)).await;
                        break;
                    }
                };
                // Read the next request only once a render slot is free: a fast client cannot
                // queue unbounded work.
                let slot = match renderer.slot().await {
                    Ok(s) => s,
                    Err(status) => {
                        let _ = tx.send(Err(status)).await;
                        break;
                    }
                };
                if tx.is_closed() {
                    break;
                }
                let (renderer, tx) = (renderer.clone(), tx.clone());
                tokio::spawn(async move {
                    let tag = msg.tag;
                    let response = match msg.tile {
                        None => {
                            let status = Status::invalid_argument("tile is required");
                            renderer.record_error(RENDER_TILES, &status);
                            Err(status)
                        }
                        Some(tile) => {
                            let (metrics, cache) =
                                (renderer.metrics.clone(), renderer.base_cache.clone());
                            renderer
                                .run(RENDER_TILES, slot, move || tile_job(tile, &metrics, &cache))
                                .await
                        }
                    };
                    let response = match response {
                        Ok(tile) => RenderTilesResponse {
                            tag,
                            tile: Some(tile),
                            error: String::new(),
                        },
                        Err(status) => RenderTilesResponse {
                            tag,
                            tile: None,
                            error: status.message().to_string(),
                        },
                    };
                    let _ = tx.send(Ok(response)).await;
                });
            }
        });
        Ok(Response::new(ReceiverStream::new(rx)))
    }

    async fn render_region(
        &self,
        request: Request<RenderRegionRequest>,
    ) -> Result<Response<RenderRegionResponse>, Status> {
        let req = request.into_inner();
        let slot = self.renderer.slot().await?;
        let png = self
            .renderer
            .run(RENDER_REGION, slot, move || {
                let region = Region {
                    min_x: req.min_x,
                    min_y: req.min_y,
                    max_x: req.max_x,
                    max_y: req.max_y,
                    width_px: req.width_px,
                    height_px: req.height_px,
                    background_rgba: req.background_rgba,
                };
                let strokes = to_strokes(req.strokes);
                let png = render_region(&region, &strokes).map_err(to_status)?;
                Ok(Outcome {
                    png_bytes: png.len(),
                    strokes: strokes.len(),
                    value: png,
                })
            })
            .await?;
        Ok(Response::new(RenderRegionResponse { png: png.into() }))
    }
}
