package events

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers of infidraw.room.v1.RoomEvent, spliced by hand so that stored payloads are never decoded
// and re-encoded on the read and fan-out paths.
const (
	fieldSeq         = 1
	fieldCommittedAt = 2
	fieldAuthor      = 3
	fieldKindBase    = 9 // StrokeAdded = 10, StrokesErased = 11, StrokesRestored = 12
)

// EncodeRoomEvent returns the RoomEvent wire encoding of a stored event. payload is the encoded message
// of the kind (StrokeAdded, StrokesErased or StrokesRestored).
func EncodeRoomEvent(seq uint64, committedAtMs int64, author string, kind Kind, payload []byte) Event {
	b := make([]byte, 0, len(payload)+64)
	b = protowire.AppendTag(b, fieldSeq, protowire.VarintType)
	b = protowire.AppendVarint(b, seq)
	b = protowire.AppendTag(b, fieldCommittedAt, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(committedAtMs))
	b = protowire.AppendTag(b, fieldAuthor, protowire.BytesType)
	b = protowire.AppendString(b, author)
	b = protowire.AppendTag(b, protowire.Number(fieldKindBase+int(kind)), protowire.BytesType)
	b = protowire.AppendBytes(b, payload)
	return Event{Seq: seq, CommittedAtMs: committedAtMs, Encoded: b}
}

// ParseEvent reads the sequence number and commit time of an encoded RoomEvent.
func ParseEvent(b []byte) (Event, error) {
	ev := Event{Encoded: b}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return Event{}, fmt.Errorf("room event: %w", protowire.ParseError(n))
		}
		b = b[n:]
		if typ == protowire.VarintType && (num == fieldSeq || num == fieldCommittedAt) {
			v, m := protowire.ConsumeVarint(b)
			if m < 0 {
				return Event{}, fmt.Errorf("room event: %w", protowire.ParseError(m))
			}
			if num == fieldSeq {
				ev.Seq = v
			} else {
				ev.CommittedAtMs = int64(v)
			}
			b = b[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return Event{}, fmt.Errorf("room event: %w", protowire.ParseError(m))
		}
		b = b[m:]
	}
	if ev.Seq == 0 {
		return Event{}, fmt.Errorf("room event without a sequence number")
	}
	return ev, nil
}
