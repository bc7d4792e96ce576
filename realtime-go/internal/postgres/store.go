// Package postgres stores room events in PostgreSQL: one transaction per batch of commands under the
// lock of each room's head row, the lookups the rules of package events name read in one pipelined round
// trip, and their decisions written with COPY. The rules themselves live in package events.
package postgres

import (
	"context"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Store implements events.Store.
type Store struct {
	pool *pgxpool.Pool
	log  *slog.Logger
}

// NewStore wraps a pool; log receives what a batch stored differently from what it was asked.
func NewStore(pool *pgxpool.Pool, log *slog.Logger) *Store { return &Store{pool: pool, log: log} }

// Ping checks the database for readiness.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }
