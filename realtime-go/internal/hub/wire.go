package hub

import (
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	"github.com/infidraw/infidraw/realtime-go/internal/events"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// Frames are built by concatenating encoded ServerFrame.messages entries (field 1): protobuf merges
// repeated fields of concatenated messages, so a frame for one client is shared parts plus its own.
const (
	frameMessages   = 1 // ServerFrame.messages
	messageEvents   = 2 // ServerMessage.events
	batchEvents     = 1 // EventBatch.events
	batchMore       = 2 // EventBatch.more
	batchThrough    = 3 // EventBatch.through_seq
	busOrigin       = 1 // BusMessage.origin
	busCommitted    = 2 // BusMessage.committed
	committedEvents = 1 // CommittedEvents.events
	committedAreas  = 2 // CommittedEvents.areas
)

// appendEvents appends a ServerFrame entry holding an EventBatch of evs.
func appendEvents(dst []byte, evs []events.Event, more bool) []byte {
	return appendBatch(dst, evs, more, 0)
}

// appendBatch appends a ServerFrame entry holding an EventBatch of evs, with through_seq unless 0.
func appendBatch(dst []byte, evs []events.Event, more bool, through uint64) []byte {
	size := 0
	for _, ev := range evs {
		size += protowire.SizeTag(batchEvents) + protowire.SizeBytes(len(ev.Encoded))
	}
	if more {
		size += protowire.SizeTag(batchMore) + 1
	}
	if through > 0 {
		size += protowire.SizeTag(batchThrough) + protowire.SizeVarint(through)
	}
	msgSize := protowire.SizeTag(messageEvents) + protowire.SizeBytes(size)
	dst = protowire.AppendTag(dst, frameMessages, protowire.BytesType)
	dst = protowire.AppendVarint(dst, uint64(msgSize))
	dst = protowire.AppendTag(dst, messageEvents, protowire.BytesType)
	dst = protowire.AppendVarint(dst, uint64(size))
	for _, ev := range evs {
		dst = protowire.AppendTag(dst, batchEvents, protowire.BytesType)
		dst = protowire.AppendBytes(dst, ev.Encoded)
	}
	if more {
		dst = protowire.AppendTag(dst, batchMore, protowire.VarintType)
		dst = protowire.AppendVarint(dst, 1)
	}
	if through > 0 {
		dst = protowire.AppendTag(dst, batchThrough, protowire.VarintType)
		dst = protowire.AppendVarint(dst, through)
	}
	return dst
}

// appendMessage appends a ServerFrame entry holding msg.
func appendMessage(dst []byte, msg *realtimev1.ServerMessage) []byte {
	b, err := proto.Marshal(msg)
	if err != nil {
		panic("encode server message: " + err.Error()) // messages built here always encode
	}
	return appendEntry(dst, b)
}

// appendEntry appends an encoded ServerMessage as a ServerFrame entry.
func appendEntry(dst, msg []byte) []byte {
	dst = protowire.AppendTag(dst, frameMessages, protowire.BytesType)
	return protowire.AppendBytes(dst, msg)
}

// encodeCommitted builds a BusMessage carrying committed events without re-encoding them, with their
// areas (an unknown one as the whole world).
func encodeCommitted(origin string, evs []events.Event) []byte {
	var inner []byte
	for _, ev := range evs {
		inner = protowire.AppendTag(inner, committedEvents, protowire.BytesType)
		inner = protowire.AppendBytes(inner, ev.Encoded)
	}
	for _, ev := range evs {
		inner = protowire.AppendTag(inner, committedAreas, protowire.BytesType)
		inner = protowire.AppendBytes(inner, appendArea(nil, ev.Area))
	}
	var b []byte
	b = protowire.AppendTag(b, busOrigin, protowire.BytesType)
	b = protowire.AppendString(b, origin)
	b = protowire.AppendTag(b, busCommitted, protowire.BytesType)
	return protowire.AppendBytes(b, inner)
}

// fromOrigin reports whether an encoded BusMessage names origin in its first field. Every replica
// receives its own messages back from the bus and ignores them; with one replica that is every
// message, so they are recognised before anything is decoded. Both encoders here write the origin first
// (encodeCommitted, and proto.Marshal writes fields in number order); a message that does not is simply
// decoded.
func fromOrigin(b []byte, origin string) bool {
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 || num != busOrigin || typ != protowire.BytesType {
		return false
	}
	v, k := protowire.ConsumeBytes(b[n:])
	return k >= 0 && string(v) == origin
}

// busMessage is a decoded BusMessage: committed events stay encoded.
type busMessage struct {
	origin    string
	committed []events.Event
	rest      *realtimev1.BusMessage // live, presence or control
}

func decodeBus(b []byte) (busMessage, error) {
	var m busMessage
	var other []byte
	var areas []events.Area
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return m, protowire.ParseError(n)
		}
		start := b
		b = b[n:]
		if typ != protowire.BytesType {
			k := protowire.ConsumeFieldValue(num, typ, b)
			if k < 0 {
				return m, protowire.ParseError(k)
			}
			b = b[k:]
			continue
		}
		v, k := protowire.ConsumeBytes(b)
		if k < 0 {
			return m, protowire.ParseError(k)
		}
		b = b[k:]
		switch num {
		case busOrigin:
			m.origin = string(v)
		case busCommitted:
			for len(v) > 0 {
				fnum, ftyp, fn := protowire.ConsumeTag(v)
				if fn < 0 {
					return m, protowire.ParseError(fn)
				}
				v = v[fn:]
				raw, fk := protowire.ConsumeBytes(v)
				if fk < 0 || ftyp != protowire.BytesType {
					return m, protowire.ParseError(fk)
				}
				v = v[fk:]
				switch fnum {
				case committedEvents:
					ev, err := events.ParseEvent(raw)
					if err != nil {
						return m, err
					}
					m.committed = append(m.committed, ev)
				case committedAreas:
					a, err := parseArea(raw)
					if err != nil {
						return m, err
					}
					areas = append(areas, a)
				}
			}
		default:
			other = append(other, start[:n+k]...)
		}
	}
	for i := range min(len(areas), len(m.committed)) {
		m.committed[i].Area = areas[i]
	}
	if len(other) > 0 {
		m.rest = &realtimev1.BusMessage{}
		if err := proto.Unmarshal(other, m.rest); err != nil {
			return m, err
		}
	}
	return m, nil
}

// appendArea appends an encoded Area; an unknown one is the whole world, which meets every view.
func appendArea(dst []byte, a events.Area) []byte {
	b := a.Box
	if !a.Known {
		b = world
	}
	for i, v := range [4]int64{b.X0, b.Y0, b.X1, b.Y1} {
		dst = protowire.AppendTag(dst, protowire.Number(i+1), protowire.VarintType)
		dst = protowire.AppendVarint(dst, protowire.EncodeZigZag(v))
	}
	return dst
}

// parseArea reads an encoded Area.
func parseArea(b []byte) (events.Area, error) {
	var v [4]int64
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return events.Area{}, protowire.ParseError(n)
		}
		b = b[n:]
		if typ == protowire.VarintType && num >= 1 && num <= 4 {
			x, k := protowire.ConsumeVarint(b)
			if k < 0 {
				return events.Area{}, protowire.ParseError(k)
			}
			v[num-1] = protowire.DecodeZigZag(x)
			b = b[k:]
			continue
		}
		k := protowire.ConsumeFieldValue(num, typ, b)
		if k < 0 {
			return events.Area{}, protowire.ParseError(k)
		}
		b = b[k:]
	}
	return events.Area{Box: strokes.Box{X0: v[0], Y0: v[1], X1: v[2], Y1: v[3]}, Known: true}, nil
}
