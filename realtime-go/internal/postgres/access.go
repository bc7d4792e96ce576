package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// AccessVersions reads the gateway's access_versions table (access.Store; realtime-go never writes it).
type AccessVersions struct {
	pool *pgxpool.Pool
}

// NewAccessVersions wraps a pool.
func NewAccessVersions(pool *pgxpool.Pool) *AccessVersions { return &AccessVersions{pool: pool} }

// Versions implements access.Store: one probe of the primary key per scope.
func (a *AccessVersions) Versions(ctx context.Context, scopes []string) (map[string]int64, error) {
	return a.read(ctx, `select scope, version from access_versions where scope = any($1::text[])`, scopes)
}

// Changed implements access.Store: a range scan of the changed_at index.
func (a *AccessVersions) Changed(ctx context.Context, within time.Duration) (map[string]int64, error) {
	return a.read(ctx, `select scope, version from access_versions where changed_at > now() - make_interval(secs => $1)`, within.Seconds())
}

func (a *AccessVersions) read(ctx context.Context, sql string, arg any) (map[string]int64, error) {
	rows, err := a.pool.Query(ctx, sql, arg)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	var scope string
	var version int64
	_, err = pgx.ForEachRow(rows, []any{&scope, &version}, func() error {
		out[scope] = version
		return nil
	})
	return out, err
}
