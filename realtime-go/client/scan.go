package client

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// EventHead is what the ordering check and a latency probe need of one committed event.
type EventHead struct {
	Seq uint64
	// CommittedAtMs is the event's commit time, Unix milliseconds.
	CommittedAtMs int64
	// StrokeID is the stroke id of a StrokeAdded event, nil for the other kinds. It points into the frame
	// it was read from, so it is only valid until the callback that receives it returns.
	StrokeID []byte
	// Stroke is the encoded Stroke of a StrokeAdded event, nil for the other kinds, so that a load
	// generator can check the payload without decoding it; valid as long as StrokeID. A StrokeAdded
	// whose stroke is split over repeated fields (proto.Unmarshal merges them; no server writes one) has
	// only its last part here.
	Stroke []byte
}

// Field numbers of the messages scanFrame walks (proto/infidraw/realtime/v1/frames.proto,
// proto/infidraw/room/v1/event.proto, proto/infidraw/stroke/v1/stroke.proto).
const (
	frameMessages    = 1  // ServerFrame.messages
	messageEvents    = 2  // ServerMessage.events
	messageAck       = 3  // ServerMessage.ack
	messageError     = 4  // ServerMessage.error
	messageLive      = 5  // ServerMessage.live
	messageTiles     = 7  // ServerMessage.tiles_changed
	liveStrokeBegin  = 2  // Live.stroke_begin
	liveStrokeMore   = 3  // Live.stroke_more
	liveStrokeEnd    = 4  // Live.stroke_end
	liveCursorMove   = 5  // Live.cursor_move
	beginStroke      = 1  // StrokeBegin.stroke
	moreStrokeID     = 1  // StrokeMore.stroke_id
	batchEvents      = 1  // EventBatch.events
	batchThrough     = 3  // EventBatch.through_seq
	tilesThrough     = 3  // TilesChanged.through_seq
	eventSeq         = 1  // RoomEvent.seq
	eventCommittedAt = 2  // RoomEvent.committed_at_ms
	eventStrokeAdded = 10 // RoomEvent.stroke_added
	eventErased      = 11 // RoomEvent.strokes_erased
	eventRestored    = 12 // RoomEvent.strokes_restored
	addedStroke      = 1  // StrokeAdded.stroke
	strokeID         = 1  // Stroke.id
	// ServerMessage's body is a oneof of fields 1 (welcome) to 7 (tiles_changed).
	messageBodyFirst = 1
	messageBodyLast  = 7
)

// wireField is one field of a message on the wire: a varint's value or a length-delimited field's bytes
// (other wire types are skipped whole and carry neither).
type wireField struct {
	num    protowire.Number
	typ    protowire.Type
	varint uint64
	bytes  []byte
}

// nextField consumes the first field of b and returns it with the rest of b.
func nextField(b []byte) (wireField, []byte, error) {
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 {
		return wireField{}, nil, fmt.Errorf("tag: %w", protowire.ParseError(n))
	}
	f := wireField{num: num, typ: typ}
	b = b[n:]
	switch typ {
	case protowire.VarintType:
		f.varint, n = protowire.ConsumeVarint(b)
	case protowire.BytesType:
		f.bytes, n = protowire.ConsumeBytes(b)
	default:
		n = protowire.ConsumeFieldValue(num, typ, b)
	}
	if n < 0 {
		return wireField{}, nil, fmt.Errorf("field %d: %w", num, protowire.ParseError(n))
	}
	return f, b[n:], nil
}

// want checks that a field the scanner reads has the wire type its schema gives it.
func (f wireField) want(typ protowire.Type, name string) error {
	if f.typ != typ {
		return fmt.Errorf("%s (field %d) has wire type %d, want %d", name, f.num, f.typ, typ)
	}
	return nil
}

// eachField calls fn with every field of an encoded message, in order, and stops at its first error;
// what names the message in a wire-format error.
func eachField(msg []byte, what string, fn func(wireField) error) error {
	for len(msg) > 0 {
		f, rest, err := nextField(msg)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		msg = rest
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

// eachBytes calls fn with the bytes of every occurrence of the length-delimited field num of an encoded
// message, in order (name is the field's name in errors).
func eachBytes(msg []byte, what string, num protowire.Number, name string, fn func([]byte) error) error {
	return eachField(msg, what, func(f wireField) error {
		if f.num != num {
			return nil
		}
		if err := f.want(protowire.BytesType, name); err != nil {
			return err
		}
		return fn(f.bytes)
	})
}

// scanFrame walks an encoded ServerFrame without decoding it into messages (which allocates every
// message, stroke and point slice of the frame). Each EventBatch's event heads are appended to
// heads[:0] and passed to onEvents with the batch's through_seq, and a TilesChanged notice's through_seq with
// no heads; the bodies of Acks and Errors, still encoded, go to onReply; the stroke
// id of each live StrokeBegin and StrokeMore goes to onLive, if set; other messages (Welcome, cursors,
// Presence) are skipped. Messages are visited in frame order. A message with
// two bodies is an error: proto.Unmarshal would keep only the last, and the server never writes one.
// heads is returned for reuse.
func scanFrame(frame []byte, heads []EventHead, onEvents func(heads []EventHead, throughSeq uint64), onReply func(field protowire.Number, body []byte) error,
	onLive func(strokeID []byte)) ([]EventHead, error) {
	err := eachField(frame, "server frame", func(f wireField) error {
		if f.num != frameMessages {
			return nil
		}
		if err := f.want(protowire.BytesType, "ServerFrame.messages"); err != nil {
			return err
		}
		bodies := 0
		return eachField(f.bytes, "server message", func(body wireField) error {
			if body.num < messageBodyFirst || body.num > messageBodyLast {
				return nil
			}
			if bodies++; bodies > 1 {
				return fmt.Errorf("server message with more than one body (field %d)", body.num)
			}
			switch body.num {
			case messageEvents:
				if err := body.want(protowire.BytesType, "ServerMessage.events"); err != nil {
					return err
				}
				var through uint64
				var err error
				if heads, through, err = scanBatch(heads[:0], body.bytes); err != nil {
					return err
				}
				onEvents(heads, through)
			case messageTiles:
				if err := body.want(protowire.BytesType, "ServerMessage.tiles_changed"); err != nil {
					return err
				}
				through, err := scanVarint(body.bytes, "tiles changed", tilesThrough, "TilesChanged.through_seq")
				if err != nil {
					return err
				}
				onEvents(heads[:0], through)
			case messageAck, messageError:
				if err := body.want(protowire.BytesType, "ServerMessage reply"); err != nil {
					return err
				}
				return onReply(body.num, body.bytes)
			case messageLive:
				if onLive == nil {
					return nil
				}
				if err := body.want(protowire.BytesType, "ServerMessage.live"); err != nil {
					return err
				}
				id, isStroke, err := scanLive(body.bytes)
				if err != nil {
					return err
				}
				if isStroke {
					onLive(id)
				}
			}
			return nil
		})
	})
	return heads, err
}

// scanLive reads the stroke id of an encoded Live as proto.Unmarshal would; isStroke reports whether its
// body is a StrokeBegin or a StrokeMore (the bodies are a oneof: the last one wins, and repeated
// occurrences of the same one merge).
func scanLive(live []byte) (id []byte, isStroke bool, err error) {
	var kind protowire.Number
	err = eachField(live, "live", func(f wireField) error {
		switch f.num {
		case liveStrokeBegin, liveStrokeMore:
			if err := f.want(protowire.BytesType, "Live body"); err != nil {
				return err
			}
			if kind != f.num {
				id = nil
			}
			kind = f.num
			setID := func(b []byte) error { id = b; return nil }
			if f.num == liveStrokeMore {
				return eachBytes(f.bytes, "stroke more", moreStrokeID, "StrokeMore.stroke_id", setID)
			}
			return eachBytes(f.bytes, "stroke begin", beginStroke, "StrokeBegin.stroke", func(stroke []byte) error {
				return eachBytes(stroke, "stroke", strokeID, "Stroke.id", setID)
			})
		case liveStrokeEnd, liveCursorMove:
			kind, id = f.num, nil
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return id, kind == liveStrokeBegin || kind == liveStrokeMore, nil
}

// scanBatch appends the heads of an encoded EventBatch's events to dst and returns its through_seq.
func scanBatch(dst []EventHead, batch []byte) ([]EventHead, uint64, error) {
	var through uint64
	err := eachField(batch, "event batch", func(f wireField) error {
		switch f.num {
		case batchEvents:
			if err := f.want(protowire.BytesType, "EventBatch.events"); err != nil {
				return err
			}
			h, err := scanEvent(f.bytes)
			if err != nil {
				return err
			}
			dst = append(dst, h)
		case batchThrough:
			if err := f.want(protowire.VarintType, "EventBatch.through_seq"); err != nil {
				return err
			}
			through = f.varint
		}
		return nil
	})
	return dst, through, err
}

// scanVarint returns the last value of the varint field num of an encoded message (0 when absent), as
// proto.Unmarshal would.
func scanVarint(msg []byte, what string, num protowire.Number, name string) (uint64, error) {
	var v uint64
	err := eachField(msg, what, func(f wireField) error {
		if f.num != num {
			return nil
		}
		if err := f.want(protowire.VarintType, name); err != nil {
			return err
		}
		v = f.varint
		return nil
	})
	return v, err
}

// scanEvent reads the seq and stroke id of an encoded RoomEvent as proto.Unmarshal would: the last seq
// wins, and a kind other than stroke_added clears the stroke (the kinds are a oneof).
func scanEvent(ev []byte) (EventHead, error) {
	var h EventHead
	err := eachField(ev, "room event", func(f wireField) error {
		switch f.num {
		case eventSeq:
			if err := f.want(protowire.VarintType, "RoomEvent.seq"); err != nil {
				return err
			}
			h.Seq = f.varint
		case eventCommittedAt:
			if err := f.want(protowire.VarintType, "RoomEvent.committed_at_ms"); err != nil {
				return err
			}
			h.CommittedAtMs = int64(f.varint)
		case eventStrokeAdded:
			if err := f.want(protowire.BytesType, "RoomEvent.stroke_added"); err != nil {
				return err
			}
			// Repeated occurrences of a message field merge, so an id from an earlier one stands
			// unless this one has its own.
			var err error
			if h.StrokeID, h.Stroke, err = scanStrokeAdded(f.bytes, h.StrokeID, h.Stroke); err != nil {
				return err
			}
		case eventErased, eventRestored:
			h.StrokeID, h.Stroke = nil, nil
		}
		return nil
	})
	return h, err
}

// scanStrokeAdded returns the stroke id and the encoded stroke of an encoded StrokeAdded, or id and
// stroke when it holds none.
func scanStrokeAdded(added, id, stroke []byte) ([]byte, []byte, error) {
	err := eachBytes(added, "stroke added", addedStroke, "StrokeAdded.stroke", func(s []byte) error {
		stroke = s
		return eachBytes(s, "stroke", strokeID, "Stroke.id", func(b []byte) error { id = b; return nil })
	})
	if err != nil {
		return nil, nil, err
	}
	return id, stroke, nil
}
