// Package localtest helps tests and benchmarks that run real servers on this machine: free loopback
// ports and waiting for a server's readiness.
package localtest

import (
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// FreeAddr returns a loopback address whose port was free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// WaitHealthy polls http://addr/healthz until it answers 200: readiness is a condition to wait for,
// with a backoff, never a fixed delay.
func WaitHealthy(t testing.TB, addr string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	backoff := 5 * time.Millisecond
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(backoff)
		backoff = min(2*backoff, 200*time.Millisecond)
	}
	t.Fatalf("%s never became healthy", addr)
}

// Metrics returns the Prometheus text a server exposes at http://addr/metrics.
func Metrics(t testing.TB, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// PlanUsesIndex reports whether a node of an EXPLAIN (FORMAT JSON) plan, or any node below it, scans the
// named index.
func PlanUsesIndex(node map[string]any, index string) bool {
	if node["Index Name"] == index {
		return true
	}
	children, _ := node["Plans"].([]any)
	for _, c := range children {
		if m, ok := c.(map[string]any); ok && PlanUsesIndex(m, index) {
			return true
		}
	}
	return false
}
