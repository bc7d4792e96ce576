package soak

import "testing"

func TestIsError(t *testing.T) {
	tests := []struct {
		service, line string
		want          bool
	}{
		{"realtime-0", `{"time":"2026-12-06T03:00:00Z","level":"ERROR","msg":"commit failed"}`, true},
		{"realtime-0", `{"time":"2026-12-06T03:00:00Z","level":"WARN","msg":"subscribe failed"}`, false},
		{"gateway", `{"level":"error","service":"gateway-ts","msg":"request errored"}`, true},
		{"gateway", `{"level":"fatal","service":"gateway-ts","msg":"exiting"}`, true},
		{"gateway", `{"level":"warn","service":"gateway-ts","msg":"HTTP 404"}`, false},
		{"snapshot-rs", `{"timestamp":"…","level":"ERROR","fields":{"message":"render failed"}}`, true},
		{"snapshot-rs", `thread 'tokio-runtime-worker' panicked at render/src/lib.rs:10:5:`, true},
		{"tile-delta-0", `panic: runtime error: index out of range [3] with length 3`, true},
		{"tile-delta-0", `{"level":"INFO","msg":"an error of the client, logged at info"}`, false},
		{"postgres", `2026-12-06 03:00:00.000 UTC [123] ERROR:  duplicate key value violates unique constraint`, true},
		{"postgres", `2026-12-06 03:00:00.000 UTC [123] FATAL:  terminating connection due to administrator command`, true},
		{"postgres", `2026-12-06 03:00:00.000 UTC [123] LOG:  checkpoint starting: time`, false},
		{"redis", `4242:M 06 Dec 2026 03:00:00.000 # WARNING Memory overcommit must be enabled!`, true},
		{"redis", `4242:M 06 Dec 2026 03:00:00.000 * Ready to accept connections tcp`, false},
	}
	for _, tt := range tests {
		t.Run(tt.service+": "+tt.line, func(t *testing.T) {
			if got := isError(tt.service, []byte(tt.line)); got != tt.want {
				t.Fatalf("isError(%s, %q) = %v, want %v", tt.service, tt.line, got, tt.want)
			}
		})
	}
}
