package hub

import "github.com/prometheus/client_golang/prometheus"

// Metrics of the hub.
type Metrics struct {
	connections   prometheus.Gauge
	rooms         prometheus.Gauge
	eventsOut     prometheus.Counter
	framesOut     prometheus.Counter
	fanoutLatency prometheus.Histogram
	slowKicks     prometheus.Counter
	ephDropped    prometheus.Counter
	gapFills      prometheus.Counter
	busDropped    prometheus.Counter
}

// NewMetrics registers the hub's metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		connections: prometheus.NewGauge(prometheus.GaugeOpts{Name: "realtime_connections", Help: "Clients joined to rooms on this replica."}),
		rooms:       prometheus.NewGauge(prometheus.GaugeOpts{Name: "realtime_rooms", Help: "Rooms with clients on this replica."}),
		eventsOut:   prometheus.NewCounter(prometheus.CounterOpts{Name: "realtime_events_delivered_total", Help: "Committed events queued to clients."}),
		framesOut:   prometheus.NewCounter(prometheus.CounterOpts{Name: "realtime_frames_out_total", Help: "Frames queued to clients."}),
		fanoutLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "realtime_fanout_latency_seconds", Help: "From commit to the tick that queues the event to clients.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 12)}),
		slowKicks:  prometheus.NewCounter(prometheus.CounterOpts{Name: "realtime_slow_client_disconnects_total", Help: "Clients cut off for reading too slowly."}),
		ephDropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "realtime_ephemeral_dropped_total", Help: "Ephemeral parts of frames dropped for slow clients."}),
		gapFills:   prometheus.NewCounter(prometheus.CounterOpts{Name: "realtime_gap_fills_total", Help: "Gaps in a room stream filled from the database."}),
		busDropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "realtime_bus_dropped_total",
			Help: "Bus messages not published (queue full or broker failing); other replicas catch up from the database."}),
	}
	reg.MustRegister(m.connections, m.rooms, m.eventsOut, m.framesOut, m.fanoutLatency, m.slowKicks, m.ephDropped, m.gapFills, m.busDropped)
	return m
}
