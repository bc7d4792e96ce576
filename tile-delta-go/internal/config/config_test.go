package config

import (
	"strings"
	"testing"
	"time"
)

// Both ports are internal: gRPC authenticates nobody without internal TLS and HTTP serves metrics, so by
// default they listen on loopback only.
func TestDefaultListenAddressesAreLoopback(t *testing.T) {
	c, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.GRPCListen != "127.0.0.1:9092" || c.HTTPListen != "127.0.0.1:9192" {
		t.Errorf("default listen addresses gRPC %q and HTTP %q, want 127.0.0.1:9092 and 127.0.0.1:9192", c.GRPCListen, c.HTTPListen)
	}
	if c.InternalTLS.Enabled() {
		t.Error("internal TLS enabled without files")
	}
}

// TILE_DELTA_SNAPSHOT_URL_TTL is 0 (never presign) or within 10s..24h; a bad value stops the start and the
// error names the variable.
func TestSnapshotURLTTL(t *testing.T) {
	tests := []struct {
		value string
		want  time.Duration
		ok    bool
	}{
		{"", 0, true},
		{"0", 0, true},
		{"10s", 10 * time.Second, true},
		{"15m", 15 * time.Minute, true},
		{"24h", 24 * time.Hour, true},
		{"9s", 0, false},
		{"25h", 0, false},
		{"-1m", 0, false},
		{"soon", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			c, err := Load([]string{"TILE_DELTA_SNAPSHOT_URL_TTL=" + tt.value})
			if !tt.ok {
				if err == nil || !strings.Contains(err.Error(), "TILE_DELTA_SNAPSHOT_URL_TTL") {
					t.Fatalf("err = %v, want one naming TILE_DELTA_SNAPSHOT_URL_TTL", err)
				}
				return
			}
			if err != nil || c.SnapshotURLTTL != tt.want {
				t.Fatalf("SnapshotURLTTL = %s, err %v; want %s", c.SnapshotURLTTL, err, tt.want)
			}
		})
	}
}

// Checkpoints: at levels from 6 up, one per 2048 index entries by default; the level is one of the
// pyramid's, and a spacing of 0 keeps none. A bad value names its variable.
func TestCheckpoints(t *testing.T) {
	tests := []struct {
		env            []string
		level, spacing int
		bad            string
	}{
		{nil, 6, 2048, ""},
		{[]string{"TILE_DELTA_SNAPSHOT_CHECKPOINT_SPACING=0"}, 6, 0, ""},
		{[]string{"TILE_DELTA_SNAPSHOT_CHECKPOINT_LEVEL=0", "TILE_DELTA_SNAPSHOT_CHECKPOINT_SPACING=256"}, 0, 256, ""},
		{[]string{"TILE_DELTA_SNAPSHOT_CHECKPOINT_LEVEL=17"}, 0, 0, "TILE_DELTA_SNAPSHOT_CHECKPOINT_LEVEL"},
		{[]string{"TILE_DELTA_SNAPSHOT_CHECKPOINT_SPACING=-1"}, 0, 0, "TILE_DELTA_SNAPSHOT_CHECKPOINT_SPACING"},
		{[]string{"TILE_DELTA_SNAPSHOT_CHECKPOINT_SPACING=many"}, 0, 0, "TILE_DELTA_SNAPSHOT_CHECKPOINT_SPACING"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.env, " "), func(t *testing.T) {
			c, err := Load(tt.env)
			if tt.bad != "" {
				if err == nil || !strings.Contains(err.Error(), tt.bad) {
					t.Fatalf("err = %v, want one naming %s", err, tt.bad)
				}
				return
			}
			if err != nil || c.CheckpointLevel != tt.level || c.CheckpointSpacing != tt.spacing {
				t.Fatalf("level %d spacing %d, err %v; want %d, %d", c.CheckpointLevel, c.CheckpointSpacing, err, tt.level, tt.spacing)
			}
		})
	}
}
