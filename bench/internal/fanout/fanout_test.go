package fanout

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

func TestWindowContains(t *testing.T) {
	start := time.Unix(1000, 0)
	w := window{start: start, end: start.Add(10 * time.Second)}
	tests := []struct {
		name string
		at   time.Time
		want bool
	}{
		{"before the start", start.Add(-time.Nanosecond), false},
		{"at the start", start, true},
		{"inside", start.Add(5 * time.Second), true},
		{"last nanosecond", w.end.Add(-time.Nanosecond), true},
		{"at the end", w.end, false},
		{"after the end", w.end.Add(time.Millisecond), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := w.contains(tt.at); got != tt.want {
				t.Fatalf("contains(start%+v) = %v, want %v", tt.at.Sub(start), got, tt.want)
			}
		})
	}
}

// TestDeliveryLog checks what a client's log counts: deliveries inside the window toward the rate, every
// delivery toward the per-client check, and any payload other than the one sent as a mismatch.
func TestDeliveryLog(t *testing.T) {
	start := time.Unix(1000, 0)
	w := window{start: start, end: start.Add(10 * time.Second)}
	sent := &sendTimes{at: map[[16]byte]sentCommit{}, live: map[[16]byte][]time.Time{}}
	payload := []byte("the stroke as sent")
	a, unknown := [16]byte{1}, [16]byte{2}
	sent.store(a, start.Add(time.Second), digest(payload))
	type delivery struct {
		at      time.Duration // after start
		id      [16]byte
		payload []byte
	}
	tests := []struct {
		name                           string
		deliveries                     []delivery
		inWindow, all, mismatches, lat int
	}{
		{"inside the window", []delivery{{2 * time.Second, a, payload}}, 1, 1, 0, 1},
		{"after the window: counted for the client, not the rate", []delivery{{10 * time.Second, a, payload}, {11 * time.Second, a, payload}}, 0, 2, 0, 2},
		{"corrupted payload", []delivery{{2 * time.Second, a, []byte("the stroke as sen!")}}, 1, 1, 1, 1},
		{"truncated payload", []delivery{{2 * time.Second, a, payload[:len(payload)-1]}}, 1, 1, 1, 1},
		{"no payload", []delivery{{2 * time.Second, a, nil}}, 1, 1, 1, 1},
		{"a stroke nobody sent", []delivery{{2 * time.Second, unknown, payload}}, 1, 1, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &deliveryLog{sent: sent, liveSeen: map[[16]byte]int{}}
			l.setWindow(w)
			for _, d := range tt.deliveries {
				l.record(start.Add(d.at), d.id, d.payload)
			}
			if l.delivered != int64(tt.inWindow) || l.count() != int64(tt.all) || l.mismatches != tt.mismatches || len(l.latencyMs) != tt.lat {
				t.Fatalf("in window %d, all %d, mismatches %d, latencies %d; want %d, %d, %d, %d",
					l.delivered, l.count(), l.mismatches, len(l.latencyMs), tt.inWindow, tt.all, tt.mismatches, tt.lat)
			}
		})
	}
}

// TestBaselinePayload checks that the payload the writer records is the stroke object the relay's event
// carries once JavaScript has parsed it and written it again (here: as the relay would, key order and
// numbers kept), and that strokeJSON finds it.
func TestBaselinePayload(t *testing.T) {
	pts := []strokes.Point{{X: 12345, Y: -678}, {X: 12400, Y: -600}, {X: 0, Y: 5}}
	stroke := &strokev1.Stroke{Id: bytes.Repeat([]byte{0xab}, 16)}
	var s baselineSession
	want, err := s.payload(stroke, pts)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		msg  string
		want []byte
	}{
		{"event", `{"type":"event","stroke":` + string(want) + `,"seq":7}`, want},
		{"truncated in the stroke", `{"type":"event","stroke":` + string(want[:len(want)-4]), nil},
		{"no stroke", `{"type":"ack","id":"x","seq":7}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strokeJSON([]byte(tt.msg)); !bytes.Equal(got, tt.want) {
				t.Fatalf("strokeJSON = %s, want %s", got, tt.want)
			}
		})
	}
	var back map[string]any
	if err := json.Unmarshal(want, &back); err != nil {
		t.Fatal(err)
	}
	if back["points"].([]any)[0].([]any)[0] != 123.45 || back["points"].([]any)[0].([]any)[1] != -6.78 {
		t.Fatalf("points %v: want world units (x100 / 100)", back["points"])
	}
}
