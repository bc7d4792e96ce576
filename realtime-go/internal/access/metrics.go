package access

import "github.com/prometheus/client_golang/prometheus"

// Metrics of the guard.
type Metrics struct {
	ended      *prometheus.CounterVec
	pollErrors prometheus.Counter
}

// NewMetrics registers the guard's metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		ended: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "realtime_access_ended_total",
			Help: "Live connections ended because their access changed (a scope was bumped) or expired."}, []string{"reason"}),
		pollErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "realtime_access_poll_errors_total",
			Help: "Polls of the access versions that failed (live connections go unchecked meanwhile)."}),
	}
	reg.MustRegister(m.ended, m.pollErrors)
	return m
}
