package hub

import (
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	"github.com/infidraw/infidraw/realtime-go/internal/events"
)

func TestFromOrigin(t *testing.T) {
	live, err := proto.Marshal(&realtimev1.BusMessage{Origin: "a", Body: &realtimev1.BusMessage_Live{Live: &realtimev1.LiveBatch{}}})
	if err != nil {
		t.Fatal(err)
	}
	// The origin after another field: still a message from "a", found by decoding it.
	late := protowire.AppendString(protowire.AppendTag(protowire.AppendVarint(protowire.AppendTag(nil, 9, protowire.VarintType), 1), busOrigin, protowire.BytesType), "a")
	tests := []struct {
		name   string
		msg    []byte
		origin string
		want   bool
	}{
		{"committed events, own", encodeCommitted("a", []events.Event{event(1)}), "a", true},
		{"committed events, another replica's", encodeCommitted("b", []events.Event{event(1)}), "a", false},
		{"a prefix of the origin is not it", encodeCommitted("ab", []events.Event{event(1)}), "a", false},
		{"live, own (proto.Marshal)", live, "a", true},
		{"live, another replica's", live, "b", false},
		{"origin not first: left to the decoder", late, "a", false},
		{"empty", nil, "a", false},
		{"truncated", encodeCommitted("a", nil)[:2], "a", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fromOrigin(tt.msg, tt.origin); got != tt.want {
				t.Errorf("fromOrigin = %t, want %t", got, tt.want)
			}
		})
	}
	if m, err := decodeBus(late); err != nil || m.origin != "a" {
		t.Errorf("decodeBus of a late origin: %q, %v", m.origin, err)
	}
}
