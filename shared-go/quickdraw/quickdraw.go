// Package quickdraw reads the real pen strokes of ../shared/data/strokes/raw (Quick, Draw!, CC BY 4.0):
// one JSON object per line, drawing = [[xs, ys, ts], ...] per stroke, files without a trailing newline.
package quickdraw

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
)

// Point is a raw point: device pixels (floats) and milliseconds since the drawing began.
type Point struct{ X, Y, T float64 }

// Stroke is one pen-down to pen-up.
type Stroke []Point

// Drawing is one player's drawing.
type Drawing struct {
	Word    string
	Strokes []Stroke
}

type line struct {
	Word    string        `json:"word"`
	Drawing [][][]float64 `json:"drawing"`
}

// Load reads every drawing of every category in dir, in file name order (deterministic). limit > 0
// stops after that many drawings.
func Load(dir string, limit int) ([]Drawing, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.ndjson"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no *.ndjson in %s (the Quick, Draw! sample lives in ../shared/data/strokes/raw)", dir)
	}
	sort.Strings(files)
	var out []Drawing
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			var l line
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				fh.Close()
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			d := Drawing{Word: l.Word}
			for _, s := range l.Drawing {
				if len(s) < 2 || len(s[0]) == 0 || len(s[0]) != len(s[1]) {
					continue
				}
				st := make(Stroke, len(s[0]))
				for i := range s[0] {
					st[i] = Point{X: s[0][i], Y: s[1][i]}
					if len(s) > 2 && i < len(s[2]) {
						st[i].T = s[2][i]
					}
				}
				d.Strokes = append(d.Strokes, st)
			}
			out = append(out, d)
			if limit > 0 && len(out) >= limit {
				fh.Close()
				return out, nil
			}
		}
		fh.Close()
		if err := sc.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Quantize converts device pixels to encoded units (world units x100), rounding to the nearest unit.
func Quantize(v float64) int64 { return int64(math.Round(v * 100)) }
