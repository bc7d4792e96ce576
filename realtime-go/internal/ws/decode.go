package ws

import (
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// The decoding and the checks of client input that need no connection state, apart from the handler so
// that they can be fuzzed on their own (decode_fuzz_test.go).

// maxEraseStrokes bounds the strokes one EraseStrokes names.
const maxEraseStrokes = 1000

// decodeFrame decodes one incoming WebSocket message, which must be a binary protobuf ClientFrame; an
// error closes the connection with BAD_FRAME.
func decodeFrame(typ int, data []byte) (*realtimev1.ClientFrame, error) {
	if typ != websocket.BinaryMessage {
		return nil, errors.New("frames must be binary protobuf ClientFrames")
	}
	var f realtimev1.ClientFrame
	if err := proto.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("cannot decode ClientFrame: %w", err)
	}
	return &f, nil
}

// drawing is a drawing message (StrokeBegin, StrokeMore, StrokeEnd, CommitStroke, EraseStrokes, Undo,
// Redo) after checkDrawing: its kind for metrics, and what its checks decoded.
type drawing struct {
	kind   string
	stroke strokes.Stroke // StrokeBegin, CommitStroke: validated, with its tiles
	ids    []uuid.UUID    // EraseStrokes: the strokes to erase
}

// checkDrawing checks a drawing message against the limits that need no connection state: strokes
// within the stroke limits (strokes.Validate), live chunks of at most maxLivePoints x,y pairs, 16-byte
// ids, 1..maxEraseStrokes strokes per erase. A refused message is answered with INVALID_ARGUMENT and
// the error's text; any other message is refused as not a drawing message.
func checkDrawing(m *realtimev1.ClientMessage, maxLivePoints int) (drawing, error) {
	switch b := m.GetBody().(type) {
	case *realtimev1.ClientMessage_StrokeBegin:
		d := drawing{kind: "stroke_begin"}
		if len(b.StrokeBegin.GetStroke().GetPoints()) > 2*maxLivePoints {
			return d, fmt.Errorf("live chunks hold at most %d points", maxLivePoints)
		}
		s, err := strokes.Validate(b.StrokeBegin.GetStroke())
		d.stroke = s
		return d, err
	case *realtimev1.ClientMessage_StrokeMore:
		d := drawing{kind: "stroke_more"}
		if err := strokes.ValidID(b.StrokeMore.GetStrokeId()); err != nil || len(b.StrokeMore.GetPoints()) > 2*maxLivePoints || len(b.StrokeMore.GetPoints())%2 != 0 {
			return d, errors.New("StrokeMore needs a 16-byte stroke id and at most the live chunk limit of x,y pairs")
		}
		return d, nil
	case *realtimev1.ClientMessage_StrokeEnd:
		return drawing{kind: "stroke_end"}, strokes.ValidID(b.StrokeEnd.GetStrokeId())
	case *realtimev1.ClientMessage_CommitStroke:
		s, err := strokes.Validate(b.CommitStroke.GetStroke())
		return drawing{kind: "commit", stroke: s}, err
	case *realtimev1.ClientMessage_EraseStrokes:
		d := drawing{kind: "erase"}
		e := b.EraseStrokes
		ids, err := parseIDs(e.GetStrokeIds())
		if err != nil || strokes.ValidID(e.GetActionId()) != nil || len(ids) == 0 || len(ids) > maxEraseStrokes {
			return d, fmt.Errorf("EraseStrokes needs a 16-byte action id and 1..%d 16-byte stroke ids", maxEraseStrokes)
		}
		d.ids = ids
		return d, nil
	case *realtimev1.ClientMessage_Undo:
		return drawing{kind: "undo"}, strokes.ValidID(b.Undo.GetActionId())
	case *realtimev1.ClientMessage_Redo:
		return drawing{kind: "redo"}, strokes.ValidID(b.Redo.GetActionId())
	}
	return drawing{kind: "other"}, fmt.Errorf("%T is not a drawing message", m.GetBody())
}

func parseIDs(raw [][]byte) ([]uuid.UUID, error) {
	out := make([]uuid.UUID, len(raw))
	for i, b := range raw {
		if err := strokes.ValidID(b); err != nil {
			return nil, err
		}
		out[i] = uuid.UUID(b)
	}
	return out, nil
}
