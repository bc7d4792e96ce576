package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	"github.com/infidraw/infidraw/realtime-go/client"
	"github.com/infidraw/infidraw/realtime-go/internal/access"
	"github.com/infidraw/infidraw/shared-go/localtest"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// The tests run real replicas (in-process through run, or as a separate process for kill -9) against
// the PostgreSQL and Redis that `make test` starts; TEST_DATABASE_URL and REDIS_URL point at them.

var signingKey ed25519.PrivateKey

func devJWKS() string {
	pub := signingKey.Public().(ed25519.PublicKey)
	return fmt.Sprintf(`{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"test","x":%q}]}`, base64.RawURLEncoding.EncodeToString(pub))
}

func TestMain(m *testing.M) {
	_, signingKey, _ = ed25519.GenerateKey(rand.Reader)
	if os.Getenv("TEST_DATABASE_URL") == "" || os.Getenv("REDIS_URL") == "" {
		fmt.Fprintln(os.Stderr, "TEST_DATABASE_URL and REDIS_URL must point at the backing services (make test starts them)")
		os.Exit(1)
	}
	os.Exit(m.Run())
}

type tokenOpts struct {
	user, role string
	room       uuid.UUID
	ttl        time.Duration
	issuedAgo  time.Duration
	// session defaults to a fresh id; link is set for access through a share link.
	session, link string
	// acc defaults to version 0 of every scope the token names (none was ever bumped).
	acc map[string]int64
	// axp is when the access ends; zero for none.
	axp time.Time
}

func token(t *testing.T, o tokenOpts) string {
	t.Helper()
	if o.ttl == 0 {
		o.ttl = time.Minute
	}
	if o.session == "" {
		o.session = uuid.NewString()
	}
	if o.acc == nil {
		o.acc = map[string]int64{access.RoomScope(o.room): 0, access.MemberScope(o.room, o.user): 0, access.SessionScope(o.session): 0}
		if o.link != "" {
			o.acc[access.LinkScope(o.link)] = 0
		}
	}
	iat := time.Now().Add(-o.issuedAgo)
	claims := jwt.MapClaims{
		"iss": "infidraw-gateway", "aud": "infidraw-realtime", "sub": o.user, "room": o.room.String(),
		"role": o.role, "name": "tester", "iat": iat.Unix(), "exp": iat.Add(o.ttl).Unix(), "jti": uuid.NewString(),
		"sid": o.session, "acc": o.acc,
	}
	if o.link != "" {
		claims["lnk"] = o.link
	}
	if !o.axp.IsZero() {
		claims["axp"] = o.axp.Unix()
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	tok.Header["kid"] = "test"
	s, err := tok.SignedString(signingKey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type replica struct {
	httpAddr, grpcAddr string
	stop               context.CancelFunc
	done               chan error
}

func (r *replica) wsURL() string { return "ws://" + r.httpAddr + "/ws" }

func replicaEnv(httpAddr, grpcAddr string, extra ...string) []string {
	return append([]string{
		"DATABASE_URL=" + os.Getenv("TEST_DATABASE_URL"), "REDIS_URL=" + os.Getenv("REDIS_URL"),
		"REALTIME_HTTP_LISTEN=" + httpAddr, "REALTIME_GRPC_LISTEN=" + grpcAddr,
		"REALTIME_DEV_JWKS=" + devJWKS(), "REALTIME_ALLOWED_ORIGINS=http://good.example", "LOG_LEVEL=warn",
	}, extra...)
}

// startReplica runs realtime-go in this process until the test ends.
func startReplica(t *testing.T, extra ...string) *replica {
	t.Helper()
	r := &replica{httpAddr: freeAddr(t), grpcAddr: freeAddr(t), done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	r.stop = cancel
	go func() { r.done <- run(ctx, nil, replicaEnv(r.httpAddr, r.grpcAddr, extra...)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-r.done; err != nil {
			t.Errorf("replica exited: %v", err)
		}
	})
	waitHealthy(t, r.httpAddr)
	return r
}
func dial(t *testing.T, r *replica, room uuid.UUID, user, role string, lastSeq uint64, opts client.Options) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, r.wsURL(), room.String(), token(t, tokenOpts{user: user, role: role, room: room}), lastSeq, opts)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func grpcClient(t *testing.T, addr string) realtimev1.RealtimeServiceClient {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return realtimev1.NewRealtimeServiceClient(conn)
}

// scribble is a stroke of n points starting at (x, y) world units.
func scribble(x, y int64, n int) []strokes.Point {
	pts := make([]strokes.Point, n)
	for i := range pts {
		pts[i] = strokes.Point{X: (x + int64(i*3)) * 100, Y: (y + int64(i%7)) * 100, Pressure: strokes.DefaultPressure}
	}
	return pts
}

func commit(ctx context.Context, c *client.Client, pts []strokes.Point) (client.Reply, []byte, error) {
	s := client.PenStroke(pts, 300, 0x112233ff)
	r, err := c.Request(ctx, &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_CommitStroke{CommitStroke: &realtimev1.CommitStroke{Stroke: s}}})
	return r, s.GetId(), err
}

func strokeIDOf(evID []byte) string { return strings.ToLower(uuid.UUID(evID).String()) }

func mustUnmarshal(b []byte, m proto.Message) error { return proto.Unmarshal(b, m) }

func conn(t *testing.T) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), os.Getenv("TEST_DATABASE_URL"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func freeAddr(t *testing.T) string { return localtest.FreeAddr(t) }

func waitHealthy(t *testing.T, addr string) { localtest.WaitHealthy(t, addr, 30*time.Second) }
