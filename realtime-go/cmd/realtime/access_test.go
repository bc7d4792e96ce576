package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	"github.com/infidraw/infidraw/realtime-go/client"
	"github.com/infidraw/infidraw/realtime-go/internal/access"
)

// revocationDeadline is how soon after access is taken away its live connections must end (issue 12).
const revocationDeadline = 2 * time.Second

// bump gives a scope a new access version the way the gateway does, and returns when it started.
func bump(t *testing.T, db *pgx.Conn, scope string) time.Time {
	t.Helper()
	started := time.Now()
	if _, err := db.Exec(context.Background(), `insert into access_versions (scope, version, changed_at)
		values ($1, nextval('access_version_seq'), clock_timestamp())
		on conflict (scope) do update set version = nextval('access_version_seq'), changed_at = clock_timestamp()`, scope); err != nil {
		t.Fatal(err)
	}
	return started
}

// endedWithin waits until c is closed by the server by the deadline and checks it said ACCESS_REVOKED.
func endedWithin(t *testing.T, c *client.Client, deadline time.Time) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(time.Until(deadline)):
		t.Fatalf("still connected %s after the change", revocationDeadline)
	}
	if f := c.Final(); f.GetCode() != realtimev1.ErrorCode_ERROR_CODE_ACCESS_REVOKED || !f.GetFatal() {
		t.Fatalf("closed with %+v, want a fatal ACCESS_REVOKED", f)
	}
}

// refused checks that a new Join with tok is refused with code.
func refused(t *testing.T, r *replica, room uuid.UUID, tok string, code realtimev1.ErrorCode) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, r.wsURL(), room.String(), tok, 0, client.Options{})
	var se *client.ServerError
	if !errors.As(err, &se) || se.Err.GetCode() != code {
		if c != nil {
			_ = c.Close()
		}
		t.Fatalf("join: %v, want %s", err, code)
	}
}

// A bump of any scope a token holds ends, on every replica, the connections admitted with it within
// 2 s, and refuses the token for a new Join; a token issued after the bump (holding the new version) is
// admitted, and the bump ends no connection that does not depend on the scope.
func TestAccessBumpEndsConnectionsAndTokens(t *testing.T) {
	a, b := startReplica(t), startReplica(t)
	db := conn(t)
	tests := []struct {
		name  string
		scope func(room uuid.UUID, user, session, link string) string
		// endsBystander: the scope is shared with another member of the room (deleting the room).
		endsBystander bool
	}{
		{"room deleted", func(room uuid.UUID, _, _, _ string) string { return access.RoomScope(room) }, true},
		{"member removed or role changed", func(room uuid.UUID, user, _, _ string) string { return access.MemberScope(room, user) }, false},
		{"session logged out or revoked", func(_ uuid.UUID, _, session, _ string) string { return access.SessionScope(session) }, false},
		{"share link revoked", func(_ uuid.UUID, _, _, link string) string { return access.LinkScope(link) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			room := uuid.New()
			user, session, link := uuid.NewString(), uuid.NewString(), uuid.NewString()
			opts := tokenOpts{user: user, role: "editor", room: room, session: session, link: link}
			tok := token(t, opts)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var live []*client.Client
			for _, r := range []*replica{a, b} {
				c, err := client.Dial(ctx, r.wsURL(), room.String(), tok, 0, client.Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = c.Close() })
				live = append(live, c)
			}
			bystander := dial(t, a, room, uuid.NewString(), "editor", 0, client.Options{})

			scope := tt.scope(room, user, session, link)
			deadline := bump(t, db, scope).Add(revocationDeadline)
			for _, c := range live {
				endedWithin(t, c, deadline)
			}
			if tt.endsBystander {
				endedWithin(t, bystander, deadline)
			} else if rep, _, err := commit(ctx, bystander, scribble(0, 0, 3)); err != nil || rep.Ack == nil {
				t.Fatalf("a connection that does not depend on %s was touched: %v %+v", scope, err, rep)
			}
			refused(t, a, room, tok, realtimev1.ErrorCode_ERROR_CODE_ACCESS_REVOKED)
			refused(t, b, room, tok, realtimev1.ErrorCode_ERROR_CODE_ACCESS_REVOKED)

			// What the gateway issues after the change holds the new version and is admitted.
			var version int64
			if err := db.QueryRow(ctx, `select version from access_versions where scope = $1`, scope).Scan(&version); err != nil {
				t.Fatal(err)
			}
			opts.acc = map[string]int64{access.RoomScope(room): 0, access.MemberScope(room, user): 0, access.SessionScope(session): 0, access.LinkScope(link): 0}
			opts.acc[scope] = version
			again, err := client.Dial(ctx, b.wsURL(), room.String(), token(t, opts), 0, client.Options{})
			if err != nil {
				t.Fatalf("a token holding the current version: %v", err)
			}
			_ = again.Close()
		})
	}
}

// The access ends at the token's axp (a share link or session that expires): the live connection is
// ended then, and the token is refused afterwards.
func TestAccessExpiryEndsConnection(t *testing.T) {
	r := startReplica(t)
	room := uuid.New()
	user := uuid.NewString()
	ends := time.Unix(time.Now().Unix()+2, 0) // axp has whole seconds
	tok := token(t, tokenOpts{user: user, role: "viewer", room: room, link: uuid.NewString(), axp: ends})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, r.wsURL(), room.String(), tok, 0, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	endedWithin(t, c, ends.Add(revocationDeadline))
	if ended := time.Now(); ended.Before(ends) {
		t.Fatalf("ended at %s, before the access expired at %s", ended, ends)
	}
	if c.Final().GetMessage() != access.ReasonExpired {
		t.Fatalf("message %q", c.Final().GetMessage())
	}
	refused(t, r, room, tok, realtimev1.ErrorCode_ERROR_CODE_ACCESS_REVOKED)
}
