package service

import "testing"

// A dial target is host:port or the gRPC form dns:///host:port that the Helm chart gives; anything else
// is refused at start.
func TestTarget(t *testing.T) {
	for _, tc := range []struct {
		value string
		ok    bool
	}{
		{"127.0.0.1:9093", true},
		{"dns:///infidraw-snapshot-headless:9093", true},
		{"[::1]:9093", true},
		{"dns:///infidraw-snapshot-headless", false},
		{"unix:///tmp/s.sock", false},
		{"infidraw-snapshot:99999", false},
	} {
		e := NewEnv([]string{"SNAPSHOT_TARGET=" + tc.value})
		got := e.Target("SNAPSHOT_TARGET", "127.0.0.1:9093")
		if err := e.Err(); (err == nil) != tc.ok {
			t.Errorf("%q: error %v, want ok=%v", tc.value, err, tc.ok)
		}
		if got != tc.value {
			t.Errorf("%q: returned %q", tc.value, got)
		}
	}
}
