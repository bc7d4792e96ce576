package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// tileBench is the JSON printed by snapshot-rs's render/examples/bench_tiles.rs, by bench/render's ggbench
// and by bench/render/node-canvas: the last two read the tiles that bench_tiles writes (tiles.json in
// the fixture directory), so all three render exactly the same tiles.
type tileBench struct {
	Renderer string `json:"renderer,omitempty"`
	Rounds   int    `json:"rounds"`
	Repeats  int    `json:"repeats,omitempty"` // runs of the benchmark; each time is the best of them
	Dense    struct {
		Strokes int     `json:"strokes"`
		Points  int     `json:"points"`
		FullMS  float64 `json:"full_ms"`
		// The full 256 px render split in two, each step timed on its own: drawing the pixels, then
		// encoding them with the renderer's own PNG encoder (its own compression effort).
		DrawMS      float64 `json:"draw_ms"`
		EncodeMS    float64 `json:"encode_ms"`
		Full512MS   float64 `json:"full_512_ms"`
		PNGBytes    int     `json:"png_bytes"`
		Incremental float64 `json:"incremental_10_strokes_ms"`
		// Only snapshot-rs keeps the decoded base of a tile it rendered (render_tile_cached); 0 elsewhere.
		IncrementalCached float64 `json:"incremental_cached_10_strokes_ms,omitempty"`
	} `json:"dense_tile"`
	Board struct {
		Tiles        int     `json:"tiles"`
		MeanStrokes  float64 `json:"mean_strokes_per_tile"`
		TypicalMS    float64 `json:"typical_ms"`
		MeanPNGBytes int     `json:"mean_png_bytes"`
	} `json:"board"`
}

func runTileBench(ctx context.Context, cpus string, args ...string) (tileBench, error) {
	if cpus != "" {
		args = append([]string{"taskset", "-c", cpus}, args...)
	}
	var tb tileBench
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return tb, fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return tb, json.Unmarshal(out, &tb)
}

// pixelDiff compares two PNGs of the same size pixel by pixel, in 8-bit premultiplied RGBA (what is
// composited; a straight-alpha colour of a nearly transparent pixel is noise).
type pixelDiff struct {
	MeanAbs [4]float64 `json:"mean_abs_diff_rgba"`  // per channel, 0–255
	Max     int        `json:"max_abs_diff"`        // over every channel
	Over32  float64    `json:"pixels_over_32_pct"`  // share of pixels with some channel off by more than 32
	Pixels  int        `json:"pixels"`              // compared
	Against string     `json:"against,omitempty"`   // the reference renderer
	Limit   float64    `json:"mean_abs_diff_limit"` // the check: every channel's mean stays below
}

func decodePremultiplied(path string) (*image.RGBA, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	im, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	rgba := image.NewRGBA(im.Bounds())
	draw.Draw(rgba, rgba.Bounds(), im, im.Bounds().Min, draw.Src)
	return rgba, nil
}

func comparePNGs(a, b string) (pixelDiff, error) {
	var d pixelDiff
	ia, err := decodePremultiplied(a)
	if err != nil {
		return d, err
	}
	ib, err := decodePremultiplied(b)
	if err != nil {
		return d, err
	}
	if ia.Bounds().Size() != ib.Bounds().Size() {
		return d, fmt.Errorf("%s is %v, %s is %v", a, ia.Bounds().Size(), b, ib.Bounds().Size())
	}
	var sum [4]int
	over := 0
	for i := 0; i < len(ia.Pix); i += 4 {
		worst := 0
		for c := 0; c < 4; c++ {
			v := int(ia.Pix[i+c]) - int(ib.Pix[i+c])
			if v < 0 {
				v = -v
			}
			sum[c] += v
			worst = max(worst, v)
		}
		d.Max = max(d.Max, worst)
		if worst > 32 {
			over++
		}
	}
	d.Pixels = len(ia.Pix) / 4
	for c := range sum {
		d.MeanAbs[c] = float64(sum[c]) / float64(d.Pixels)
	}
	d.Over32 = 100 * float64(over) / float64(d.Pixels)
	return d, nil
}

// tileParity compares another renderer's tiles with snapshot-rs's: the dense tile at 256 and 512 px and
// every board tile (the worst of them by its largest channel mean is kept, with its index).
type tileParity struct {
	Dense256   pixelDiff `json:"dense_256"`
	Dense512   pixelDiff `json:"dense_512"`
	BoardWorst pixelDiff `json:"board_worst"`
	WorstTile  int       `json:"board_worst_tile"` // index in tiles.json's board
	BoardTiles int       `json:"board_tiles"`
}

func worstChannel(d pixelDiff) float64 {
	return max(d.MeanAbs[0], d.MeanAbs[1], d.MeanAbs[2], d.MeanAbs[3])
}

// compareTiles compares the PNGs PREFIX-dense.png, PREFIX-dense-512.png and PREFIX-board-NNN.png of two
// renderers, and fails when one differs by parityLimit or more in some channel's mean.
func compareTiles(name, prefix, rsPrefix string, boardTiles int) (tileParity, error) {
	var p tileParity
	cmp := func(what string) (pixelDiff, error) {
		d, err := comparePNGs(prefix+"-"+what+".png", rsPrefix+"-"+what+".png")
		if err != nil {
			return d, err
		}
		d.Against, d.Limit = "snapshot-rs", parityLimit
		for c, v := range d.MeanAbs {
			if v >= parityLimit {
				return d, fmt.Errorf("render parity: %s's %s tile differs from snapshot-rs's by %.2f on average in channel %c (limit %.1f)", name, what, v, "RGBA"[c], parityLimit)
			}
		}
		return d, nil
	}
	var err error
	if p.Dense256, err = cmp("dense"); err != nil {
		return p, err
	}
	if p.Dense512, err = cmp("dense-512"); err != nil {
		return p, err
	}
	p.BoardTiles, p.WorstTile = boardTiles, -1
	for i := 0; i < boardTiles; i++ {
		d, err := cmp(fmt.Sprintf("board-%03d", i))
		if err != nil {
			return p, err
		}
		if p.WorstTile < 0 || worstChannel(d) > worstChannel(p.BoardWorst) {
			p.BoardWorst, p.WorstTile = d, i
		}
	}
	return p, nil
}

// commonEncoding is one renderer's dense 256 px tile re-encoded by one common encoder (Go's image/png at
// png.BestSpeed, from the decoded non-premultiplied pixels), so that PNG sizes compare at equal effort.
type commonEncoding struct {
	Encoder string  `json:"encoder"`
	Bytes   int     `json:"png_bytes"`
	MS      float64 `json:"encode_ms"` // best of 10
}

func encodeCommon(path string) (commonEncoding, error) {
	c := commonEncoding{Encoder: "Go image/png BestSpeed"}
	b, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	im, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	c.MS = math.Inf(1)
	for i := 0; i < 10; i++ {
		var buf bytes.Buffer
		start := time.Now()
		if err := enc.Encode(&buf, im); err != nil {
			return c, err
		}
		c.MS = min(c.MS, float64(time.Since(start).Microseconds())/1000)
		c.Bytes = buf.Len()
	}
	return c, nil
}

// renderRepeats is how many times each renderer's benchmark runs; the summary keeps the fastest time of
// each case.
const renderRepeats = 3

// best keeps the faster time of each case of two runs of the same benchmark (a is the zero value when
// i is 0) and counts the runs in Repeats.
func best(a, b tileBench, i int) tileBench {
	if i == 0 {
		b.Repeats = 1
		return b
	}
	b.Repeats = a.Repeats + 1
	b.Dense.FullMS = min(a.Dense.FullMS, b.Dense.FullMS)
	b.Dense.DrawMS = min(a.Dense.DrawMS, b.Dense.DrawMS)
	b.Dense.EncodeMS = min(a.Dense.EncodeMS, b.Dense.EncodeMS)
	b.Dense.Full512MS = min(a.Dense.Full512MS, b.Dense.Full512MS)
	b.Dense.Incremental = min(a.Dense.Incremental, b.Dense.Incremental)
	b.Dense.IncrementalCached = min(a.Dense.IncrementalCached, b.Dense.IncrementalCached)
	b.Board.TypicalMS = min(a.Board.TypicalMS, b.Board.TypicalMS)
	return b
}

// parityLimit bounds the mean absolute difference per channel (0–255, premultiplied) between another
// renderer's dense tile and snapshot-rs's: anti-aliasing and curve flattening differ by a little along
// edges, a wrong width, cap, colour, blend or eraser differs by far more (see bench/README.md).
const parityLimit = 3.0

// renderRuns renders identical tiles with snapshot-rs, node canvas (@napi-rs/canvas, Skia) and
// the gg fallback, one process at a time on the server core. snapshot-rs's bench_tiles builds the tiles and
// writes them to a fixture directory that the other two read; each writes its dense tile (256 and 512 px)
// and every board tile there too, and the pixel parity of all of them against snapshot-rs's is checked so
// that no speed is bought with wrong output.
func renderRuns(ctx context.Context, out, strokesDir, cpus string, getenv func(string) string, summary *strings.Builder) error {
	rs, gg, nodeBench := getenv("SNAPSHOT_BENCH_BIN"), getenv("GG_BENCH_BIN"), getenv("NODE_CANVAS_BENCH")
	if rs == "" || gg == "" || nodeBench == "" {
		return fmt.Errorf("SNAPSHOT_BENCH_BIN, GG_BENCH_BIN and NODE_CANVAS_BENCH must be set (scripts/bench.sh builds them without --quick)")
	}
	node := getenv("NODE_BIN")
	if node == "" {
		node = "node"
	}
	fixture, err := os.MkdirTemp("", "infidraw-render-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(fixture)
	// Each renderer writes its tiles as PREFIX-dense.png, PREFIX-dense-512.png, PREFIX-board-NNN.png.
	rsPrefix, nodePrefix, ggPrefix := filepath.Join(fixture, "snapshot-rs"), filepath.Join(fixture, "node-canvas"), filepath.Join(fixture, "gg")

	// Each renderer runs renderRepeats times, interleaved, and every time keeps its best: the machine is
	// shared, and a burst of other work slows whichever process runs then.
	var r, n, g tileBench
	for i := 0; i < renderRepeats; i++ {
		ri, err := runTileBench(ctx, cpus, rs, strokesDir, "20", fixture)
		if err != nil {
			return err
		}
		ni, err := runTileBench(ctx, cpus, node, nodeBench, fixture, "5", nodePrefix)
		if err != nil {
			return err
		}
		gi, err := runTileBench(ctx, cpus, gg, fixture, "5", ggPrefix)
		if err != nil {
			return err
		}
		r, n, g = best(r, ri, i), best(n, ni, i), best(g, gi, i)
	}
	for name, o := range map[string]tileBench{"node canvas": n, "gg": g} {
		if r.Dense.Points != o.Dense.Points || r.Dense.Strokes != o.Dense.Strokes || r.Board.Tiles != o.Board.Tiles || r.Board.MeanStrokes != o.Board.MeanStrokes {
			return fmt.Errorf("render: %s's tiles differ from snapshot-rs's (points %d vs %d, board tiles %d vs %d)", name, o.Dense.Points, r.Dense.Points, o.Board.Tiles, r.Board.Tiles)
		}
	}
	nodePar, err := compareTiles("node canvas", nodePrefix, rsPrefix, r.Board.Tiles)
	if err != nil {
		return err
	}
	ggPar, err := compareTiles("gg", ggPrefix, rsPrefix, r.Board.Tiles)
	if err != nil {
		return err
	}
	common := map[string]commonEncoding{}
	for name, prefix := range map[string]string{"snapshot-rs": rsPrefix, "node-canvas": nodePrefix, "gg": ggPrefix} {
		if common[name], err = encodeCommon(prefix + "-dense.png"); err != nil {
			return err
		}
	}
	if err := writeJSON(out, "render", map[string]any{"snapshot-rs": r, "node-canvas": n, "gg": g,
		"parity":                   map[string]tileParity{"node-canvas": nodePar, "gg": ggPar},
		"dense_256_common_encoder": common}); err != nil {
		return err
	}

	fmt.Fprintf(summary, "## Rendering: identical tiles (real strokes; dense tile %d strokes / %d points; board of %d tiles, %.1f strokes per tile)\n\n",
		r.Dense.Strokes, r.Dense.Points, r.Board.Tiles, r.Board.MeanStrokes)
	fmt.Fprintf(summary, "snapshot-rs: its own coverage rasteriser (docs/tiles.md); node canvas: %s on Node %s (the roadmap's earlier in-process renderer); gg: tile-delta-go's fallback. "+
		"Each runs alone on the server core, %d times interleaved with the others; each time is the best run's mean (see bench/README.md). "+
		"Times include decoding the strokes and encoding the PNG, each renderer with its own PNG encoder and compression effort "+
		"(snapshot-rs: its own deflate, literals and runs with a Huffman code per band, in independent bands of rows; node canvas: Skia's zlib; gg: Go's image/png at BestSpeed, the common encoder below); "+
		"the split and the common-encoder table below separate drawing from encoding.\n\n", n.Renderer, nodeVersion(ctx, node), renderRepeats)
	fmt.Fprintf(summary, "| case | snapshot-rs ms | node canvas ms | gg ms | node canvas / snapshot-rs | gg / snapshot-rs | PNG bytes snapshot-rs | PNG bytes node canvas | PNG bytes gg |\n|---|---|---|---|---|---|---|---|---|\n")
	bytesCell := func(b int) string {
		if b == 0 {
			return "—"
		}
		return fmt.Sprint(b)
	}
	row := func(name string, a, nc, b float64, pa, pn, pb int) {
		fmt.Fprintf(summary, "| %s | %.2f | %.2f | %.2f | %.1fx | %.1fx | %s | %s | %s |\n", name, a, nc, b, nc/a, b/a, bytesCell(pa), bytesCell(pn), bytesCell(pb))
	}
	cachedRow := func(name string, a float64) {
		fmt.Fprintf(summary, "| %s | %.2f | — | — | — | — | — | — | — |\n", name, a)
	}
	row("dense tile, full render 256 px", r.Dense.FullMS, n.Dense.FullMS, g.Dense.FullMS, r.Dense.PNGBytes, n.Dense.PNGBytes, g.Dense.PNGBytes)
	row("dense tile, full render 512 px", r.Dense.Full512MS, n.Dense.Full512MS, g.Dense.Full512MS, 0, 0, 0)
	row("dense tile, incremental (+10 strokes on its PNG, decoded)", r.Dense.Incremental, n.Dense.Incremental, g.Dense.Incremental, 0, 0, 0)
	cachedRow("dense tile, incremental on the PNG snapshot-rs rendered last (its pixels kept)", r.Dense.IncrementalCached)
	row("typical board tile, full", r.Board.TypicalMS, n.Board.TypicalMS, g.Board.TypicalMS, r.Board.MeanPNGBytes, n.Board.MeanPNGBytes, g.Board.MeanPNGBytes)
	met := func(ratio, target float64) string {
		if ratio >= target {
			return "met"
		}
		return "**not met**"
	}
	nodeRatio, ggRatio := n.Dense.FullMS/r.Dense.FullMS, g.Dense.FullMS/r.Dense.FullMS
	cachedRatio := r.Dense.FullMS / r.Dense.IncrementalCached
	fmt.Fprintf(summary, "\nsnapshot-rs vs node canvas (full, dense): **%.1fx** (target ≥ 3x: %s); typical tile %.1fx, incremental %.1fx. "+
		"snapshot-rs vs gg (full, dense): **%.1fx** (target ≥ 5x: %s). "+
		"snapshot-rs incremental vs full on the dense tile: **%.1fx** when the base is the PNG it rendered last, the snapshot policy's chain (target ≥ 10x: %s); "+
		"%.1fx when it must decode the base (after a restart, or a base another replica rendered); node canvas: %.1fx; gg: %.1fx.\n\n",
		nodeRatio, met(nodeRatio, 3), n.Board.TypicalMS/r.Board.TypicalMS, n.Dense.Incremental/r.Dense.Incremental,
		ggRatio, met(ggRatio, 5),
		cachedRatio, met(cachedRatio, 10), r.Dense.FullMS/r.Dense.Incremental, n.Dense.FullMS/n.Dense.Incremental, g.Dense.FullMS/g.Dense.Incremental)
	fmt.Fprintf(summary, "Dense tile, full render at 256 px split into drawing and encoding (each step timed on its own), and each renderer's pixels "+
		"encoded by one common encoder (%s, from the decoded PNG; best of 10) so that sizes compare at equal effort:\n\n", common["gg"].Encoder)
	fmt.Fprintf(summary, "| renderer | draw ms | own encoder ms | own PNG bytes | common encoder ms | common encoder PNG bytes |\n|---|---|---|---|---|---|\n")
	for _, x := range []struct {
		name, key string
		t         tileBench
	}{{"snapshot-rs", "snapshot-rs", r}, {"node canvas", "node-canvas", n}, {"gg", "gg", g}} {
		c := common[x.key]
		fmt.Fprintf(summary, "| %s | %.2f | %.2f | %d | %.2f | %d |\n", x.name, x.t.Dense.DrawMS, x.t.Dense.EncodeMS, x.t.Dense.PNGBytes, c.MS, c.Bytes)
	}
	fmt.Fprintf(summary, "\nsnapshot-rs vs node canvas, drawing only: %.1fx; vs gg: %.1fx.\n\n", n.Dense.DrawMS/r.Dense.DrawMS, g.Dense.DrawMS/r.Dense.DrawMS)
	fmt.Fprintf(summary, "Parity against snapshot-rs (premultiplied RGBA, mean absolute difference per channel 0–255; limit %.1f on every tile): "+
		"the dense tile at 256 and 512 px, and the worst of the %d board tiles (by its largest channel mean):\n\n"+
		"| renderer | tile | R | G | B | A | max | pixels off by > 32 |\n|---|---|---|---|---|---|---|---|\n", parityLimit, r.Board.Tiles)
	for _, p := range []struct {
		name string
		t    tileParity
	}{{"node canvas", nodePar}, {"gg", ggPar}} {
		for _, d := range []struct {
			what string
			d    pixelDiff
		}{{"dense 256 px", p.t.Dense256}, {"dense 512 px", p.t.Dense512}, {fmt.Sprintf("worst board tile (#%d)", p.t.WorstTile), p.t.BoardWorst}} {
			fmt.Fprintf(summary, "| %s | %s | %.2f | %.2f | %.2f | %.2f | %d | %.2f %% |\n", p.name, d.what, d.d.MeanAbs[0], d.d.MeanAbs[1], d.d.MeanAbs[2], d.d.MeanAbs[3], d.d.Max, d.d.Over32)
		}
	}
	fmt.Fprintln(summary)
	return nil
}

func nodeVersion(ctx context.Context, node string) string {
	v, err := exec.CommandContext(ctx, node, "--version").Output()
	if err != nil {
		return "?"
	}
	return strings.TrimPrefix(strings.TrimSpace(string(v)), "v")
}
