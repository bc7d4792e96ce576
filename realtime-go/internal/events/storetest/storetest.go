// Package storetest is the contract suite of events.Store: the rules of package events applied through
// a store, and the store's reads. Every store runs it: memstore in package events' tests, PostgreSQL in
// package postgres'.
package storetest

import (
	"testing"

	"github.com/infidraw/infidraw/realtime-go/internal/events"
)

// Run runs the suite against store. Every case draws its own rooms, authors and ids, so that a store
// that keeps data between runs (a database) needs no cleaning and the cases run in parallel.
func Run(t *testing.T, store events.Store) {
	t.Run("rules", func(t *testing.T) {
		for _, tc := range ruleCases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				tc.run(t, store)
			})
		}
	})
	t.Run("pages", func(t *testing.T) {
		t.Parallel()
		testPages(t, store)
	})
	t.Run("author changes", func(t *testing.T) {
		t.Parallel()
		testAuthorChanges(t, store)
	})
	t.Run("purge", func(t *testing.T) {
		t.Parallel()
		testPurge(t, store)
	})
}
