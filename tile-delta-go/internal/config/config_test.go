package config

import "testing"

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
