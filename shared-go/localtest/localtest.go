// Package localtest helps tests and benchmarks that run real servers on this machine: free loopback
// ports, waiting for a server's readiness, and a throwaway CA for internal mutual TLS.
package localtest

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FreeAddr returns a loopback address whose port was free a moment ago (see Port).
func FreeAddr(t testing.TB) string {
	t.Helper()
	addr, err := Port()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// Port returns a loopback address with a port that was free a moment ago, chosen at random below the
// kernel's ephemeral range. A port the kernel hands out for ":0" lies inside that range, where any
// outgoing connection (to PostgreSQL, Redis, a WebSocket client) may take it as its source port
// before the server under test binds it; that raced in CI. Below the range, only another test
// choosing the same random port in the same instant can take it.
func Port() (string, error) {
	low := ephemeralLow()
	const floor = 10000
	for range 200 {
		port := floor + rand.IntN(low-floor)
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		addr := ln.Addr().String()
		ln.Close()
		return addr, nil
	}
	return "", fmt.Errorf("no free port in [%d, %d) after 200 tries", floor, low)
}

// ephemeralLow is the lowest port of the kernel's ephemeral range (Linux's default when unreadable).
func ephemeralLow() int {
	const linuxDefault = 32768
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return linuxDefault
	}
	fields := strings.Fields(string(b))
	if len(fields) != 2 {
		return linuxDefault
	}
	low, err := strconv.Atoi(fields[0])
	if err != nil || low <= 11000 {
		return linuxDefault
	}
	return low
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
