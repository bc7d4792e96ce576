package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	roomv1 "github.com/infidraw/infidraw/gen/go/infidraw/room/v1"
	"github.com/infidraw/infidraw/realtime-go/internal/access"
)

// Token contract (docs/contracts.md).
const (
	Issuer      = "infidraw-gateway"
	Audience    = "infidraw-realtime"
	MaxLifetime = 300 * time.Second
	ClockSkew   = 5 * time.Second
)

// Claims of a room token.
type Claims struct {
	jwt.RegisteredClaims
	Room string `json:"room"`
	Role string `json:"role"`
	Name string `json:"name"`
	// Session is the id of the session that asked for the token.
	Session string `json:"sid"`
	// Link is the id of the share link the access came through; empty otherwise.
	Link string `json:"lnk"`
	// Access maps each scope the access depends on to its version when the token was issued.
	Access map[string]int64 `json:"acc"`
	// AccessExpiry is when the access itself ends (its session or share link expires).
	AccessExpiry *jwt.NumericDate `json:"axp"`
}

// Grant is what a valid token allows.
type Grant struct {
	UserID string
	Room   uuid.UUID
	Role   roomv1.Role
	Name   string
	// Access is what Join and the live connection check against the current access versions.
	Access access.Access
}

// ErrToken is wrapped by every rejection.
var ErrToken = errors.New("invalid room token")

// Verifier checks room tokens.
type Verifier struct {
	Keys KeySource
	Now  func() time.Time
}

// Verify checks signature, issuer, audience, lifetime and claims, and returns the grant.
func (v *Verifier) Verify(ctx context.Context, token string) (Grant, error) {
	var c Claims
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithIssuer(Issuer), jwt.WithAudience(Audience),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithLeeway(ClockSkew), jwt.WithTimeFunc(v.Now))
	_, err := parser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		return v.Keys.Key(ctx, kid)
	})
	if err != nil {
		return Grant{}, fmt.Errorf("%w: %v", ErrToken, err)
	}
	if c.IssuedAt == nil || c.ExpiresAt.Sub(c.IssuedAt.Time) > MaxLifetime {
		return Grant{}, fmt.Errorf("%w: lifetime over %s", ErrToken, MaxLifetime)
	}
	room, err := uuid.Parse(c.Room)
	if err != nil {
		return Grant{}, fmt.Errorf("%w: room claim %q", ErrToken, c.Room)
	}
	if _, err := uuid.Parse(c.Subject); err != nil {
		return Grant{}, fmt.Errorf("%w: sub claim %q", ErrToken, c.Subject)
	}
	acc, err := c.access(room)
	if err != nil {
		return Grant{}, err
	}
	var role roomv1.Role
	switch c.Role {
	case "viewer":
		role = roomv1.Role_ROLE_VIEWER
	case "editor":
		role = roomv1.Role_ROLE_EDITOR
	case "owner":
		role = roomv1.Role_ROLE_OWNER
	default:
		return Grant{}, fmt.Errorf("%w: role claim %q", ErrToken, c.Role)
	}
	name := strings.ToValidUTF8(c.Name, "")
	if r := []rune(name); len(r) > 64 {
		name = string(r[:64])
	}
	return Grant{UserID: c.Subject, Room: room, Role: role, Name: name, Access: acc}, nil
}

// access checks that acc names a version of every scope the token's access depends on, so that no change
// to one of them can go unnoticed, and returns it.
func (c *Claims) access(room uuid.UUID) (access.Access, error) {
	if _, err := uuid.Parse(c.Session); err != nil {
		return access.Access{}, fmt.Errorf("%w: sid claim %q", ErrToken, c.Session)
	}
	required := []string{access.RoomScope(room), access.MemberScope(room, c.Subject), access.SessionScope(c.Session)}
	if c.Link != "" {
		if _, err := uuid.Parse(c.Link); err != nil {
			return access.Access{}, fmt.Errorf("%w: lnk claim %q", ErrToken, c.Link)
		}
		required = append(required, access.LinkScope(c.Link))
	}
	for _, s := range required {
		if v, ok := c.Access[s]; !ok || v < 0 {
			return access.Access{}, fmt.Errorf("%w: acc claim has no version of %s", ErrToken, s)
		}
	}
	a := access.Access{Versions: c.Access}
	if c.AccessExpiry != nil {
		a.Ends = c.AccessExpiry.Time
	}
	return a, nil
}
