// Package wire measures the bytes per point of infidraw's stroke encoding against the earlier design's
// JSON and msgpack on the real strokes.
package wire

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"

	"github.com/google/uuid"
	"github.com/vmihailenco/msgpack/v5"
	"google.golang.org/protobuf/proto"

	"github.com/infidraw/infidraw/realtime-go/client"
	"github.com/infidraw/infidraw/shared-go/quickdraw"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// Result is bytes per point of one encoding.
type Result struct {
	Encoding string `json:"encoding"`
	// MedianStroke is the bytes per point of the median stroke (by bytes per point), all per-stroke
	// overhead (id, tool, colour, width, framing) included.
	MedianStroke float64 `json:"median_stroke_bytes_per_point"`
	// Overall is total bytes over total points.
	Overall float64 `json:"overall_bytes_per_point"`
}

// Report is the wire benchmark.
type Report struct {
	Strokes int      `json:"strokes"`
	Points  int      `json:"points"`
	Results []Result `json:"results"`
}

// legacyStroke is the earlier design's stroke: JSON with points as [x, y] pairs.
type legacyStroke struct {
	ID     string       `json:"id" msgpack:"id"`
	Tool   string       `json:"tool" msgpack:"tool"`
	Color  string       `json:"color" msgpack:"color"`
	Width  float64      `json:"width" msgpack:"width"`
	Points [][2]float64 `json:"points" msgpack:"points"`
}

// round2 keeps two decimals, as the roadmap's x100 precision does.
func round2(v float64) float64 { return math.Round(v*100) / 100 }

// Measure encodes every stroke three ways.
func Measure(drawings []quickdraw.Drawing) (Report, error) {
	var pb, js, mp []float64
	var totals [3]int
	rep := Report{}
	for _, d := range drawings {
		for _, s := range d.Strokes {
			pts := make([]strokes.Point, len(s))
			legacy := legacyStroke{ID: uuid.NewString(), Tool: "pen", Color: "#1e1e1e", Width: 2}
			for i, p := range s {
				pts[i] = strokes.Point{X: quickdraw.Quantize(p.X), Y: quickdraw.Quantize(p.Y), Pressure: strokes.DefaultPressure}
				legacy.Points = append(legacy.Points, [2]float64{round2(p.X), round2(p.Y)})
			}
			n := float64(len(s))
			b, err := proto.Marshal(client.PenStroke(pts, 200, 0x1e1e1eff))
			if err != nil {
				return rep, err
			}
			j, err := compactJSON(legacy)
			if err != nil {
				return rep, err
			}
			m, err := jsLikeMsgpack(legacy)
			if err != nil {
				return rep, err
			}
			pb, js, mp = append(pb, float64(len(b))/n), append(js, float64(len(j))/n), append(mp, float64(len(m))/n)
			totals[0] += len(b)
			totals[1] += len(j)
			totals[2] += len(m)
			rep.Strokes++
			rep.Points += len(s)
		}
	}
	for i, r := range []struct {
		name string
		per  []float64
	}{{"infidraw protobuf (delta + zigzag, quantum)", pb}, {"JSON, 2 decimals (earlier design)", js}, {"msgpack (earlier design)", mp}} {
		rep.Results = append(rep.Results, Result{Encoding: r.name, MedianStroke: median(r.per), Overall: float64(totals[i]) / float64(rep.Points)})
	}
	return rep, nil
}

// compactJSON writes numbers the way JavaScript's JSON.stringify does (shortest form).
func compactJSON(s legacyStroke) ([]byte, error) { return json.Marshal(s) }

// jsLikeMsgpack encodes as a JavaScript msgpack encoder does: integral numbers as integers, the others as
// float64.
func jsLikeMsgpack(s legacyStroke) ([]byte, error) {
	pts := make([][2]any, len(s.Points))
	for i, p := range s.Points {
		pts[i] = [2]any{jsNumber(p[0]), jsNumber(p[1])}
	}
	return msgpack.Marshal(map[string]any{"id": s.ID, "tool": s.Tool, "color": s.Color, "width": jsNumber(s.Width), "points": pts})
}

func jsNumber(v float64) any {
	if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
		return int64(v)
	}
	return v
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// Format renders a number for tables.
func Format(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
