// Package export renders a region of a room into one picture: it picks the pyramid level whose tile
// pixels are closest to the output scale, renders every covered tile (newest usable snapshot + delta,
// through the same renderer RenderTile uses) as it is now or as it was at a past point, draws them
// scaled into an image of the requested size and encodes it as PNG.
package export

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math"
	"sync"

	"github.com/google/uuid"
	"golang.org/x/image/draw"
	"golang.org/x/image/math/f64"
	"golang.org/x/sync/semaphore"

	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
	"github.com/infidraw/infidraw/tile-delta-go/internal/tiles"
)

// Bounds of one export besides its size (strokes.ExportMaxSide and strokes.ExportMaxPixels, which the
// gateway and the browser hold too).
const (
	// MaxTiles bounds the tiles rendered for one export. With the level chosen by rounding, a tile
	// pixel is at most √2 output pixels, so a 4096-pixel side needs at most 4096·√2/256 + 2 = 25
	// tiles: 625 in all.
	MaxTiles = 1024
	// readChunk is how many tiles one read asks for (the reader's bound).
	readChunk = tiles.MaxTilesPerRequest
)

// ErrInvalid marks a request that can never be answered (a transport maps it to InvalidArgument).
var ErrInvalid = errors.New("invalid export")

// ErrBusy marks a request that does not fit the pixel budget now; it may be retried later (a
// transport maps it to ResourceExhausted).
var ErrBusy = errors.New("export pixel budget in use")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Request is a region of a room, in encoded units (world units x100, min inclusive, max exclusive),
// and the size of the picture in pixels.
type Request struct {
	Room                   uuid.UUID
	MinX, MinY, MaxX, MaxY int64
	Width, Height          int
	// At pictures the room as it was right after event At; 0 as it is now (tiles.Options.At).
	At uint64
}

// Result is the picture.
type Result struct {
	PNG []byte
	// CoversSeq is the point pictured: At, or the room's head when the (first) tiles were read.
	CoversSeq uint64
	Level     int
	// Tiles is how many tiles had content and were drawn.
	Tiles int
}

// Level is the pyramid level whose tile pixels are closest (in log scale) to the output scale: a tile
// of level L has 2^-L pixels per world unit, the output has Width / (MaxX - MinX) on x (the finer of
// the two axes counts).
func Level(r Request) int {
	wx := float64(r.MaxX-r.MinX) / strokes.CoordScale / float64(r.Width)
	wy := float64(r.MaxY-r.MinY) / strokes.CoordScale / float64(r.Height)
	worldPerPx := math.Min(wx, wy)
	l := int(math.Round(math.Log2(worldPerPx)))
	return max(0, min(strokes.MaxLevel, l))
}

// Plan validates the request and returns the level and the tiles that cover the region.
func Plan(r Request) (int, []strokes.Tile, error) {
	switch {
	case r.Width < 1 || r.Height < 1 || r.Width > strokes.ExportMaxSide || r.Height > strokes.ExportMaxSide:
		return 0, nil, invalid("width and height must be 1..%d pixels, got %dx%d", strokes.ExportMaxSide, r.Width, r.Height)
	case r.Width*r.Height > strokes.ExportMaxPixels:
		return 0, nil, invalid("%dx%d is %d pixels; at most %d", r.Width, r.Height, r.Width*r.Height, strokes.ExportMaxPixels)
	case r.MinX >= r.MaxX || r.MinY >= r.MaxY:
		return 0, nil, invalid("the region is empty")
	}
	lim := int64(strokes.MaxCoord)
	if r.MinX < -lim || r.MinY < -lim || r.MaxX > lim+1 || r.MaxY > lim+1 {
		return 0, nil, invalid("the region leaves the world (±%d)", lim)
	}
	level := Level(r)
	lo := strokes.TileOf(level, r.MinX, r.MinY)
	hi := strokes.TileOf(level, r.MaxX-1, r.MaxY-1)
	if n := int64(hi.X-lo.X+1) * int64(hi.Y-lo.Y+1); n > MaxTiles {
		return 0, nil, invalid("the region covers %d tiles at level %d; at most %d", n, level, MaxTiles)
	}
	var out []strokes.Tile
	for y := lo.Y; y <= hi.Y; y++ {
		for x := lo.X; x <= hi.X; x++ {
			out = append(out, strokes.Tile{Level: level, X: x, Y: y})
		}
	}
	return level, out, nil
}

// TileReader reads tile contents (tiles.Reader).
type TileReader interface {
	Read(ctx context.Context, room uuid.UUID, ts []strokes.Tile, o tiles.Options) ([]tiles.Content, uint64, error)
}

// Renderer renders one tile (tilerender.Router).
type Renderer interface {
	RenderTile(ctx context.Context, t strokes.Tile, base []byte, ss []*strokev1.Stroke) (png []byte, renderer string, err error)
}

// Objects reads snapshot PNGs.
type Objects interface {
	Get(ctx context.Context, key string) ([]byte, error)
}

// NewPixelBudget bounds the pixels of the pictures being made at once, over every export of a
// process; it must hold at least strokes.ExportMaxPixels, or the largest export could never run.
func NewPixelBudget(pixels int64) *semaphore.Weighted {
	return semaphore.NewWeighted(max(pixels, strokes.ExportMaxPixels))
}

// Exporter makes pictures of regions.
type Exporter struct {
	Tiles    TileReader
	Renderer Renderer
	Objects  Objects
	// Workers is how many tiles are rendered at once (at least 1).
	Workers int
	// Pixels is the budget (NewPixelBudget) each export takes its width x height from for as long as
	// it runs: its canvas (4 bytes a pixel) and PNG are allocated up front, so this bounds their
	// memory. An export that does not fit now fails at once with ErrBusy rather than waiting.
	Pixels *semaphore.Weighted
}

// Export renders the region.
func (e *Exporter) Export(ctx context.Context, r Request) (Result, error) {
	level, want, err := Plan(r)
	if err != nil {
		return Result{}, err
	}
	pixels := int64(r.Width) * int64(r.Height)
	if !e.Pixels.TryAcquire(pixels) {
		return Result{}, fmt.Errorf("%w: a %dx%d picture does not fit in what other exports leave now", ErrBusy, r.Width, r.Height)
	}
	defer e.Pixels.Release(pixels)
	dst := image.NewRGBA(image.Rect(0, 0, r.Width, r.Height))
	res := Result{Level: level}
	for i := 0; i < len(want); i += readChunk {
		contents, head, err := e.Tiles.Read(ctx, r.Room, want[i:min(i+readChunk, len(want))], tiles.Options{At: r.At})
		if err != nil {
			return Result{}, fmt.Errorf("read tiles: %w", err)
		}
		if i == 0 {
			res.CoversSeq = tiles.Point(r.At, head)
		}
		n, err := e.draw(ctx, r, dst, contents)
		if err != nil {
			return Result{}, err
		}
		res.Tiles += n
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, dst); err != nil {
		return Result{}, fmt.Errorf("encode: %w", err)
	}
	res.PNG = buf.Bytes()
	return res, nil
}

// draw renders the tiles that have content (Workers at a time) and draws each into dst.
func (e *Exporter) draw(ctx context.Context, r Request, dst *image.RGBA, contents []tiles.Content) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan tiles.Content)
	var (
		mu    sync.Mutex
		first error
		drawn int
		wg    sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if first == nil {
			first = err
			cancel()
		}
		mu.Unlock()
	}
	for range max(1, e.Workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range jobs {
				img, err := e.tile(ctx, c)
				if err != nil {
					fail(err)
					continue
				}
				mu.Lock()
				place(dst, r, c.Tile, img)
				drawn++
				mu.Unlock()
			}
		}()
	}
feed:
	for _, c := range contents {
		if c.Snapshot == nil && len(c.Strokes) == 0 {
			continue
		}
		select {
		case jobs <- c:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if first != nil {
		return 0, first
	}
	return drawn, ctx.Err()
}

// tile is the picture of one tile: its snapshot as is when nothing was drawn after it, else the
// snapshot plus the delta rendered.
func (e *Exporter) tile(ctx context.Context, c tiles.Content) (image.Image, error) {
	var base []byte
	if c.Snapshot != nil {
		b, err := e.Objects.Get(ctx, c.Snapshot.Key)
		if err != nil {
			return nil, fmt.Errorf("read snapshot %s: %w", c.Snapshot.Key, err)
		}
		base = b
	}
	pic := base
	if len(c.Strokes) > 0 {
		p, _, err := e.Renderer.RenderTile(ctx, c.Tile, base, c.Strokes)
		if err != nil {
			return nil, fmt.Errorf("render tile %d/%d/%d: %w", c.Tile.Level, c.Tile.X, c.Tile.Y, err)
		}
		pic = p
	}
	img, err := png.Decode(bytes.NewReader(pic))
	if err != nil {
		return nil, fmt.Errorf("tile %d/%d/%d is not a PNG: %w", c.Tile.Level, c.Tile.X, c.Tile.Y, err)
	}
	return img, nil
}

// place draws a tile's picture into dst where its part of the world falls: tile pixel (i, j) is world
// point tile origin + (i, j)·span/256, output pixel (u, v) is region origin + (u, v)·region/size.
func place(dst *image.RGBA, r Request, t strokes.Tile, img image.Image) {
	span := float64(strokes.SpanQ(t.Level))
	sx := float64(r.Width) / float64(r.MaxX-r.MinX)  // output pixels per encoded unit
	sy := float64(r.Height) / float64(r.MaxY-r.MinY) //
	b := img.Bounds()
	px := span / float64(b.Dx()) // encoded units per tile pixel
	py := span / float64(b.Dy())
	m := f64.Aff3{
		px * sx, 0, (float64(t.X)*span - float64(r.MinX)) * sx,
		0, py * sy, (float64(t.Y)*span - float64(r.MinY)) * sy,
	}
	draw.BiLinear.Transform(dst, m, img, b, draw.Over, nil)
}
