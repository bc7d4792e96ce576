package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	tilev1 "github.com/infidraw/infidraw/gen/go/infidraw/tile/v1"
	"github.com/infidraw/infidraw/shared-go/localtest"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// These tests run the real neighbours as processes: realtime-go (which writes the events and the tile
// index) and snapshot-rs (which renders), from the binaries `make test` builds.

func binary(t *testing.T, env, fallback string) string {
	t.Helper()
	p := os.Getenv(env)
	if p == "" {
		p = fallback
	}
	abs, _ := filepath.Abs(p)
	if _, err := os.Stat(abs); err != nil {
		t.Fatalf("%s: %v (make test builds it; or set %s)", abs, err, env)
	}
	return abs
}

// proc is a neighbour running as a process; it can be killed and started again on the same ports.
type proc struct {
	t    *testing.T
	bin  string
	env  []string
	cmd  *exec.Cmd
	logs bytes.Buffer
}

func startProcess(t *testing.T, bin string, env ...string) *proc {
	t.Helper()
	p := &proc{t: t, bin: bin, env: env}
	p.start()
	t.Cleanup(func() {
		if p.cmd != nil {
			_ = p.cmd.Process.Signal(os.Interrupt)
			_ = p.cmd.Wait()
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(bin), p.logs.String())
		}
	})
	return p
}

func (p *proc) start() {
	p.t.Helper()
	cmd := exec.Command(p.bin)
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdout, cmd.Stderr = &p.logs, &p.logs
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.cmd = cmd
}

// kill ends the process at once (SIGKILL), as a crash would.
func (p *proc) kill() {
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
	p.cmd = nil
}
func dial(t *testing.T, addr string, creds credentials.TransportCredentials) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

type stack struct {
	realtime     realtimev1.RealtimeServiceClient
	tiles        tilev1.TileDeltaServiceClient
	tileGRPC     string // gRPC address of tile-delta-go
	snapshot     string // gRPC address of snapshot-rs
	snapshotHTTP string
	snapshotProc *proc
	tileHTTP     string
	objects      string // directory of the file object store
	db           string // URL of the test's database
}

// testDBs holds the database of each top-level test (subtests share their parent's).
var testDBs sync.Map

// testDB returns the test's own database (localtest.Database), created on the first call: its stacks'
// tile-delta-go follows only the rooms of this test. The first call must come from the top-level test,
// which owns (and at its end drops) the database.
func testDB(t *testing.T) string {
	t.Helper()
	top, _, _ := strings.Cut(t.Name(), "/")
	if db, ok := testDBs.Load(top); ok {
		return db.(string)
	}
	db := localtest.Database(t)
	testDBs.Store(top, db)
	t.Cleanup(func() { testDBs.Delete(top) })
	return db
}

// stackOptions add environment to each service, and give the credentials the test's clients (in the
// gateway's place) dial with; nil means plaintext.
type stackOptions struct {
	snapshot, realtime, tileDelta []string
	creds                         credentials.TransportCredentials
}

// startStack runs snapshot-rs, realtime-go and tile-delta-go (in process, with env added to its
// configuration).
func startStack(t *testing.T, env ...string) *stack {
	t.Helper()
	return startStackWith(t, stackOptions{tileDelta: env})
}

func startStackWith(t *testing.T, o stackOptions) *stack {
	t.Helper()
	db, rd := testDB(t), os.Getenv("REDIS_URL")
	if rd == "" {
		t.Fatal("REDIS_URL must point at the backing Redis (make test starts it)")
	}
	if o.creds == nil {
		o.creds = insecure.NewCredentials()
	}
	snapHTTP, snapGRPC := freeAddr(t), freeAddr(t)
	snap := startProcess(t, binary(t, "SNAPSHOT_BIN", "../../../target/release/snapshot-server"),
		append([]string{"SNAPSHOT_HTTP_LISTEN=" + snapHTTP, "SNAPSHOT_GRPC_LISTEN=" + snapGRPC, "LOG_LEVEL=warn"}, o.snapshot...)...)
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	rtHTTP, rtGRPC := freeAddr(t), freeAddr(t)
	startProcess(t, binary(t, "REALTIME_BIN", "../../../bin/realtime-go"),
		append([]string{"DATABASE_URL=" + db, "REDIS_URL=" + rd, "REALTIME_HTTP_LISTEN=" + rtHTTP, "REALTIME_GRPC_LISTEN=" + rtGRPC, "LOG_LEVEL=warn",
			fmt.Sprintf(`REALTIME_DEV_JWKS={"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k","x":%q}]}`, base64.RawURLEncoding.EncodeToString(pub))},
			o.realtime...)...)
	tdHTTP, tdGRPC := freeAddr(t), freeAddr(t)
	objects := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, append([]string{"DATABASE_URL=" + db, "SNAPSHOT_TARGET=" + snapGRPC,
			"TILE_DELTA_HTTP_LISTEN=" + tdHTTP, "TILE_DELTA_GRPC_LISTEN=" + tdGRPC, "LOG_LEVEL=warn",
			"OBJECT_STORE_URL=file://" + objects}, o.tileDelta...))
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("tile-delta exited: %v", err)
		}
	})
	waitHealthy(t, snapHTTP)
	waitHealthy(t, rtHTTP)
	waitHealthy(t, tdHTTP)
	return &stack{realtime: realtimev1.NewRealtimeServiceClient(dial(t, rtGRPC, o.creds)), tiles: tilev1.NewTileDeltaServiceClient(dial(t, tdGRPC, o.creds)),
		tileGRPC: tdGRPC, snapshot: snapGRPC, snapshotHTTP: snapHTTP, snapshotProc: snap, tileHTTP: tdHTTP, objects: objects, db: db}
}

// line is a pen stroke from (x0, y0) to (x1, y1) in world units, width in world units.
func line(x0, y0, x1, y1 int64, width uint32) *strokev1.Stroke {
	id := uuid.New()
	pts := []strokes.Point{{X: x0 * 100, Y: y0 * 100, Pressure: strokes.DefaultPressure}, {X: x1 * 100, Y: y1 * 100, Pressure: strokes.DefaultPressure}}
	q, p, pr := strokes.EncodePoints(pts)
	return &strokev1.Stroke{Id: id[:], Tool: strokev1.Tool_TOOL_PEN, Rgba: 0x0000ffff, Width: width * 100, Quantum: q, Points: p, Pressures: pr}
}

// The foundation's wire: a stroke committed through realtime-go is read back as a tile by
// tile-delta-go and rendered by snapshot-rs into a valid PNG that shows it.
func TestStrokeBecomesARenderedTile(t *testing.T) {
	s := startStack(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	room := uuid.New()
	stroke := line(20, 128, 236, 128, 8) // across the middle of tile (0, 0, 0)
	if _, err := s.realtime.IngestStrokes(ctx, &realtimev1.IngestStrokesRequest{RoomId: room.String(), AuthorId: uuid.NewString(), Strokes: []*strokev1.Stroke{stroke}}); err != nil {
		t.Fatal(err)
	}

	got, err := s.tiles.GetTiles(ctx, &tilev1.GetTilesRequest{RoomId: room.String(), Level: 0,
		Selection: &tilev1.GetTilesRequest_Viewport{Viewport: &tilev1.Viewport{MinX: -51200, MinY: -51200, MaxX: 51200, MaxY: 51200}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.GetTiles()) != 1 || got.GetTiles()[0].GetCoord().GetX() != 0 || got.GetTiles()[0].GetCoord().GetY() != 0 ||
		!bytes.Equal(got.GetTiles()[0].GetStrokes()[0].GetId(), stroke.GetId()) || got.GetHeadSeq() != 1 {
		t.Fatalf("tiles of a one-stroke room: %+v", got)
	}

	r, err := s.tiles.RenderTile(ctx, &tilev1.RenderTileRequest{RoomId: room.String(), Coord: &tilev1.TileCoord{Level: 0, X: 0, Y: 0}})
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(r.GetPng()))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 256 || b.Dy() != 256 {
		t.Fatalf("tile is %v, want 256x256", b)
	}
	// Blue ink on the stroke, nothing far from it.
	if _, _, bl, a := img.At(128, 128).RGBA(); a < 0xf000 || bl < 0xf000 {
		t.Fatalf("pixel on the stroke is not opaque blue: a=%x b=%x", a, bl)
	}
	if _, _, _, a := img.At(128, 40).RGBA(); a != 0 {
		t.Fatalf("pixel far from the stroke is not transparent: a=%x", a)
	}
	if r.GetRenderer() != "snapshot-rs" || r.GetCoversSeq() != 1 {
		t.Fatalf("renderer %q covers %d", r.GetRenderer(), r.GetCoversSeq())
	}
}

// Bad requests get InvalidArgument with a message.
func TestGetTilesRejectsBadRequests(t *testing.T) {
	s := startStack(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	room := uuid.NewString()
	vp := func(level uint32, v *tilev1.Viewport) *tilev1.GetTilesRequest {
		return &tilev1.GetTilesRequest{RoomId: room, Level: level, Selection: &tilev1.GetTilesRequest_Viewport{Viewport: v}}
	}
	tests := map[string]*tilev1.GetTilesRequest{
		"room not a uuid":      {RoomId: "x", Selection: &tilev1.GetTilesRequest_Viewport{Viewport: &tilev1.Viewport{MaxX: 1, MaxY: 1}}},
		"no selection":         {RoomId: room},
		"empty viewport":       vp(0, &tilev1.Viewport{}),
		"too many tiles":       vp(0, &tilev1.Viewport{MaxX: 100 * 25600, MaxY: 100 * 25600}),
		"level beyond pyramid": vp(17, &tilev1.Viewport{MaxX: 1, MaxY: 1}),
		"outside the world":    vp(16, &tilev1.Viewport{MinX: -4e9, MaxX: 1, MaxY: 1}),
	}
	for name, req := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := s.tiles.GetTiles(ctx, req)
			if err == nil || grpcCode(err) != "InvalidArgument" {
				t.Fatalf("err = %v, want InvalidArgument", err)
			}
		})
	}
}

func freeAddr(t *testing.T) string { return localtest.FreeAddr(t) }

func waitHealthy(t *testing.T, addr string) { localtest.WaitHealthy(t, addr, 30*time.Second) }
