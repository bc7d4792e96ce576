package localtest

import (
	"net"
	"strconv"
	"testing"
)

// A chosen port lies below the ephemeral range, where outgoing connections never take it, and can
// be bound.
func TestPortIsBelowTheEphemeralRangeAndBindable(t *testing.T) {
	low := ephemeralLow()
	for range 20 {
		addr := FreeAddr(t)
		_, portText, err := net.SplitHostPort(addr)
		if err != nil {
			t.Fatal(err)
		}
		port, _ := strconv.Atoi(portText)
		if port < 10000 || port >= low {
			t.Fatalf("port %d is outside [10000, %d)", port, low)
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("cannot bind %s: %v", addr, err)
		}
		ln.Close()
	}
}
