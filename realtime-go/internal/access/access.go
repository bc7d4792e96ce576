// Package access decides whether the access a room token was issued for still holds (docs/contracts.md,
// "Room tokens"). The gateway bumps a version per scope (a room, a membership, a session, a share link) in
// the transaction of every change that takes access away, and signs into each token the versions it read
// together with the role. A token whose scopes have moved on since is refused at Join, and a connection
// admitted with it is ended within one poll; a token also names when the access itself expires.
//
// Versions live in PostgreSQL, next to the rows whose changes they record: a version read in the snapshot
// that read the role can never be newer than that role, and the check fails closed (a Join is refused
// when the versions cannot be read).
package access

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
)

// Scope names, as the gateway writes them.

// RoomScope is bumped when the room is deleted.
func RoomScope(room uuid.UUID) string { return "room:" + room.String() }

// MemberScope is bumped when the user is removed from the room or their role changes.
func MemberScope(room uuid.UUID, user string) string { return "member:" + room.String() + ":" + user }

// SessionScope is bumped when the session logs out or is revoked by a password change.
func SessionScope(session string) string { return "session:" + session }

// LinkScope is bumped when the share link is revoked.
func LinkScope(link string) string { return "link:" + link }

// Access is what a room token says about the access it was issued for.
type Access struct {
	// Versions maps every scope the access depends on to its version when the token was issued.
	Versions map[string]int64
	// Ends is when the access itself expires (its session, or the share link it came through); zero if
	// never.
	Ends time.Time
}

// ErrRevoked is wrapped by the errors of an access that has ended: a scope was bumped past the token's
// version, or the access expired.
var ErrRevoked = errors.New("your access to this room has changed or ended")

// Store reads the access versions the gateway writes.
type Store interface {
	// Versions returns the current version of each of scopes that has one; a scope never bumped (or whose
	// row was deleted long after its bump) is absent and counts as version 0.
	Versions(ctx context.Context, scopes []string) (map[string]int64, error)
	// Changed returns the scopes bumped less than `within` ago by the database's clock, with their current
	// versions.
	Changed(ctx context.Context, within time.Duration) (map[string]int64, error)
}

// scopes lists the scopes of an access.
func (a Access) scopes() []string {
	out := make([]string, 0, len(a.Versions))
	for s := range a.Versions {
		out = append(out, s)
	}
	return out
}
