package ggrender

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/credentials/insecure"

	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/shared-go/localtest"
	"github.com/infidraw/infidraw/shared-go/strokes"
	"github.com/infidraw/infidraw/tile-delta-go/internal/renderclient"
)

// Parity tolerance between gg and snapshot-rs (tiny-skia), on premultiplied 8-bit channels over a
// whole tile: the mean absolute difference per channel is at most maxMeanDiff, and at most
// maxShareOff of the pixels differ by more than offBy in any channel. The renderers differ in
// anti-aliasing (freetype's exact area coverage against tiny-skia's 4x vertical supersampling), curve
// flattening and the round-join polygons of freetype's stroker, all along the edges of the ink.
const (
	maxMeanDiff = 0.75
	offBy       = 64
	maxShareOff = 0.002
)

// startSnapshot runs the real snapshot-rs binary and returns a client for it.
func startSnapshot(t testing.TB) *renderclient.Client {
	t.Helper()
	bin := os.Getenv("SNAPSHOT_BIN")
	if bin == "" {
		bin = "../../../target/release/snapshot-server"
	}
	bin, _ = filepath.Abs(bin)
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s: %v (cargo build --release -p infidraw-snapshot-server; or set SNAPSHOT_BIN)", bin, err)
	}
	httpAddr, grpcAddr := localtest.FreeAddr(t), localtest.FreeAddr(t)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "SNAPSHOT_HTTP_LISTEN="+httpAddr, "SNAPSHOT_GRPC_LISTEN="+grpcAddr, "LOG_LEVEL=warn")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("snapshot-server output:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		if resp, err := http.Get("http://" + httpAddr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("snapshot-rs never became healthy")
		}
		time.Sleep(10 * time.Millisecond)
	}
	c, err := renderclient.Dial(grpcAddr, insecure.NewCredentials())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// mk builds a stroke from points in world units (x, y, pressure; pressure < 0 means none).
func mk(tool strokev1.Tool, rgba uint32, width float64, pts [][3]float64) *strokev1.Stroke {
	id := uuid.New()
	ps := make([]strokes.Point, len(pts))
	for i, p := range pts {
		pr := int32(strokes.DefaultPressure)
		if p[2] >= 0 {
			pr = int32(p[2])
		}
		ps[i] = strokes.Point{X: int64(math.Round(p[0] * 100)), Y: int64(math.Round(p[1] * 100)), Pressure: pr}
	}
	q, pp, pr := strokes.EncodePoints(ps)
	return &strokev1.Stroke{Id: id[:], Tool: tool, Rgba: rgba, Width: uint32(width * 100), Quantum: q, Points: pp, Pressures: pr}
}

func wave(x0, y0, dx, amp float64, n int, pressure bool) [][3]float64 {
	out := make([][3]float64, n)
	for i := range out {
		p := -1.0
		if pressure {
			p = 40 + 200*float64(i)/float64(n-1)
		}
		out[i] = [3]float64{x0 + dx*float64(i), y0 + amp*math.Sin(float64(i)*0.7), p}
	}
	return out
}

type tileCase struct {
	name string
	tile strokes.Tile
	base bool // render the first stroke alone with snapshot-rs and use it as the base of the rest
	ss   []*strokev1.Stroke
}

func syntheticCases() []tileCase {
	pen, hl, er := strokev1.Tool_TOOL_PEN, strokev1.Tool_TOOL_HIGHLIGHTER, strokev1.Tool_TOOL_PIXEL_ERASER
	return []tileCase{
		{name: "pen line", tile: strokes.Tile{}, ss: []*strokev1.Stroke{mk(pen, 0x0000ffff, 8, [][3]float64{{20, 128, -1}, {236, 140, -1}})}},
		{name: "pen dot and thin line", tile: strokes.Tile{}, ss: []*strokev1.Stroke{
			mk(pen, 0xff0000ff, 12, [][3]float64{{60, 60, -1}}), mk(pen, 0x00aa00ff, 0.3, [][3]float64{{10, 200, -1}, {250, 180, -1}})}},
		{name: "pen smoothed", tile: strokes.Tile{}, ss: []*strokev1.Stroke{mk(pen, 0x202020ff, 5, wave(10, 120, 12, 40, 20, false))}},
		{name: "pen pressure", tile: strokes.Tile{}, ss: []*strokev1.Stroke{mk(pen, 0x8000c0ff, 10, wave(10, 120, 12, 50, 20, true))}},
		{name: "highlighter self overlap", tile: strokes.Tile{}, ss: []*strokev1.Stroke{
			mk(pen, 0x000000ff, 6, [][3]float64{{128, 0, -1}, {128, 256, -1}}),
			mk(hl, 0xffd00080, 30, [][3]float64{{20, 20, -1}, {230, 230, -1}, {230, 20, -1}, {20, 230, -1}, {40, 40, -1}})}},
		{name: "eraser", tile: strokes.Tile{}, ss: []*strokev1.Stroke{
			mk(pen, 0x0000ffff, 40, [][3]float64{{20, 128, -1}, {236, 128, -1}}),
			mk(hl, 0x00ff0099, 30, [][3]float64{{128, 20, -1}, {128, 236, -1}}),
			mk(er, 0, 20, wave(60, 60, 10, 30, 14, false)),
			mk(pen, 0xff0000ff, 4, [][3]float64{{30, 30, -1}, {200, 220, -1}})}},
		{name: "eraser on base", tile: strokes.Tile{}, base: true, ss: []*strokev1.Stroke{
			mk(pen, 0x0000ffff, 60, [][3]float64{{0, 128, -1}, {256, 128, -1}}),
			mk(er, 0, 16, [][3]float64{{128, 0, -1}, {128, 256, -1}}),
			mk(pen, 0x00ff00ff, 6, wave(10, 100, 16, 20, 15, true))}},
		{name: "level 2 negative tile", tile: strokes.Tile{Level: 2, X: -1, Y: -1}, ss: []*strokev1.Stroke{
			mk(pen, 0x333333ff, 12, wave(-1000, -500, 60, 200, 16, false)),
			mk(hl, 0x00ffff60, 80, wave(-1000, -700, 60, 100, 16, false)),
			mk(pen, 0xff00ffff, 20, wave(-900, -300, 50, 150, 16, true))}},
	}
}

// realCases renders the first drawing of a few Quick, Draw! categories centred on the origin, at
// levels 0 and 1, every tile it touches; half of the strokes with pressures, some highlighter.
func realCases(t testing.TB) []tileCase {
	dir := os.Getenv("INFIDRAW_STROKES_DIR")
	if dir == "" {
		dir = "../../../../shared/data/strokes/raw" // ../shared beside the checkout
	}
	var out []tileCase
	for _, cat := range []string{"The_Eiffel_Tower", "airplane", "barn", "cat", "bicycle"} {
		f, err := os.Open(filepath.Join(dir, cat+".ndjson"))
		if err != nil {
			continue
		}
		// Files have no trailing newline; the first line is the first drawing.
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		if !sc.Scan() {
			f.Close()
			continue
		}
		var d struct {
			Drawing [][][]float64 `json:"drawing"`
		}
		err = json.Unmarshal(sc.Bytes(), &d)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", cat, err)
		}
		minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, s := range d.Drawing {
			for i := range s[0] {
				minX, maxX = math.Min(minX, s[0][i]), math.Max(maxX, s[0][i])
				minY, maxY = math.Min(minY, s[1][i]), math.Max(maxY, s[1][i])
			}
		}
		cx, cy := (minX+maxX)/2, (minY+maxY)/2
		var ss []*strokev1.Stroke
		for k, s := range d.Drawing {
			pts := make([][3]float64, len(s[0]))
			for i := range s[0] {
				p := -1.0
				if k%2 == 0 {
					p = float64((i * 37) % 256)
				}
				pts[i] = [3]float64{s[0][i] - cx, s[1][i] - cy, p}
			}
			tool, rgba, w := strokev1.Tool_TOOL_PEN, uint32(0x102030ff+k*0x11000000), 3.0
			if k%5 == 4 {
				tool, rgba, w = strokev1.Tool_TOOL_HIGHLIGHTER, 0xffa00070, 14
			}
			ss = append(ss, mk(tool, rgba, w, pts))
		}
		for level := 0; level <= 1; level++ {
			seen := map[strokes.Tile]bool{}
			for _, s := range ss {
				pts, _ := strokes.DecodePoints(s.GetQuantum(), s.GetPoints(), s.GetPressures())
				ts, err := strokes.TilesTouched(level, s.GetWidth(), pts)
				if err != nil {
					t.Fatal(err)
				}
				for _, tl := range ts {
					if !seen[tl] {
						seen[tl] = true
						out = append(out, tileCase{name: fmt.Sprintf("real %s L%d (%d,%d)", cat, level, tl.X, tl.Y), tile: tl, ss: ss})
					}
				}
			}
		}
	}
	if len(out) == 0 {
		t.Logf("no real strokes under %s: real cases skipped", dir)
	}
	return out
}

func premultiplied(t testing.TB, b []byte) *image.RGBA {
	t.Helper()
	im, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	out := image.NewRGBA(im.Bounds())
	draw.Draw(out, out.Bounds(), im, im.Bounds().Min, draw.Src)
	return out
}

type diff struct {
	mean     float64 // mean absolute difference per channel
	shareOff float64 // share of pixels differing by more than offBy in some channel
	first    string  // first pixel differing by more than offBy
}

func compare(a, b *image.RGBA) diff {
	var sum, off int
	var first string
	w := a.Rect.Dx()
	for i := 0; i < len(a.Pix); i += 4 {
		worst := 0
		for c := 0; c < 4; c++ {
			d := int(a.Pix[i+c]) - int(b.Pix[i+c])
			if d < 0 {
				d = -d
			}
			sum += d
			worst = max(worst, d)
		}
		if worst > offBy {
			if off == 0 {
				first = fmt.Sprintf("(%d, %d): gg %v, snapshot-rs %v", (i/4)%w, (i/4)/w, a.Pix[i:i+4], b.Pix[i:i+4])
			}
			off++
		}
	}
	return diff{mean: float64(sum) / float64(len(a.Pix)), shareOff: float64(off) / float64(len(a.Pix)/4), first: first}
}

// gg and snapshot-rs draw the same tiles within the stated tolerance.
func TestParityWithSnapshotRS(t *testing.T) {
	rs := startSnapshot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cases := append(syntheticCases(), realCases(t)...)
	if _, err := rs.RenderTile(ctx, strokes.Tile{}, nil, nil); err != nil { // connect before timing
		t.Fatal(err)
	}
	var ggTime, rsTime time.Duration
	var worstMean, worstShare float64
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var base []byte
			ss := tc.ss
			if tc.base {
				var err error
				if base, err = rs.RenderTile(ctx, tc.tile, nil, ss[:1]); err != nil {
					t.Fatal(err)
				}
				ss = ss[1:]
			}
			start := time.Now()
			want, err := rs.RenderTile(ctx, tc.tile, base, ss)
			if err != nil {
				t.Fatal(err)
			}
			rsTime += time.Since(start)
			start = time.Now()
			got, err := Render(tc.tile, strokes.TilePx, base, ss)
			if err != nil {
				t.Fatal(err)
			}
			ggTime += time.Since(start)
			g, w := premultiplied(t, got), premultiplied(t, want)
			d := compare(g, w)
			worstMean, worstShare = max(worstMean, d.mean), max(worstShare, d.shareOff)
			var ink int
			for i := 3; i < len(w.Pix); i += 4 {
				if w.Pix[i] != 0 {
					ink++
				}
			}
			if ink == 0 && !strings.HasPrefix(tc.name, "real") {
				t.Fatal("snapshot-rs drew nothing: the case tests nothing")
			}
			if d.mean > maxMeanDiff || d.shareOff > maxShareOff {
				if dir := os.Getenv("PARITY_DUMP"); dir != "" {
					name := strings.NewReplacer(" ", "_", "(", "", ")", "", ",", "_").Replace(tc.name)
					_ = os.WriteFile(filepath.Join(dir, name+"-gg.png"), got, 0o644)
					_ = os.WriteFile(filepath.Join(dir, name+"-rs.png"), want, 0o644)
				}
				t.Fatalf("mean diff %.3f (max %.1f), %.3f%% of pixels off by > %d (max %.2f%%); first: %s; %d ink pixels",
					d.mean, maxMeanDiff, 100*d.shareOff, offBy, 100*maxShareOff, d.first, ink)
			}
		})
	}
	t.Logf("%d tiles: gg %.2f ms/tile, snapshot-rs %.2f ms/tile (gRPC round trip incl.); worst mean diff %.3f, worst share off %.3f%%",
		len(cases), float64(ggTime.Microseconds())/1000/float64(len(cases)), float64(rsTime.Microseconds())/1000/float64(len(cases)), worstMean, 100*worstShare)
}
