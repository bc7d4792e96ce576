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
}

// Grant is what a valid token allows.
type Grant struct {
	UserID string
	Room   uuid.UUID
	Role   roomv1.Role
	Name   string
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
	return Grant{UserID: c.Subject, Room: room, Role: role, Name: name}, nil
}
