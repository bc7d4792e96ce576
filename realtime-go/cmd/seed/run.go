package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/realtime-go/internal/events"
	"github.com/infidraw/infidraw/realtime-go/internal/postgres"
	"github.com/infidraw/infidraw/shared-go/quickdraw"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

func run(ctx context.Context, args []string, getenv func(string) string) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	room := fs.String("room", "", "room id (UUID); required")
	n := fs.Int("strokes", 1000, "strokes to add")
	spread := fs.Int64("spread", 100_000, "side of the square, in world units centred on the origin, that drawings are placed in")
	dir := fs.String("drawings", "../shared/data/strokes/raw", "Quick, Draw! raw ndjson files")
	batch := fs.Int("batch", 5000, "strokes per transaction")
	seed := fs.Uint64("seed", 1, "random seed (placement and colours)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	roomID, err := uuid.Parse(*room)
	if err != nil {
		return fmt.Errorf("-room %q: %w", *room, err)
	}
	if *n < 1 || *batch < 1 || *spread < 1 || *spread > 2*strokes.MaxCoord/strokes.CoordScale {
		return fmt.Errorf("-strokes, -batch and -spread must be positive, -spread at most the world")
	}
	dbURL := getenv("DATABASE_URL")
	if dbURL == "" {
		return fmt.Errorf("DATABASE_URL is not set")
	}
	drawings, err := quickdraw.Load(*dir, 0)
	if err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	store := postgres.NewStore(pool, slog.New(slog.NewTextHandler(os.Stderr, nil)))

	rng := rand.New(rand.NewPCG(*seed, 0x5eed))
	author := uuid.New()
	colours := []uint32{0x1e1e1eff, 0xe03131ff, 0x1971c2ff, 0x2f9e44ff, 0xf08c00ff, 0x6741d9ff}
	start := time.Now()
	added := 0
	var cmds []events.Command
	flush := func() error {
		if len(cmds) == 0 {
			return nil
		}
		results, _, err := events.Apply(ctx, store, cmds)
		if err != nil {
			return err
		}
		for _, r := range results {
			if r.Err != nil {
				return r.Err
			}
		}
		cmds = cmds[:0]
		return nil
	}
	for added < *n {
		d := drawings[rng.IntN(len(drawings))]
		// A drawing keeps its shape; its origin lands anywhere in the square.
		ox := (rng.Int64N(*spread) - *spread/2) * strokes.CoordScale
		oy := (rng.Int64N(*spread) - *spread/2) * strokes.CoordScale
		colour := colours[rng.IntN(len(colours))]
		for _, s := range d.Strokes {
			if added == *n {
				break
			}
			pts := make([]strokes.Point, len(s))
			for i, p := range s {
				pts[i] = strokes.Point{X: ox + quickdraw.Quantize(p.X), Y: oy + quickdraw.Quantize(p.Y), Pressure: strokes.DefaultPressure}
			}
			id := uuid.New()
			q, enc, pr := strokes.EncodePoints(pts)
			v, err := strokes.Validate(&strokev1.Stroke{Id: id[:], Tool: strokev1.Tool_TOOL_PEN, Rgba: colour, Width: 300, Quantum: q, Points: enc, Pressures: pr})
			if err != nil {
				continue // a stroke the limits refuse is not seeded, as it would not be accepted live
			}
			cmds = append(cmds, events.Command{Op: events.OpAddStroke, Room: roomID, Author: author, Stroke: v, ActionID: id})
			added++
			if len(cmds) == *batch {
				if err := flush(); err != nil {
					return err
				}
				if added%(*batch*20) == 0 {
					fmt.Printf("%d strokes, %.0f/s\n", added, float64(added)/time.Since(start).Seconds())
				}
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	// Statistics of a bulk load: without them a read planned before autovacuum's next analyze (up to a
	// minute later) takes the new room for an empty one; a large-room test read planned so ran for 8 minutes.
	if _, err := pool.Exec(ctx, "analyze room_heads, stroke_events, strokes, tile_events"); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	fmt.Printf("seeded %d strokes into room %s in %.1f s (%.0f strokes/s)\n", added, roomID, time.Since(start).Seconds(), float64(added)/time.Since(start).Seconds())
	return nil
}
