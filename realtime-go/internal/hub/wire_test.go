package hub

import (
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	roomv1 "github.com/infidraw/infidraw/gen/go/infidraw/room/v1"
	"github.com/infidraw/infidraw/realtime-go/internal/events"
	"github.com/infidraw/infidraw/shared-go/strokes"
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

func TestCommittedAreasTravelTheBus(t *testing.T) {
	known := areaEvent(1, events.Area{Box: strokes.Box{X0: -5, Y0: 7, X1: 1 << 40, Y1: 9}, Known: true})
	unknown := event(2)
	m, err := decodeBus(encodeCommitted("a", []events.Event{known, unknown}))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.committed) != 2 {
		t.Fatalf("%d events, want 2", len(m.committed))
	}
	if m.committed[0].Area != known.Area {
		t.Errorf("known area: got %+v, want %+v", m.committed[0].Area, known.Area)
	}
	// An unknown area travels as the whole world: it meets every view, as unknown does.
	if a := m.committed[1].Area; !a.Known || a.Box != world {
		t.Errorf("unknown area: got %+v, want the world", a)
	}
	// A publisher that sends no areas (an older replica): unknown.
	old, err := proto.Marshal(&realtimev1.BusMessage{Origin: "b", Body: &realtimev1.BusMessage_Committed{
		Committed: &realtimev1.CommittedEvents{Events: []*roomv1.RoomEvent{{Seq: 3}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if m, err := decodeBus(old); err != nil || len(m.committed) != 1 || m.committed[0].Area.Known {
		t.Errorf("committed without areas: %+v, %v; want one event of unknown area", m, err)
	}
}
