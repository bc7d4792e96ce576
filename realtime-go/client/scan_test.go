package client

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	roomv1 "github.com/infidraw/infidraw/gen/go/infidraw/room/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
)

func testStrokeID(b byte) []byte { return bytes.Repeat([]byte{b}, 16) }

func added(seq uint64, id []byte) *roomv1.RoomEvent {
	return &roomv1.RoomEvent{Seq: seq, CommittedAtMs: 1700000000000, AuthorId: "0d0b6b5e-3f36-4a4b-9b1c-1f2e3d4c5b6a",
		Kind: &roomv1.RoomEvent_StrokeAdded{StrokeAdded: &roomv1.StrokeAdded{Stroke: &strokev1.Stroke{
			Id: id, Tool: strokev1.Tool_TOOL_PEN, Rgba: 0x1e1e1eff, Width: 300, Quantum: 100, Points: []int32{20, 128, 3, -4, 5, 6}}}}}
}

func erased(seq uint64, ids ...[]byte) *roomv1.RoomEvent {
	return &roomv1.RoomEvent{Seq: seq, Kind: &roomv1.RoomEvent_StrokesErased{StrokesErased: &roomv1.StrokesErased{ActionId: testStrokeID(0xee), StrokeIds: ids}}}
}

func batch(evs ...*roomv1.RoomEvent) *realtimev1.ServerMessage {
	return &realtimev1.ServerMessage{Body: &realtimev1.ServerMessage_Events{Events: &realtimev1.EventBatch{Events: evs}}}
}

func ack(id uint32, seq uint64) *realtimev1.ServerMessage {
	return &realtimev1.ServerMessage{Body: &realtimev1.ServerMessage_Ack{Ack: &realtimev1.Ack{RequestId: id, Seq: seq}}}
}

func frame(t testing.TB, msgs ...*realtimev1.ServerMessage) []byte {
	t.Helper()
	b, err := proto.Marshal(&realtimev1.ServerFrame{Messages: msgs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// eventsText is a batch of events as text: "events [through N] 1@<committed at>:<stroke id> 2@0:".
func eventsText(through uint64, heads []EventHead) string {
	parts := []string{"events"}
	if through > 0 {
		parts = append(parts, fmt.Sprintf("through %d", through))
	}
	for _, h := range heads {
		parts = append(parts, fmt.Sprintf("%d@%d:%x", h.Seq, h.CommittedAtMs, h.StrokeID))
	}
	return strings.Join(parts, " ")
}

// scanned is what scanFrame reported, in order, as text: eventsText per batch or TilesChanged, "ack ..."
// and "error ..." per reply.
func scanned(b []byte) ([]string, error) {
	var got []string
	_, err := scanFrame(b, nil, func(heads []EventHead, through uint64) {
		got = append(got, eventsText(through, heads))
	}, func(field protowire.Number, body []byte) error {
		reply := proto.Message(&realtimev1.Error{})
		if field == messageAck {
			reply = &realtimev1.Ack{}
		}
		if err := proto.Unmarshal(body, reply); err != nil {
			return err
		}
		got = append(got, replyText(reply))
		return nil
	}, func(id []byte) {
		got = append(got, fmt.Sprintf("live %x", id))
	})
	return got, err
}

// decoded is what proto.Unmarshal reads from a ServerFrame, in scanned's form.
func decoded(b []byte) ([]string, error) {
	var f realtimev1.ServerFrame
	if err := proto.Unmarshal(b, &f); err != nil {
		return nil, err
	}
	var got []string
	for _, m := range f.GetMessages() {
		switch body := m.GetBody().(type) {
		case *realtimev1.ServerMessage_Events:
			var heads []EventHead
			for _, ev := range body.Events.GetEvents() {
				heads = append(heads, EventHead{Seq: ev.GetSeq(), CommittedAtMs: ev.GetCommittedAtMs(), StrokeID: ev.GetStrokeAdded().GetStroke().GetId()})
			}
			got = append(got, eventsText(body.Events.GetThroughSeq(), heads))
		case *realtimev1.ServerMessage_TilesChanged:
			got = append(got, eventsText(body.TilesChanged.GetThroughSeq(), nil))
		case *realtimev1.ServerMessage_Ack:
			got = append(got, replyText(body.Ack))
		case *realtimev1.ServerMessage_Error:
			got = append(got, replyText(body.Error))
		case *realtimev1.ServerMessage_Live:
			switch l := body.Live.GetBody().(type) {
			case *realtimev1.Live_StrokeBegin:
				got = append(got, fmt.Sprintf("live %x", l.StrokeBegin.GetStroke().GetId()))
			case *realtimev1.Live_StrokeMore:
				got = append(got, fmt.Sprintf("live %x", l.StrokeMore.GetStrokeId()))
			}
		}
	}
	return got, nil
}

func replyText(m proto.Message) string {
	switch r := m.(type) {
	case *realtimev1.Ack:
		return fmt.Sprintf("ack %d seq %d", r.GetRequestId(), r.GetSeq())
	case *realtimev1.Error:
		return fmt.Sprintf("error %d %s %q retry %d fatal %t", r.GetRequestId(), r.GetCode(), r.GetMessage(), r.GetRetryAfterMs(), r.GetFatal())
	}
	return fmt.Sprintf("%T", m)
}

func TestScanFrameReadsWhatProtoDecodes(t *testing.T) {
	a, b := testStrokeID(0xaa), testStrokeID(0xbb)
	welcome := &realtimev1.ServerMessage{Body: &realtimev1.ServerMessage_Welcome{Welcome: &realtimev1.Welcome{SessionId: 7, HeadSeq: 2}}}
	live := &realtimev1.ServerMessage{Body: &realtimev1.ServerMessage_Live{Live: &realtimev1.Live{SessionId: 3,
		Body: &realtimev1.Live_StrokeMore{StrokeMore: &realtimev1.StrokeMore{StrokeId: a, Points: []int32{1, 2}}}}}}
	begin := &realtimev1.ServerMessage{Body: &realtimev1.ServerMessage_Live{Live: &realtimev1.Live{SessionId: 3,
		Body: &realtimev1.Live_StrokeBegin{StrokeBegin: &realtimev1.StrokeBegin{Stroke: &strokev1.Stroke{Id: b, Width: 300, Points: []int32{1, 2}}}}}}}
	cursor := &realtimev1.ServerMessage{Body: &realtimev1.ServerMessage_Live{Live: &realtimev1.Live{SessionId: 3,
		Body: &realtimev1.Live_CursorMove{CursorMove: &realtimev1.CursorMove{X: 1, Y: 2}}}}}
	overloaded := &realtimev1.ServerMessage{Body: &realtimev1.ServerMessage_Error{Error: &realtimev1.Error{RequestId: 4,
		Code: realtimev1.ErrorCode_ERROR_CODE_OVERLOADED, Message: "queue full", RetryAfterMs: 50}}}
	tests := []struct {
		name  string
		frame []byte
		want  []string
	}{
		{"empty frame", nil, nil},
		{"welcome and presence are skipped", frame(t, welcome, &realtimev1.ServerMessage{Body: &realtimev1.ServerMessage_Presence{Presence: &realtimev1.Presence{LeftSessionIds: []uint32{1}}}}), nil},
		{"one batch", frame(t, batch(added(1, a), added(2, b))), []string{fmt.Sprintf("events 1@1700000000000:%x 2@1700000000000:%x", a, b)}},
		{"erase has no stroke id", frame(t, batch(added(1, a), erased(2, a))), []string{fmt.Sprintf("events 1@1700000000000:%x 2@0:", a)}},
		{"a viewed client's batch says through which seq", frame(t, &realtimev1.ServerMessage{Body: &realtimev1.ServerMessage_Events{Events: &realtimev1.EventBatch{
			Events: []*roomv1.RoomEvent{added(7, a)}, ThroughSeq: 9}}}), []string{fmt.Sprintf("events through 9 7@1700000000000:%x", a)}},
		{"tiles changed in place of events", frame(t, &realtimev1.ServerMessage{Body: &realtimev1.ServerMessage_TilesChanged{TilesChanged: &realtimev1.TilesChanged{
			Level: 4, Tiles: []int32{1, 2}, ThroughSeq: 12}}}), []string{"events through 12"}},
		{"empty batch", frame(t, batch()), []string{"events"}},
		{"messages in frame order", frame(t, live, batch(added(5, a)), ack(9, 5), overloaded, batch(added(6, b))), nil},
		{"live strokes, not cursors", frame(t, begin, cursor, live), []string{fmt.Sprintf("live %x", b), fmt.Sprintf("live %x", a)}},
		// A Live whose body is given twice: the last kind wins (a oneof), so a cursor after a stroke is a cursor.
		{"live body given twice", protowire.AppendBytes(protowire.AppendTag(nil, frameMessages, protowire.BytesType),
			protowire.AppendBytes(protowire.AppendTag(nil, messageLive, protowire.BytesType),
				slices.Concat(mustMarshal(t, live.GetLive()), mustMarshal(t, cursor.GetLive())))), nil},
		// The server builds frames by concatenating encoded ServerFrames (repeated fields merge).
		{"concatenated frames", slices.Concat(frame(t, batch(added(1, a))), frame(t, ack(1, 1)), frame(t, batch(added(2, b)))), nil},
		{"unknown fields are skipped", slices.Concat(protowire.AppendTag(nil, 9, protowire.Fixed64Type), make([]byte, 8), frame(t, batch(added(3, a)))), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := scanned(tt.frame)
			if err != nil {
				t.Fatalf("scanFrame: %v", err)
			}
			want, err := decoded(tt.frame)
			if err != nil {
				t.Fatalf("proto.Unmarshal: %v", err)
			}
			if tt.want != nil && !slices.Equal(want, tt.want) {
				t.Fatalf("the test's own expectation disagrees with proto.Unmarshal:\n%q\n%q", tt.want, want)
			}
			if !slices.Equal(got, want) {
				t.Errorf("scanFrame read\n%q\nproto.Unmarshal\n%q", got, want)
			}
		})
	}
}

// TestScanEventStroke checks that a head carries the encoded stroke of a StrokeAdded, the bytes
// proto.Marshal writes for it, and none for the other kinds.
func TestScanEventStroke(t *testing.T) {
	a := testStrokeID(0xaa)
	stroke := added(1, a).GetStrokeAdded().GetStroke()
	tests := []struct {
		name string
		ev   *roomv1.RoomEvent
		want proto.Message // the stroke the head's bytes decode to, nil for none
	}{
		{"stroke added", added(1, a), stroke},
		{"erase", erased(2, a), nil},
		{"added without a stroke", &roomv1.RoomEvent{Seq: 3, Kind: &roomv1.RoomEvent_StrokeAdded{StrokeAdded: &roomv1.StrokeAdded{}}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := scanEvent(mustMarshal(t, tt.ev))
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == nil {
				if h.Stroke != nil {
					t.Fatalf("stroke bytes %x, want none", h.Stroke)
				}
				return
			}
			if want := mustMarshal(t, tt.want); !bytes.Equal(h.Stroke, want) {
				t.Fatalf("stroke bytes\n%x\nwant\n%x", h.Stroke, want)
			}
		})
	}
}

func TestScanFrameRejectsMalformedFrames(t *testing.T) {
	good := frame(t, batch(added(1, testStrokeID(0xaa)), added(2, testStrokeID(0xbb))), ack(1, 2))
	// A RoomEvent whose seq is a fixed64 instead of a varint, inside a well-formed batch and frame.
	badSeq := protowire.AppendFixed64(protowire.AppendTag(nil, eventSeq, protowire.Fixed64Type), 1)
	badBatch := protowire.AppendBytes(protowire.AppendTag(nil, batchEvents, protowire.BytesType), badSeq)
	badMsg := protowire.AppendBytes(protowire.AppendTag(nil, messageEvents, protowire.BytesType), badBatch)
	tests := []struct {
		name  string
		frame []byte
		want  string // a regexp: protobuf's own messages put a space or a no-break space after "proto:"
	}{
		{"truncated", good[:len(good)-3], "server frame: field 1: unexpected EOF"},
		{"field number zero", []byte{0x00, 0x01}, `server frame: tag: proto:.invalid field number`},
		{"length past the end", []byte{0x0a, 0x7f, 0x12}, "server frame: field 1: unexpected EOF"},
		{"messages as a varint", []byte{0x08, 0x01}, `ServerFrame.messages \(field 1\) has wire type 0, want 2`},
		{"seq as fixed64", protowire.AppendBytes(protowire.AppendTag(nil, frameMessages, protowire.BytesType), badMsg), `RoomEvent.seq \(field 1\) has wire type 1, want 0`},
		{"events and ack in one message", protowire.AppendBytes(protowire.AppendTag(nil, frameMessages, protowire.BytesType),
			slices.Concat(mustMarshal(t, batch(added(1, testStrokeID(1)))), mustMarshal(t, ack(1, 1)))), `server message with more than one body \(field 3\)`},
		{"varint overflow", append([]byte{0x08}, bytes.Repeat([]byte{0xff}, 11)...), `server frame: field 1: proto:.variable length integer overflow`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := scanned(tt.frame)
			if err == nil || !regexp.MustCompile(tt.want).MatchString(err.Error()) {
				t.Fatalf("scanFrame: %v, want an error matching %q", err, tt.want)
			}
		})
	}
	// Every prefix of a valid frame either scans or fails cleanly (no panic, no out-of-range slice).
	for n := range good {
		_, _ = scanned(good[:n])
	}
}

func mustMarshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzScanFrame checks that scanFrame never panics and, whenever both it and proto.Unmarshal accept a
// frame, reads the same events and replies.
func FuzzScanFrame(f *testing.F) {
	f.Add(frame(f, batch(added(1, testStrokeID(0xaa)), erased(2, testStrokeID(0xaa))), ack(1, 1)))
	f.Add(frame(f, &realtimev1.ServerMessage{Body: &realtimev1.ServerMessage_Error{Error: &realtimev1.Error{RequestId: 2, Fatal: true}}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := scanned(b)
		want, werr := decoded(b)
		if err == nil && werr == nil && !slices.Equal(got, want) {
			t.Errorf("scanFrame read\n%q\nproto.Unmarshal\n%q", got, want)
		}
	})
}
