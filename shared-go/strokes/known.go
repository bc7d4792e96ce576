package strokes

import (
	"google.golang.org/protobuf/proto"

	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
)

// KnownFields returns a copy of s without the fields this build does not know. Protobuf keeps unknown
// fields through decoding and encoding, so without this a client could store or relay any bytes it likes
// inside a stroke, and two strokes that draw the same would compare different.
func KnownFields(s *strokev1.Stroke) *strokev1.Stroke {
	c := proto.Clone(s).(*strokev1.Stroke)
	c.ProtoReflect().SetUnknown(nil)
	return c
}
