package events

import (
	"testing"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	roomv1 "github.com/infidraw/infidraw/gen/go/infidraw/room/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

func TestAreaOfStored(t *testing.T) {
	id := uuid.New()
	stroke := &strokev1.Stroke{Id: id[:], Tool: strokev1.Tool_TOOL_PEN, Width: 400, Quantum: 1, Points: []int32{1000, 2000, 50, -30, 10, 10}}
	added, err := proto.Marshal(&roomv1.StrokeAdded{Stroke: stroke})
	if err != nil {
		t.Fatal(err)
	}
	erased, err := proto.Marshal(&roomv1.StrokesErased{StrokeIds: [][]byte{make([]byte, 16)}})
	if err != nil {
		t.Fatal(err)
	}
	reach := strokes.ReachQ(400)
	tests := []struct {
		name string
		ev   Event
		want Area
	}{
		{"a stroke added: its box and reach", EncodeRoomEvent(1, 0, "a", KindStrokeAdded, added),
			Area{Box: strokes.Box{X0: 1000 - reach, Y0: 1970 - reach, X1: 1060 + reach, Y1: 2000 + reach}, Known: true}},
		{"an erase: unknown", EncodeRoomEvent(2, 0, "a", KindStrokesErased, erased), Area{}},
		{"garbage: unknown", Event{Seq: 3, Encoded: []byte{0xff}}, Area{}},
	}
	for _, tt := range tests {
		if got := AreaOfStored(tt.ev); got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
