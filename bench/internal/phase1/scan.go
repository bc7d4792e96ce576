// Package phase1 is a client of the roadmap's phase-1 relay (bench/phase1-relay/server.js): binary msgpack
// frames, several events per frame, acks after the stroke is stored. Like realtime-go's client it checks
// that the room's events arrive exactly once, in sequence order, with no gap.
package phase1

import (
	"encoding/binary"
	"errors"
)

var errFrame = errors.New("phase1: malformed msgpack in a frame")

// The relay's frames are concatenated msgpack arrays of a few kinds (server.js). The generator walks them
// instead of decoding them, for the seq and stroke id it needs, as the other systems' clients do: decoding
// every stroke at every client made the load generator the limit. These functions read the few msgpack
// types the relay writes.

// uintAt reads an unsigned integer (positive fixint, uint 8/16/32/64) at b[0]; n is its length.
func uintAt(b []byte) (v uint64, n int, err error) {
	if len(b) == 0 {
		return 0, 0, errFrame
	}
	c := b[0]
	if c <= 0x7f {
		return uint64(c), 1, nil
	}
	size := 0
	switch c {
	case 0xcc:
		size = 1
	case 0xcd:
		size = 2
	case 0xce:
		size = 4
	case 0xcf:
		size = 8
	}
	if size == 0 || len(b) < 1+size {
		return 0, 0, errFrame
	}
	var buf [8]byte
	copy(buf[8-size:], b[1:1+size])
	return binary.BigEndian.Uint64(buf[:]), 1 + size, nil
}

// arrayAt reads an array header (fixarray, array 16/32) at b[0]: the element count and the header's length.
func arrayAt(b []byte) (count, n int, err error) {
	switch {
	case len(b) > 0 && b[0]&0xf0 == 0x90:
		return int(b[0] & 0x0f), 1, nil
	case len(b) >= 3 && b[0] == 0xdc:
		return int(binary.BigEndian.Uint16(b[1:])), 3, nil
	case len(b) >= 5 && b[0] == 0xdd:
		return int(binary.BigEndian.Uint32(b[1:])), 5, nil
	}
	return 0, 0, errFrame
}

// skip returns the length of the msgpack value at b[0]: nil, booleans, integers, floats, strings and
// binaries, and arrays of them.
func skip(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, errFrame
	}
	c := b[0]
	// Values whose bytes follow a length field: (length field size, payload size if fixed).
	head, body := 0, -1
	switch {
	case c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3: // fixints, nil, false, true
		return 1, nil
	case c&0xe0 == 0xa0: // fixstr
		body = int(c & 0x1f)
	case c&0xf0 == 0x90 || c == 0xdc || c == 0xdd:
		count, n, err := arrayAt(b)
		if err != nil {
			return 0, err
		}
		for range count {
			m, err := skip(b[n:])
			if err != nil {
				return 0, err
			}
			n += m
		}
		return n, nil
	case c == 0xc4 || c == 0xd9: // bin 8, str 8
		head = 1
	case c == 0xc5 || c == 0xda: // bin 16, str 16
		head = 2
	case c == 0xc6 || c == 0xdb: // bin 32, str 32
		head = 4
	case c == 0xcc || c == 0xd0:
		body = 1
	case c == 0xcd || c == 0xd1:
		body = 2
	case c == 0xce || c == 0xd2 || c == 0xca:
		body = 4
	case c == 0xcf || c == 0xd3 || c == 0xcb:
		body = 8
	default:
		return 0, errFrame
	}
	if head > 0 {
		if len(b) < 1+head {
			return 0, errFrame
		}
		var buf [4]byte
		copy(buf[4-head:], b[1:1+head])
		body = int(binary.BigEndian.Uint32(buf[:]))
	}
	n := 1 + head + body
	if len(b) < n {
		return 0, errFrame
	}
	return n, nil
}

// binAt reads a binary (bin 8/16/32) at b[0]: its bytes (a slice of b) and its total length.
func binAt(b []byte) ([]byte, int, error) {
	if len(b) == 0 || b[0] < 0xc4 || b[0] > 0xc6 {
		return nil, 0, errFrame
	}
	n, err := skip(b)
	if err != nil {
		return nil, 0, err
	}
	head := 1 + 1<<(b[0]-0xc4) // the code and a length of 1, 2 or 4 bytes
	return b[head:n], n, nil
}
