package postgres

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// The expected bytes are PostgreSQL's binary send format of each type (length first), as documented
// for COPY BINARY and produced by uuid_send, int2send, int4send, int8send, boolsend, byteasend,
// timestamptz_send and array_send.
func TestCopyInFields(t *testing.T) {
	id := uuid.MustParse("00112233-4455-6677-8899-aabbccddeeff")
	idHex := "00112233445566778899aabbccddeeff"
	for _, tc := range []struct {
		name string
		add  func(c *copyIn)
		want string
	}{
		{"uuid", func(c *copyIn) { c.uuid(id) }, "00000010" + idHex},
		{"int16 negative", func(c *copyIn) { c.int16(-2) }, "00000002 fffe"},
		{"int32", func(c *copyIn) { c.int32(0x01020304) }, "00000004 01020304"},
		{"int32 negative", func(c *copyIn) { c.int32(-1) }, "00000004 ffffffff"},
		{"int64", func(c *copyIn) { c.int64(1 << 40) }, "00000008 0000010000000000"},
		{"bool true", func(c *copyIn) { c.bool(true) }, "00000001 01"},
		{"bool false", func(c *copyIn) { c.bool(false) }, "00000001 00"},
		{"bytea", func(c *copyIn) { c.bytea([]byte{0xca, 0xfe}) }, "00000002 cafe"},
		{"bytea empty", func(c *copyIn) { c.bytea(nil) }, "00000000"},
		{"timestamptz at the epoch", func(c *copyIn) { c.timestamptz(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)) }, "00000008 0000000000000000"},
		{"timestamptz in another zone", func(c *copyIn) {
			c.timestamptz(time.Date(2000, 1, 1, 1, 0, 1, 500, time.FixedZone("CET", 3600)))
		}, "00000008 00000000000f4240"},
		{"timestamptz before the epoch", func(c *copyIn) { c.timestamptz(time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC)) }, "00000008 fffffffffff0bdc0"},
		{"uuid array", func(c *copyIn) { c.uuidArray([]uuid.UUID{id, id}) }, "0000003c 00000001 00000000 00000b86 00000002 00000001" +
			"00000010" + idHex + "00000010" + idHex},
		{"empty uuid array", func(c *copyIn) { c.uuidArray(nil) }, "0000000c 00000000 00000000 00000b86"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCopyIn("t", []string{"a"}, 0)
			tc.add(c)
			got := c.buf[len(copyHeader):]
			want, err := hex.DecodeString(strings.ReplaceAll(tc.want, " ", ""))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("got %x, want %x", got, want)
			}
		})
	}
}

func TestCopyInRows(t *testing.T) {
	c := newCopyIn("tile_events", []string{"level", "tx"}, 0)
	if c.sql != "copy tile_events (level, tx) from stdin (format binary)" {
		t.Fatalf("statement %q", c.sql)
	}
	c.row().int16(3).int32(7)
	c.row().int16(4).int32(8)
	want := "5047434f50590aff0d0a00" + "00000000" + "00000000" + // signature, flags, header extension
		"0002" + "00000002 0003" + "00000004 00000007" +
		"0002" + "00000002 0004" + "00000004 00000008"
	if got := hex.EncodeToString(c.buf); got != strings.ReplaceAll(want, " ", "") {
		t.Fatalf("got %s, want %s", got, want)
	}
	if c.rows != 2 {
		t.Fatalf("rows %d, want 2", c.rows)
	}
}
