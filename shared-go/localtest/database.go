package localtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Database creates a database of its own for the test, a copy of the migrated template that
// `scripts/backing.sh template` keeps (TEST_DATABASE_TEMPLATE, beside TEST_DATABASE_URL), drops it when
// the test ends, and returns its URL. Tests that start tile-delta-go need one: its follower snapshots
// every room of its database, so in a shared one it would work through the rooms every other test left.
func Database(t testing.TB) string {
	t.Helper()
	base, template := os.Getenv("TEST_DATABASE_URL"), os.Getenv("TEST_DATABASE_TEMPLATE")
	if base == "" || template == "" {
		t.Fatal("TEST_DATABASE_URL and TEST_DATABASE_TEMPLATE must be set (scripts/env.sh sets them; make test creates the template)")
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	// Named after the shared database, so that `scripts/backing.sh template` finds the ones a killed test
	// left behind.
	name := fmt.Sprintf("%s_%d_%x", strings.TrimPrefix(u.Path, "/"), os.Getpid(), rand.Uint32())
	admin := func(sql string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := admin(fmt.Sprintf("create database %s template %s", pgx.Identifier{name}.Sanitize(), pgx.Identifier{template}.Sanitize())); err != nil {
		t.Fatalf("create a database from the template %s (run scripts/backing.sh template): %v", template, err)
	}
	t.Cleanup(func() {
		if err := admin(fmt.Sprintf("drop database if exists %s with (force)", pgx.Identifier{name}.Sanitize())); err != nil {
			t.Errorf("drop the test database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}
