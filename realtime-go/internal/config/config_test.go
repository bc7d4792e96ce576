package config

import (
	"strings"
	"testing"
	"time"
)

func TestAccessPoll(t *testing.T) {
	tests := []struct {
		env     string
		want    time.Duration
		wantErr bool
	}{
		{"", 500 * time.Millisecond, false},
		{"REALTIME_ACCESS_POLL=100ms", 100 * time.Millisecond, false},
		{"REALTIME_ACCESS_POLL=2s", 2 * time.Second, false},
		{"REALTIME_ACCESS_POLL=3s", 0, true}, // revocation must reach live connections within 2 s
		{"REALTIME_ACCESS_POLL=1ms", 0, true},
		{"REALTIME_ACCESS_POLL=soon", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			c, err := Load([]string{tt.env})
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "REALTIME_ACCESS_POLL") {
					t.Fatalf("err = %v, want one naming REALTIME_ACCESS_POLL", err)
				}
				return
			}
			if err != nil || c.AccessPoll != tt.want {
				t.Fatalf("AccessPoll = %s, err %v; want %s", c.AccessPoll, err, tt.want)
			}
		})
	}
}

// gRPC authenticates nobody without internal TLS, so by default it listens on loopback only; /ws is public.
func TestDefaultListenAddresses(t *testing.T) {
	c, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.GRPCListen != "127.0.0.1:9091" {
		t.Errorf("default gRPC listen %q, want 127.0.0.1:9091", c.GRPCListen)
	}
	if c.HTTPListen != ":8081" {
		t.Errorf("default HTTP listen %q, want :8081 (browsers reach /ws)", c.HTTPListen)
	}
	if c.InternalTLS.Enabled() {
		t.Error("internal TLS enabled without files")
	}
}

func TestInternalTLSNeedsAllThreeFiles(t *testing.T) {
	for _, env := range [][]string{
		{"INTERNAL_TLS_CERT_FILE=/c"},
		{"INTERNAL_TLS_CERT_FILE=/c", "INTERNAL_TLS_KEY_FILE=/k"},
		{"INTERNAL_TLS_CA_FILE=/ca"},
		{"INTERNAL_TLS_ALLOWED_CLIENTS=gateway"},
	} {
		if _, err := Load(env); err == nil || !strings.Contains(err.Error(), "INTERNAL_TLS_") {
			t.Errorf("%v: %v, want an error naming INTERNAL_TLS_", env, err)
		}
	}
	c, err := Load([]string{"INTERNAL_TLS_CERT_FILE=/c", "INTERNAL_TLS_KEY_FILE=/k", "INTERNAL_TLS_CA_FILE=/ca", "INTERNAL_TLS_ALLOWED_CLIENTS=gateway, admin"})
	if err != nil || !c.InternalTLS.Enabled() || strings.Join(c.InternalTLS.AllowedClients, "|") != "gateway|admin" {
		t.Fatalf("%+v %v", c.InternalTLS, err)
	}
}

// A Redis URL that cannot be parsed stops the start, naming its variable; REDIS_CLUSTER_URL, when set, is
// the one used and checked.
func TestRedisURLs(t *testing.T) {
	tests := []struct {
		env       []string
		wantErr   string
		wantClust string
	}{
		{env: nil},
		{env: []string{"REDIS_URL=http://127.0.0.1:6379"}, wantErr: "REDIS_URL"},
		{env: []string{"REDIS_CLUSTER_URL=redis://127.0.0.1:7000?addr=127.0.0.1:7001"}, wantClust: "redis://127.0.0.1:7000?addr=127.0.0.1:7001"},
		{env: []string{"REDIS_CLUSTER_URL=tcp://127.0.0.1:7000"}, wantErr: "REDIS_CLUSTER_URL"},
		{env: []string{"REDIS_CLUSTER_URL=redis://127.0.0.1:7000?dial_timeout=soon"}, wantErr: "REDIS_CLUSTER_URL"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.env, " "), func(t *testing.T) {
			c, err := Load(tt.env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil || c.RedisClusterURL != tt.wantClust {
				t.Fatalf("RedisClusterURL = %q, err %v; want %q", c.RedisClusterURL, err, tt.wantClust)
			}
		})
	}
}

func TestInterest(t *testing.T) {
	tests := []struct {
		env     string
		want    bool
		wantErr bool
	}{
		{"", true, false},
		{"REALTIME_INTEREST=on", true, false},
		{"REALTIME_INTEREST=off", false, false},
		{"REALTIME_INTEREST=yes", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			c, err := Load([]string{tt.env})
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "REALTIME_INTEREST") {
					t.Fatalf("err = %v, want one naming REALTIME_INTEREST", err)
				}
				return
			}
			if err != nil || c.Interest != tt.want {
				t.Fatalf("Interest = %t, err %v; want %t", c.Interest, err, tt.want)
			}
		})
	}
}
