package strokes

import (
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
)

// A validated stroke holds its known fields only, and its input keeps what it carried.
func TestValidateKeepsKnownFieldsOnly(t *testing.T) {
	q, pts, pr := EncodePoints([]Point{{X: 0, Y: 0, Pressure: 10}, {X: 300, Y: 200, Pressure: 250}})
	in := &strokev1.Stroke{Id: make([]byte, IDLen), Tool: strokev1.Tool_TOOL_PEN, Rgba: 0xff, Width: 300, Quantum: q, Points: pts, Pressures: pr}
	want := proto.Clone(in)
	unknown := protowire.AppendBytes(protowire.AppendTag(nil, 99, protowire.BytesType), []byte("smuggled"))
	in.ProtoReflect().SetUnknown(unknown)

	v, err := Validate(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Msg.ProtoReflect().GetUnknown()) != 0 || !proto.Equal(v.Msg, want) {
		t.Fatalf("validated stroke %v, want %v", v.Msg, want)
	}
	if string(in.ProtoReflect().GetUnknown()) != string(unknown) {
		t.Fatal("Validate changed its input")
	}
}
