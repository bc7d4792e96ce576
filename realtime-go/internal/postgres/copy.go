package postgres

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
)

// copyIn is the data of one COPY ... FROM STDIN (FORMAT binary), encoded by hand. pgx's CopyFrom takes
// rows as []any and plans an encoding per value; for google/uuid values that goes through driver.Valuer
// (UUID to text and back), which made encoding half of realtime-go's CPU at full ingest load. Here each
// field is appended in its binary wire form (PostgreSQL's send functions) straight into one buffer.
//
// A row is started with row() and must then get exactly the fields of the statement's columns, in order.
type copyIn struct {
	sql    string
	fields int16
	buf    []byte
	rows   int
}

// copyHeader starts every binary COPY: the signature, flags 0 and no header extension.
var copyHeader = []byte("PGCOPY\n\377\r\n\000\000\000\000\000\000\000\000\000")

// pgEpoch is the zero of PostgreSQL's timestamps.
var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// uuidOID is the type of the elements of a uuid[] (pg_type.oid of uuid).
const uuidOID = 2950

// newCopyIn prepares a COPY into table with columns, with room for size bytes of rows.
func newCopyIn(table string, columns []string, size int) *copyIn {
	c := &copyIn{
		sql:    fmt.Sprintf("copy %s (%s) from stdin (format binary)", table, strings.Join(columns, ", ")),
		fields: int16(len(columns)),
		buf:    make([]byte, 0, len(copyHeader)+size+2),
	}
	c.buf = append(c.buf, copyHeader...)
	return c
}

func (c *copyIn) row() *copyIn {
	c.rows++
	c.buf = binary.BigEndian.AppendUint16(c.buf, uint16(c.fields))
	return c
}

func (c *copyIn) uuid(u uuid.UUID) *copyIn {
	c.buf = binary.BigEndian.AppendUint32(c.buf, 16)
	c.buf = append(c.buf, u[:]...)
	return c
}

func (c *copyIn) int16(v int16) *copyIn {
	c.buf = binary.BigEndian.AppendUint32(c.buf, 2)
	c.buf = binary.BigEndian.AppendUint16(c.buf, uint16(v))
	return c
}

func (c *copyIn) int32(v int32) *copyIn {
	c.buf = binary.BigEndian.AppendUint32(c.buf, 4)
	c.buf = binary.BigEndian.AppendUint32(c.buf, uint32(v))
	return c
}

func (c *copyIn) int64(v int64) *copyIn {
	c.buf = binary.BigEndian.AppendUint32(c.buf, 8)
	c.buf = binary.BigEndian.AppendUint64(c.buf, uint64(v))
	return c
}

func (c *copyIn) bool(v bool) *copyIn {
	c.buf = binary.BigEndian.AppendUint32(c.buf, 1)
	if v {
		return c.byte(1)
	}
	return c.byte(0)
}

func (c *copyIn) byte(b byte) *copyIn {
	c.buf = append(c.buf, b)
	return c
}

func (c *copyIn) bytea(b []byte) *copyIn {
	c.buf = binary.BigEndian.AppendUint32(c.buf, uint32(len(b)))
	c.buf = append(c.buf, b...)
	return c
}

// timestamptz appends t as microseconds since 2000-01-01 UTC.
func (c *copyIn) timestamptz(t time.Time) *copyIn {
	return c.int64(t.Sub(pgEpoch).Microseconds())
}

// uuidArray appends a one-dimensional uuid[] without nulls (zero dimensions when empty, as
// PostgreSQL encodes '{}').
func (c *copyIn) uuidArray(ids []uuid.UUID) *copyIn {
	dims, size := uint32(0), 12
	if len(ids) > 0 {
		dims, size = 1, 20+20*len(ids)
	}
	c.buf = binary.BigEndian.AppendUint32(c.buf, uint32(size))
	c.buf = binary.BigEndian.AppendUint32(c.buf, dims)
	c.buf = binary.BigEndian.AppendUint32(c.buf, 0) // has nulls
	c.buf = binary.BigEndian.AppendUint32(c.buf, uuidOID)
	if dims == 1 {
		c.buf = binary.BigEndian.AppendUint32(c.buf, uint32(len(ids)))
		c.buf = binary.BigEndian.AppendUint32(c.buf, 1) // lower bound
		for _, id := range ids {
			c.uuid(id)
		}
	}
	return c
}

// send runs the COPY on conn, or nothing when no row was added.
func (c *copyIn) send(ctx context.Context, conn *pgconn.PgConn) error {
	if c.rows == 0 {
		return nil
	}
	c.buf = binary.BigEndian.AppendUint16(c.buf, 0xffff) // trailer: a field count of -1
	if _, err := conn.CopyFrom(ctx, bytes.NewReader(c.buf), c.sql); err != nil {
		return fmt.Errorf("%s: %w", c.sql, err)
	}
	return nil
}
