package ws

import (
	"errors"
	"testing"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// FuzzDecodeFrame feeds arbitrary bytes to what the handler does with an incoming binary message before
// any connection state is involved: decodeFrame, then checkDrawing for every message. It checks that
// nothing panics, that only INVALID_ARGUMENT-style errors come back, and that what is accepted is within
// the limits the rest of the server relies on. Seeds (testdata/fuzz): a frame of every drawing message,
// a Join, a cursor, a fetch, and issue 12's zig-zag (200 points) as commit and live begin.
func FuzzDecodeFrame(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		frame, err := decodeFrame(websocket.BinaryMessage, data)
		if err != nil {
			return
		}
		for _, m := range frame.GetMessages() {
			d, err := checkDrawing(m, strokes.MaxLivePoints)
			if d.kind == "" {
				t.Fatalf("no metric kind for %T", m.GetBody())
			}
			if err != nil {
				continue
			}
			switch b := m.GetBody().(type) {
			case *realtimev1.ClientMessage_StrokeBegin:
				if n := len(b.StrokeBegin.GetStroke().GetPoints()); n > 2*strokes.MaxLivePoints {
					t.Fatalf("live begin of %d values accepted", n)
				}
			case *realtimev1.ClientMessage_CommitStroke:
				s := d.stroke
				if !proto.Equal(s.Msg, strokes.KnownFields(b.CommitStroke.GetStroke())) || len(s.Points) > strokes.MaxPoints || len(s.Tiles) == 0 ||
					strokes.PathQ(s.Points) > strokes.MaxPathTiles*strokes.SpanQ(0) || len(s.Msg.GetId()) != strokes.IDLen {
					t.Fatalf("commit outside the limits accepted: %d points, %d tiles", len(s.Points), len(s.Tiles))
				}
			case *realtimev1.ClientMessage_EraseStrokes:
				if len(d.ids) == 0 || len(d.ids) > maxEraseStrokes || len(d.ids) != len(b.EraseStrokes.GetStrokeIds()) {
					t.Fatalf("erase of %d strokes accepted", len(d.ids))
				}
			}
		}
	})
}

// A text message and undecodable bytes are refused before any message is looked at; a message that is
// not a drawing message is never accepted by checkDrawing.
func TestDecodeFrameRefuses(t *testing.T) {
	if _, err := decodeFrame(websocket.TextMessage, nil); err == nil {
		t.Fatal("text frame accepted")
	}
	if _, err := decodeFrame(websocket.BinaryMessage, []byte{0xff, 0xff, 0xff, 0xff, 0x0f}); err == nil {
		t.Fatal("garbage accepted")
	}
	for _, m := range []*realtimev1.ClientMessage{{}, {Body: &realtimev1.ClientMessage_Join{Join: &realtimev1.Join{}}}} {
		if _, err := checkDrawing(m, strokes.MaxLivePoints); err == nil {
			t.Fatalf("%T accepted as a drawing message", m.GetBody())
		}
	}
	commit := &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_CommitStroke{CommitStroke: &realtimev1.CommitStroke{}}}
	if _, err := checkDrawing(commit, strokes.MaxLivePoints); !errors.Is(err, strokes.ErrInvalid) {
		t.Fatalf("commit without a stroke: %v", err)
	}
}
