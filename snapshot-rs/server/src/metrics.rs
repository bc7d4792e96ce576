//! Prometheus metrics of the renders.

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts,
    Registry, TextEncoder,
};

/// The server's metrics, in their own registry.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    /// Renders finished, by rpc.
    pub renders: IntCounterVec,
    /// Renders refused or failed, by rpc and gRPC code.
    pub errors: IntCounterVec,
    /// Render time (decode, raster, encode), by rpc.
    pub duration: HistogramVec,
    /// Strokes per rendered tile.
    pub strokes_per_tile: Histogram,
    /// Renders running now.
    pub in_flight: IntGauge,
    /// Size of the PNGs produced, by rpc.
    pub png_bytes: HistogramVec,
    /// Tile renders on a base PNG, by whether its pixels were in the base cache (hit) or decoded (miss).
    pub base_cache: IntCounterVec,
    /// Bytes held by the base cache.
    pub base_cache_bytes: IntGauge,
    /// Frames of the timelapse videos made.
    pub timelapse_frames: IntCounter,
    /// Time to make one timelapse video (draw, encode, mux; not sending).
    pub timelapse_seconds: Histogram,
}

impl Metrics {
    /// Creates and registers every metric.
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let renders = IntCounterVec::new(
            Opts::new("snapshot_renders_total", "Renders finished, by rpc."),
            &["rpc"],
        )
        .unwrap();
        let errors = IntCounterVec::new(
            Opts::new(
                "snapshot_render_errors_total",
                "Renders refused or failed, by rpc and gRPC code.",
            ),
            &["rpc", "code"],
        )
        .unwrap();
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "snapshot_render_duration_seconds",
                "Time to decode, rasterise and encode one tile, by rpc.",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["rpc"],
        )
        .unwrap();
        let strokes_per_tile = Histogram::with_opts(
            HistogramOpts::new("snapshot_strokes_per_tile", "Strokes sent per tile render.")
                .buckets(vec![
                    0.0, 1.0, 5.0, 10.0, 50.0, 100.0, 500.0, 1000.0, 5000.0, 10000.0,
                ]),
        )
        .unwrap();
        let in_flight =
            IntGauge::new("snapshot_renders_in_flight", "Renders running now.").unwrap();
        let png_bytes = HistogramVec::new(
            HistogramOpts::new("snapshot_png_bytes", "Size of the PNGs produced, by rpc.")
                .buckets(prometheus::exponential_buckets(256.0, 4.0, 10).unwrap()),
            &["rpc"],
        )
        .unwrap();
        let base_cache = IntCounterVec::new(
            Opts::new(
                "snapshot_base_cache_total",
                "Tile renders on a base PNG, by whether its pixels were kept from this process's last render of the tile (hit) or decoded (miss).",
            ),
            &["result"],
        )
        .unwrap();
        let base_cache_bytes = IntGauge::new(
            "snapshot_base_cache_bytes",
            "Bytes of decoded tiles and their PNGs held for incremental renders.",
        )
        .unwrap();
        let timelapse_frames = IntCounter::new(
            "snapshot_timelapse_frames_total",
            "Frames of the timelapse videos made.",
        )
        .unwrap();
        let timelapse_seconds = Histogram::with_opts(
            HistogramOpts::new(
                "snapshot_timelapse_seconds",
                "Time to draw, encode and mux one timelapse video.",
            )
            .buckets(vec![
                0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0,
            ]),
        )
        .unwrap();
        for c in [
            Box::new(renders.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(errors.clone()),
            Box::new(duration.clone()),
            Box::new(strokes_per_tile.clone()),
            Box::new(in_flight.clone()),
            Box::new(png_bytes.clone()),
            Box::new(base_cache.clone()),
            Box::new(base_cache_bytes.clone()),
            Box::new(timelapse_frames.clone()),
            Box::new(timelapse_seconds.clone()),
        ] {
            registry.register(c).unwrap();
        }
        Metrics {
            registry,
            renders,
            errors,
            duration,
            strokes_per_tile,
            in_flight,
            png_bytes,
            base_cache,
            base_cache_bytes,
            timelapse_frames,
            timelapse_seconds,
        }
    }

    /// The Prometheus text exposition of every metric.
    pub fn render_text(&self) -> String {
        let mut buf = Vec::new();
        // Encoding into a Vec cannot fail for well-formed metrics.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}
