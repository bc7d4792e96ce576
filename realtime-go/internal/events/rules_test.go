package events_test

import (
	"testing"

	"github.com/infidraw/infidraw/realtime-go/internal/events/memstore"
	"github.com/infidraw/infidraw/realtime-go/internal/events/storetest"
)

// The rules, case by case, against the in-memory store (package postgres runs the same suite against
// PostgreSQL).
func TestRules(t *testing.T) {
	storetest.Run(t, memstore.New())
}
