package phase1

import (
	"bytes"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

func encode(t *testing.T, v any) []byte {
	t.Helper()
	b, err := msgpack.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// skip must measure every value the relay writes exactly as a real msgpack encoder lays it out, and
// uintAt and binAt read them back; a truncated value is an error, never a short read.
func TestScanAgreesWithEncoder(t *testing.T) {
	long := bytes.Repeat([]byte{7}, 70000)
	tests := []struct {
		name string
		v    any
		uint *uint64 // uintAt's value, when it is an unsigned integer
		bin  []byte  // binAt's value, when it is a binary
	}{
		{"fixint", 5, ptr(5), nil},
		{"uint8", 200, ptr(200), nil},
		{"uint16", 60000, ptr(60000), nil},
		{"uint32", uint32(4_000_000_000), ptr(4_000_000_000), nil},
		{"uint64", uint64(1 << 40), ptr(1 << 40), nil},
		{"negative", -3, nil, nil},
		{"int32", -100000, nil, nil},
		{"float64", 3.5, nil, nil},
		{"float32", float32(1.5), nil, nil},
		{"nil", nil, nil, nil},
		{"bool", true, nil, nil},
		{"fixstr", "pen", nil, nil},
		{"str8", string(bytes.Repeat([]byte{'a'}, 40)), nil, nil},
		{"bin8", []byte{1, 2, 3}, nil, []byte{1, 2, 3}},
		{"bin16", long[:300], nil, long[:300]},
		{"bin32", long, nil, long},
		{"event", []any{2, uint32(9), long[:16], "pen", "#1e1e1e", 3, long[:800]}, nil, nil},
		{"array16", make([]any, 20), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := encode(t, tt.v)
			n, err := skip(append(b, 0xc0)) // a following value is not part of this one
			if err != nil || n != len(b) {
				t.Fatalf("skip = %d, %v; want %d", n, err, len(b))
			}
			if _, err := skip(b[:len(b)-1]); err == nil {
				t.Errorf("skip accepted a truncated value")
			}
			if tt.uint != nil {
				if v, n, err := uintAt(b); err != nil || v != *tt.uint || n != len(b) {
					t.Errorf("uintAt = %d, %d, %v; want %d", v, n, err, *tt.uint)
				}
			}
			if tt.bin != nil {
				if v, n, err := binAt(b); err != nil || !bytes.Equal(v, tt.bin) || n != len(b) {
					t.Errorf("binAt = %d bytes, %d, %v; want %d bytes", len(v), n, err, len(tt.bin))
				}
			}
		})
	}
}

func ptr(v uint64) *uint64 { return &v }
