package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/infidraw/infidraw/bench/internal/bigroom"
	"github.com/infidraw/infidraw/bench/internal/fanout"
	"github.com/infidraw/infidraw/bench/internal/ingest"
	"github.com/infidraw/infidraw/bench/internal/openboard"
	"github.com/infidraw/infidraw/bench/internal/stack"
	"github.com/infidraw/infidraw/bench/internal/wire"
	"github.com/infidraw/infidraw/shared-go/quickdraw"
)

type plan struct {
	drawings     int // 0 = all
	fanout       []fanout.Config
	replicaSets  []int
	idleConns    int
	idleRooms    int
	fanoutLength time.Duration
	ingest       ingest.Config
	bigroom      bigroomPlan
}

func quickPlan() plan {
	return plan{drawings: 300, replicaSets: []int{1, 2}, idleConns: 300, idleRooms: 30, fanoutLength: 2 * time.Second,
		ingest: ingest.Config{Writers: 4, InFlight: 4, Duration: 1500 * time.Millisecond},
		fanout: []fanout.Config{{Rooms: 2, ClientsPerRoom: 4, WritersPerRoom: 2, Speed: 4}}, bigroom: quickBigroom()}
}

func fullPlan() plan {
	p := plan{replicaSets: []int{1, 2}, idleConns: 10000, idleRooms: 1000, fanoutLength: 10 * time.Second,
		ingest: ingest.Config{Writers: 64, InFlight: 8, Duration: 10 * time.Second}, bigroom: fullBigroom()}
	for _, speed := range []float64{1, 4, 16, 64, 256} {
		p.fanout = append(p.fanout, fanout.Config{Rooms: 10, ClientsPerRoom: 20, WritersPerRoom: 4, Speed: speed})
	}
	// Writers wait for each commit's ack, so 4 writers per room bound the offered load by the ack time:
	// a system that stores before it acks is offered less at the same speed. Every client writing finds
	// each server's own ceiling.
	p.fanout = append(p.fanout, fanout.Config{Rooms: 10, ClientsPerRoom: 20, WritersPerRoom: 20, Speed: 256})
	return p
}

func run(ctx context.Context, args []string, getenv func(string) string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	quick := fs.Bool("quick", false, "smoke run: small and short (make test runs it)")
	out := fs.String("out", "bench/results", "directory for results")
	strokesDir := fs.String("strokes", "../shared/data/strokes/raw", "Quick, Draw! raw strokes")
	serverCPUs := fs.String("server-cpus", "", "pin servers to these cores (taskset list), e.g. 1")
	only := fs.String("only", "", "comma-separated parts to run (default: wire,fanout,ingest,idle,open,history,pan,bigroom, and render,coarse unless --quick); history seeks open's seeded room, so it needs open")
	systems := fs.String("systems", "infidraw,baseline,phase1,centrifugo", "fan-out systems to run (centrifugo only when CENTRIFUGO_BIN is set; phase1 also selects its ingest phases; --quick leaves phase1 out unless named)")
	cfClient := fs.String("centrifugo-client", "raw", "Centrifugo load-generator client: raw (its protobuf protocol on a WebSocket) or centrifuge-go")
	openStrokes := fs.Int("open-strokes", 0, "strokes of the large room of the open part (default 1,000,000; 20,000 with --quick)")
	bigViewers := fs.Int("bigroom-viewers", 0, "viewers of the bigroom part (default 10,000; 500 with --quick)")
	bigWriters := fs.Int("bigroom-writers", 0, "writers of the bigroom part (default 200; 20 with --quick)")
	bigSteps := fs.String("bigroom-steps", "", "viewers of the bigroom step-up, e.g. 5000,10000; \"none\" skips it (default 1000,2500,5000,10000,15000,20000 up to the open-file limit; none with --quick)")
	speeds := fs.String("speeds", "", "fan-out speed factors to run, e.g. 16,64 (default: all of the plan)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	p := fullPlan()
	if *quick {
		p = quickPlan()
		// The phase-1 relay would add about 8 s to the smoke run: bench/internal/phase1's test covers it.
		named := false
		fs.Visit(func(f *flag.Flag) { named = named || f.Name == "systems" })
		if !named {
			*systems = "infidraw,baseline,centrifugo"
		}
	}
	if *bigViewers > 0 {
		p.bigroom.cfg.Viewers = *bigViewers
	}
	if *bigWriters > 0 {
		p.bigroom.cfg.Writers = *bigWriters
	}
	if *bigSteps != "" {
		p.bigroom.steps = nil
		for _, n := range strings.Split(*bigSteps, ",") {
			if n == "none" {
				break
			}
			v, err := strconv.Atoi(n)
			if err != nil || v <= 0 {
				return fmt.Errorf("--bigroom-steps: %q is not a number of viewers", n)
			}
			p.bigroom.steps = append(p.bigroom.steps, v)
		}
		if p.bigroom.stepLength == 0 {
			p.bigroom.stepLength = p.bigroom.cfg.Duration
		}
	}
	runSystems := strings.Split(*systems, ",")
	withPhase1 := slices.Contains(runSystems, "phase1")
	if *speeds != "" {
		var keep []fanout.Config
		for _, cfg := range p.fanout {
			if slices.Contains(strings.Split(*speeds, ","), strconv.FormatFloat(cfg.Speed, 'g', -1, 64)) {
				keep = append(keep, cfg)
			}
		}
		p.fanout = keep
	}
	need := func(k string) (string, error) {
		if v := getenv(k); v != "" {
			return v, nil
		}
		return "", fmt.Errorf("%s is not set (scripts/bench.sh sets it)", k)
	}
	bin, err := need("REALTIME_BIN")
	if err != nil {
		return err
	}
	dbURL, err := need("BENCH_DATABASE_URL")
	if err != nil {
		return err
	}
	redisURL, err := need("REDIS_URL")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	drawings, err := quickdraw.Load(*strokesDir, p.drawings)
	if err != nil {
		return err
	}
	summary := &strings.Builder{}
	mode := "full"
	if *quick {
		mode = "quick"
	}
	fmt.Fprintf(summary, "# infidraw benchmarks (%s run, %s)\n\n", mode, time.Now().UTC().Format(time.RFC3339))

	parts := map[string]bool{}
	onlyGiven := *only != ""
	if *only == "" {
		*only = "wire,fanout,ingest,idle,render,coarse,open,history,pan,bigroom"
		if *quick {
			*only = "wire,fanout,ingest,idle,open,history,pan,bigroom"
		}
	}
	for _, part := range strings.Split(*only, ",") {
		parts[strings.TrimSpace(part)] = true
	}
	// part runs one part, its summary section between markers that splice finds.
	part := func(name string, run func() error) error {
		if !parts[name] {
			return nil
		}
		fmt.Fprintf(summary, "%s\n", beginMark(name))
		if err := run(); err != nil {
			return err
		}
		fmt.Fprintf(summary, "%s\n\n", endMark(name))
		return nil
	}
	if parts["history"] && !parts["open"] {
		return fmt.Errorf("the history part seeks the room the open part seeds and caught up: run it with open (--only open,history)")
	}
	if err := part("wire", func() error {
		return wireSize(*out, drawings, summary)
	}); err != nil {
		return err
	}
	keys := stack.NewKeys()
	// Centrifugo v6 (fan-out and idle memory) when scripts/bench.sh built it; --quick runs without it.
	var cf *fanout.Centrifugo
	if cbin := getenv("CENTRIFUGO_BIN"); cbin != "" {
		tmpl := getenv("CENTRIFUGO_CONFIG")
		if tmpl == "" {
			tmpl = filepath.Join(getenv("INFIDRAW_ROOT"), "bench/centrifugo/config.json")
		}
		if cf, err = fanout.NewCentrifugo(cbin, tmpl, getenv("CENTRIFUGO_VERSION"), redisURL, *serverCPUs, *cfClient); err != nil {
			return err
		}
	}
	relays := nodeRelays{node: getenv("NODE_BIN"), baseline: getenv("BASELINE_RELAY"), phase1: getenv("PHASE1_RELAY")}
	if relays.node == "" {
		relays.node = "node"
	}
	if (parts["fanout"] && slices.Contains(runSystems, "baseline") && relays.baseline == "") || (withPhase1 && relays.phase1 == "") {
		return fmt.Errorf("BASELINE_RELAY and PHASE1_RELAY must be set (scripts/bench.sh sets them)")
	}
	if err := part("fanout", func() error {
		return fanoutRuns(ctx, p, *out, bin, dbURL, redisURL, *serverCPUs, keys, relays, cf, runSystems, drawings, summary)
	}); err != nil {
		return err
	}
	if err := part("ingest", func() error {
		return ingestRuns(ctx, p, *out, bin, dbURL, redisURL, *serverCPUs, keys, relays, withPhase1, drawings, summary)
	}); err != nil {
		return err
	}
	if err := part("render", func() error {
		return renderRuns(ctx, *out, *strokesDir, *serverCPUs, getenv, summary)
	}); err != nil {
		return err
	}
	if err := part("coarse", func() error {
		return coarseRuns(ctx, *out, *strokesDir, *serverCPUs, getenv, summary)
	}); err != nil {
		return err
	}
	if err := part("open", func() error {
		return openRuns(ctx, *quick, parts["history"], *openStrokes, *out, bin, dbURL, redisURL, *serverCPUs, keys, *strokesDir, getenv, summary)
	}); err != nil {
		return err
	}
	if err := part("pan", func() error { // after open: it pans open's seeded room (pan.go)
		return panRuns(ctx, *quick, *out, dbURL, redisURL, getenv, summary)
	}); err != nil {
		return err
	}
	if err := part("idle", func() error {
		return idleMemory(ctx, p, *out, bin, dbURL, redisURL, *serverCPUs, keys, cf, summary)
	}); err != nil {
		return err
	}
	if err := part("bigroom", func() error {
		return bigroomRuns(ctx, p.bigroom, *out, bigroom.Server{Bin: bin, DatabaseURL: dbURL, RedisURL: redisURL, Keys: keys, CPUs: *serverCPUs}, drawings, summary)
	}); err != nil {
		return err
	}
	text := summary.String()
	// A run of some parts (--only) replaces their sections of the summary that is there and keeps the rest.
	if onlyGiven {
		if old, err := os.ReadFile(filepath.Join(*out, "summary.md")); err == nil {
			text = splice(string(old), text)
		}
	}
	if err := os.WriteFile(filepath.Join(*out, "summary.md"), []byte(text), 0o644); err != nil {
		return err
	}
	fmt.Print(summary.String())
	return nil
}

func wireSize(out string, drawings []quickdraw.Drawing, summary *strings.Builder) error {
	wr, err := wire.Measure(drawings)
	if err != nil {
		return err
	}
	if err := writeJSON(out, "wire", wr); err != nil {
		return err
	}
	fmt.Fprintf(summary, "## Wire size: bytes per point (%d real strokes, %d points)\n\n| encoding | median stroke | overall |\n|---|---|---|\n", wr.Strokes, wr.Points)
	for _, r := range wr.Results {
		fmt.Fprintf(summary, "| %s | %s | %s |\n", r.Encoding, wire.Format(r.MedianStroke), wire.Format(r.Overall))
	}
	fmt.Fprintf(summary, "\nJSON / infidraw (median stroke): %.1fx; msgpack / infidraw: %.1fx\n\n",
		wr.Results[1].MedianStroke/wr.Results[0].MedianStroke, wr.Results[2].MedianStroke/wr.Results[0].MedianStroke)
	return nil
}

// nodeRelays are the Node programs of the earlier design (baseline) and of the roadmap's phase-1 fix of it.
type nodeRelays struct{ node, baseline, phase1 string }

func fanoutRuns(ctx context.Context, p plan, out, bin, dbURL, redisURL, cpus string, keys *stack.Keys, relays nodeRelays, cf *fanout.Centrifugo, systems []string, drawings []quickdraw.Drawing, summary *strings.Builder) error {
	backing, err := stack.NewBacking(ctx, dbURL, redisURL)
	if err != nil {
		return fmt.Errorf("fan-out: PostgreSQL's and Redis's processes: %w", err)
	}
	var all []fanout.Result
	var running []string
	for _, sys := range systems {
		if sys != "centrifugo" || cf != nil {
			running = append(running, sys)
		}
	}
	// Interleaved: every system at one load before the next load, so that a shared machine's busy minutes
	// fall on all of them alike instead of on one system's whole series.
	for _, n := range p.replicaSets {
		for _, cfg := range p.fanout {
			for _, sys := range running {
				replicas := make([]*stack.Process, n)
				for i := range replicas {
					var err error
					switch sys {
					case "baseline":
						replicas[i], err = stack.StartBaseline(relays.node, relays.baseline, redisURL, "baseline", cpus)
					case "phase1":
						replicas[i], err = stack.StartPhase1(relays.node, relays.phase1, dbURL, redisURL, "phase1", cpus)
					case "centrifugo":
						replicas[i], err = cf.Start(n > 1)
					default:
						replicas[i], err = stack.StartRealtime(bin, dbURL, redisURL, keys, cpus)
					}
					if err != nil {
						for _, r := range replicas[:i] {
							r.Stop()
						}
						return err
					}
				}
				cfg.System, cfg.Replicas, cfg.Keys, cfg.Centrifugo, cfg.Drawings, cfg.Duration, cfg.Backing = sys, replicas, keys, cf, drawings, p.fanoutLength, backing
				res, err := fanout.Run(ctx, cfg)
				for _, r := range replicas {
					if u, uerr := stack.ReadUsage(r.Cmd.Process.Pid); uerr == nil {
						res.ServerPeakRSS = max(res.ServerPeakRSS, u.PeakRSS)
					}
					r.Stop()
				}
				if err != nil {
					return fmt.Errorf("%s fan-out: %w", sys, err)
				}
				all = append(all, res)
				// Every measured load, quick or full: a run that lost, reordered or corrupted an event
				// has no number worth reporting.
				if res.Violations > 0 || res.Incomplete > 0 {
					fanoutTables(summary, systems, cf, all)
					_ = os.WriteFile(filepath.Join(out, "summary.md"), []byte(summary.String()), 0o644)
					return fanoutFailure(res)
				}
			}
		}
	}
	fanoutTables(summary, systems, cf, all)
	if err := writeJSON(out, "fanout", all); err != nil {
		return err
	}
	fanoutComparison(summary, p, all, "baseline")
	fanoutComparison(summary, p, all, "phase1")
	fanoutComparison(summary, p, all, "centrifugo")
	fanoutAtEqualP99(summary, all, "centrifugo")
	fanoutCostModel(summary, all)
	if err := latencySVG(filepath.Join(out, "fanout-latency.svg"), all); err != nil {
		return err
	}
	if err := throughputSVG(filepath.Join(out, "fanout-throughput.svg"), all); err != nil {
		return err
	}
	fmt.Fprintf(summary, "\n![latency distributions](fanout-latency.svg)\n\n![delivered vs offered](fanout-throughput.svg)\n\n")
	return nil
}

// fanoutFailure says what went wrong in one run: system, replicas, load, and the clients that missed events.
func fanoutFailure(res fanout.Result) error {
	missing := res.Missing
	const shown = 5
	more := ""
	if len(missing) > shown {
		more = fmt.Sprintf("; and %d more", len(missing)-shown)
		missing = missing[:shown]
	}
	clients := ""
	if len(missing) > 0 {
		clients = ": " + strings.Join(missing, "; ") + more
	}
	return fmt.Errorf("%s fan-out, %s replica(s), %gx, %d rooms × %d clients (%d writers): %d order violations, %d payload mismatches, %d of %d clients missing committed events%s",
		res.System, replicaLabel(res.Replicas), res.Speed, res.Rooms, res.ClientsPerRoom, res.WritersPerRoom, res.Violations-res.PayloadMismatches, res.PayloadMismatches,
		res.Incomplete, res.Rooms*res.ClientsPerRoom, clients)
}

// replicaLabel names a replica count as what it measures: the harness pins every server to one core, so
// two replicas share it and show cross-replica correctness and overhead, not scaling.
func replicaLabel(n int) string {
	if n == 1 {
		return "1"
	}
	return fmt.Sprintf("%d on 1 core", n)
}

// usPerDelivered is CPU µs per delivered event: the servers' alone, and with PostgreSQL's and Redis's.
func usPerDelivered(r *fanout.Result) (servers, withBacking float64) {
	return r.ServerCPUUsPerDelivered, r.ServerCPUUsPerDelivered + r.PostgresCPUUsPerDelivered + r.RedisCPUUsPerDelivered
}

// fanoutTables writes one table per system, its runs in the order they ran.
func fanoutTables(summary *strings.Builder, systems []string, cf *fanout.Centrifugo, all []fanout.Result) {
	for _, sys := range systems {
		if sys == "centrifugo" && cf == nil {
			fmt.Fprintf(summary, "### Fan-out, Centrifugo: not run (CENTRIFUGO_BIN is not set; scripts/bench.sh builds it, --quick uses it only when it is built already)\n\n")
			continue
		}
		name := map[string]string{"infidraw": "infidraw (realtime-go, binary protobuf, output at once or per 16 ms tick under load, Postgres COPY per batch)",
			"baseline": "baseline (earlier design: Node `ws`, JSON.stringify per event, one message per event, msgpack over Redis; **no persistence**)",
			"phase1":   "phase 1 (the roadmap's fix of the earlier design: Node `ws` + bufferutil, binary msgpack frames coalesced per client per event-loop turn, socket backpressure, batched multi-row INSERT via a prepared statement, ack after commit, msgpack over Redis)"}[sys]
		if sys == "centrifugo" {
			name = fmt.Sprintf("Centrifugo %s (%s clients, protobuf protocol, one channel per room, client-side publish acknowledged by its reply, JWT HS256, "+
				"history and presence off; 1 replica: memory engine, 2 replicas: Redis engine; **no persistence**)", cf.Version, cfClientName(cf))
		}
		fmt.Fprintf(summary, "### Fan-out, %s\n\n| replicas | rooms × clients (writers) | speed | commits/s | delivered events/s | p50 ms | p99 ms | p99.9 ms | live p50 / p99 ms | server CPU s | CPU µs per delivered: server processes only | incl. PostgreSQL+Redis | Redis ops per commit | client bytes per delivered | server peak RSS MiB | generator CPU s | order + payload violations | clients missing events |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n", name)
		for _, res := range all {
			if res.System == sys {
				live := "—" // the relays' clients (baseline, phase 1) do not read live chunks
				if res.LiveDelivered > 0 {
					live = fmt.Sprintf("%.1f / %.1f", res.LiveP50ms, res.LiveP99ms)
				}
				bytes := "—" // centrifuge-go hands over publications, not messages
				if res.ClientBytes > 0 {
					bytes = fmt.Sprintf("%.0f", res.ClientBytesPerDelivered)
				}
				own, withBacking := usPerDelivered(&res)
				fmt.Fprintf(summary, "| %s | %d × %d (%d) | %gx | %.0f | %.0f | %.1f | %.1f | %.1f | %s | %.1f | %.1f | %.1f | %.2f | %s | %.0f | %.1f | %d | %d |\n", replicaLabel(res.Replicas), res.Rooms, res.ClientsPerRoom, res.WritersPerRoom,
					res.Speed, res.OfferedPerSec, res.DeliveredPerSec, res.P50ms, res.P99ms, res.P999ms, live, res.ServerCPUSeconds, own, withBacking, res.RedisOpsPerCommit, bytes,
					float64(res.ServerPeakRSS)/(1<<20), res.GeneratorCPUSeconds, res.Violations, res.Incomplete)
			}
		}
		fmt.Fprintln(summary)
	}
	if len(all) > 0 {
		fmt.Fprintf(summary, "Replicas \"2 on 1 core\": both replicas run on core 1, so those rows show cross-replica correctness (every event through Redis to the other replica's clients) and its overhead, not scaling. "+
			"commits/s and delivered events/s count only acks and deliveries inside the %gs window; CPU is from the window's start until every client held every committed event, per delivered event of that span; \"incl. PostgreSQL+Redis\" adds the CPU of PostgreSQL's whole process tree and of redis-server meanwhile.\n\n", all[0].DurationSec)
	}
}

// fanoutComparison puts infidraw and the baseline side by side at each offered load (same drawings, speed,
// rooms and clients) and names the saturation point of each: the highest speed at which every client got
// every event.
func fanoutComparison(summary *strings.Builder, p plan, all []fanout.Result, other string) {
	if !ran(all, "infidraw") || !ran(all, other) {
		return
	}
	find := func(sys string, n int, cfg fanout.Config) *fanout.Result {
		for i := range all {
			if all[i].System == sys && all[i].Replicas == n && all[i].Speed == cfg.Speed && all[i].WritersPerRoom == cfg.WritersPerRoom {
				return &all[i]
			}
		}
		return nil
	}
	load := func(cfg fanout.Config) string {
		return fmt.Sprintf("%gx, %d writers/room", cfg.Speed, cfg.WritersPerRoom)
	}
	fmt.Fprintf(summary, "### Fan-out side by side (ratio = infidraw / %[1]s; delivered: higher is better, p99: lower is better)\n\n| replicas | load | delivered/s infidraw | delivered/s %[1]s | ratio | p99 ms infidraw | p99 ms %[1]s | p99 ratio | delivered per CPU-s, server processes only: infidraw | %[1]s | ratio | delivered per CPU-s incl. PostgreSQL+Redis: infidraw | %[1]s | ratio |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n", other)
	for _, n := range p.replicaSets {
		for _, cfg := range p.fanout {
			a, b := find("infidraw", n, cfg), find(other, n, cfg)
			if a == nil || b == nil {
				continue
			}
			// Per CPU-second of the same span the deliveries are counted over (delivered_events_all).
			eff := func(r *fanout.Result) float64 {
				own, _ := usPerDelivered(r)
				return 1e6 / max(own, 0.01)
			}
			effAll := func(r *fanout.Result) float64 {
				_, withBacking := usPerDelivered(r)
				return 1e6 / max(withBacking, 0.01)
			}
			fmt.Fprintf(summary, "| %s | %s | %.0f | %.0f | %.2f | %.1f | %.1f | %.2f | %.0f | %.0f | %.2f | %.0f | %.0f | %.2f |\n", replicaLabel(n), load(cfg), a.DeliveredPerSec, b.DeliveredPerSec, a.DeliveredPerSec/b.DeliveredPerSec,
				a.P99ms, b.P99ms, a.P99ms/b.P99ms, eff(a), eff(b), eff(a)/eff(b), effAll(a), effAll(b), effAll(a)/effAll(b))
		}
	}
	fmt.Fprintf(summary, "\n| replicas | saturation infidraw (load, delivered/s) | saturation %s | ratio |\n|---|---|---|---|\n", other)
	for _, n := range p.replicaSets {
		sat := func(sys string) (string, float64) {
			var at string
			var best float64
			for _, cfg := range p.fanout {
				if r := find(sys, n, cfg); r != nil && r.Incomplete == 0 && r.Violations == 0 && r.DeliveredPerSec > best {
					at, best = load(cfg), r.DeliveredPerSec
				}
			}
			return at, best
		}
		as, ad := sat("infidraw")
		bs, bd := sat(other)
		fmt.Fprintf(summary, "| %s | %s: %.0f | %s: %.0f | %.2f |\n", replicaLabel(n), as, ad, bs, bd, ad/bd)
	}
	fmt.Fprintln(summary)
}

func cfClientName(cf *fanout.Centrifugo) string {
	if cf.Client == "raw" {
		return "raw-WebSocket"
	}
	return cf.Client
}

func ran(all []fanout.Result, sys string) bool {
	for _, r := range all {
		if r.System == sys {
			return true
		}
	}
	return false
}

// fanoutAtEqualP99 compares delivered events/s at equal tail latency: for each p99 bound, the most
// delivered events/s among the runs (any speed) that stayed within it with every event delivered.
func fanoutAtEqualP99(summary *strings.Builder, all []fanout.Result, other string) {
	if !ran(all, "infidraw") || !ran(all, other) {
		return
	}
	best := func(sys string, n int, bound float64) float64 {
		v := 0.0
		for _, r := range all {
			if r.System == sys && r.Replicas == n && r.P99ms <= bound && r.Incomplete == 0 && r.Violations == 0 {
				v = max(v, r.DeliveredPerSec)
			}
		}
		return v
	}
	fmt.Fprintf(summary, "Delivered events/s at equal p99: the most delivered/s among the runs whose p99 stayed within the bound (— = no run did).\n\n"+
		"| replicas | p99 ≤ ms | delivered/s infidraw | delivered/s %s | ratio |\n|---|---|---|---|---|\n", other)
	cell := func(v float64) string {
		if v == 0 {
			return "—"
		}
		return fmt.Sprintf("%.0f", v)
	}
	for _, n := range []int{1, 2} {
		for _, bound := range []float64{25, 50, 100, 250} {
			a, b := best("infidraw", n, bound), best(other, n, bound)
			ratio := "—"
			if a > 0 && b > 0 {
				ratio = fmt.Sprintf("%.2f", a/b)
			}
			fmt.Fprintf(summary, "| %s | %g | %s | %s | %s |\n", replicaLabel(n), bound, cell(a), cell(b), ratio)
		}
	}
	fmt.Fprintln(summary)
}

// fanoutCostModel projects infidraw's fan-out over N replicas, each on its own core, from the measured
// cost of its 1-replica run with the most delivered/s: N × the deliveries one core pays for, until Redis
// (one thread) runs out of CPU at the commands per Redis CPU-second measured in the same run.
func fanoutCostModel(summary *strings.Builder, all []fanout.Result) {
	var r1, r2 *fanout.Result
	for i := range all {
		if r := &all[i]; r.System == "infidraw" && r.Replicas == 1 && (r1 == nil || r.DeliveredPerSec > r1.DeliveredPerSec) {
			r1 = r
		}
	}
	if r1 == nil || r1.ServerCPUUsPerDelivered <= 0 || r1.CommittedAll == 0 {
		return
	}
	for i := range all {
		if r := &all[i]; r.System == "infidraw" && r.Replicas == 2 && r.Speed == r1.Speed && r.WritersPerRoom == r1.WritersPerRoom {
			r2 = r
		}
	}
	perCommit := func(r *fanout.Result, v float64) float64 { return v / float64(r.CommittedAll) }
	fanOut := float64(r1.DeliveredAll) / float64(r1.CommittedAll)
	perCore := 1e6 / r1.ServerCPUUsPerDelivered
	fmt.Fprintf(summary, "### Fan-out cost model (infidraw, 1 replica, %gx, %d writers/room: the 1-replica run with the most delivered/s; `fanout.json` has every run's)\n\n| quantity | value |\n|---|---|\n", r1.Speed, r1.WritersPerRoom)
	row := func(k, format string, v ...any) { fmt.Fprintf(summary, "| %s | %s |\n", k, fmt.Sprintf(format, v...)) }
	row("delivered events/s measured (commits/s)", "%.0f (%.0f)", r1.DeliveredPerSec, r1.OfferedPerSec)
	row("realtime-go's core busy", "%.0f %%", 100*r1.ServerCPUSeconds/r1.CPUSpanSec)
	row("deliveries per commit", "%.1f", fanOut)
	row("CPU µs per delivered event: realtime-go / PostgreSQL / Redis", "%.2f / %.2f / %.2f", r1.ServerCPUUsPerDelivered, r1.PostgresCPUUsPerDelivered, r1.RedisCPUUsPerDelivered)
	row("CPU µs per commit: PostgreSQL / Redis", "%.0f / %.1f", perCommit(r1, r1.PostgresCPUSeconds*1e6), perCommit(r1, r1.RedisCPUSeconds*1e6))
	if r2 != nil && r2.CommittedAll > 0 {
		row("the same, 2 replicas on 1 core", "%.0f / %.1f (realtime-go µs per delivered %.2f)", perCommit(r2, r2.PostgresCPUSeconds*1e6), perCommit(r2, r2.RedisCPUSeconds*1e6), r2.ServerCPUUsPerDelivered)
	}
	calls := make([]string, 0, len(r1.RedisCalls))
	for k, v := range r1.RedisCalls {
		calls = append(calls, fmt.Sprintf("%s %.2f", k, perCommit(r1, float64(v))))
	}
	slices.Sort(calls)
	row("Redis commands per commit", "%.2f (%s)", r1.RedisOpsPerCommit, strings.Join(calls, ", "))
	row("bytes: WebSocket per delivered event / Redis network per commit", "%.0f / %.0f", r1.ClientBytesPerDelivered, r1.RedisBytesPerCommit)
	row("**per-core capacity** (1 / realtime-go CPU per delivered)", "%.0f delivered/s", perCore)
	if r1.RedisCPUSeconds >= 0.05 && r1.RedisCommands > 0 { // below, /proc's 10 ms ticks make the rate noise
		opsPerSec := float64(r1.RedisCommands) / r1.RedisCPUSeconds
		ceilCommits := opsPerSec / r1.RedisOpsPerCommit
		ceil := ceilCommits * fanOut
		row("Redis commands per Redis CPU-second (R)", "%.0f", opsPerSec)
		row("**projected ceiling** (Redis at R: R / commands per commit × deliveries per commit)", "%.0f commits/s, %.0f delivered/s, reached at N ≈ %.0f replicas", ceilCommits, ceil, ceil/perCore)
		row("PostgreSQL CPU at that ceiling", "%.1f cores", ceilCommits*perCommit(r1, r1.PostgresCPUSeconds))
	} else {
		row("Redis commands per Redis CPU-second (R)", "not measured: Redis used %.2f CPU-s (< 0.05)", r1.RedisCPUSeconds)
	}
	fmt.Fprintf(summary, "\nProjection, not measurement: N replicas each on its own core deliver about N × the per-core capacity (rooms spread over them) until Redis, one thread, "+
		"saturates. The per-core capacity extrapolates to a full core when realtime-go's was not. R is measured with Redis at a few per cent of its core, where every command pays its own wake-up and system calls "+
		"(a busy Redis amortizes them: R is low), and with one subscribing replica per room channel (each further replica in a room adds a delivery per PUBLISH: R is high at large N). "+
		"Take the ceiling as an order of magnitude. See docs/scaling.md.\n\n")
}

func ingestRuns(ctx context.Context, p plan, out, bin, dbURL, redisURL, cpus string, keys *stack.Keys, relays nodeRelays, withPhase1 bool, drawings []quickdraw.Drawing, summary *strings.Builder) error {
	pool, err := ingest.Pool(drawings, 5000)
	if err != nil {
		return err
	}
	cfg := p.ingest
	cfg.Seconds = cfg.Duration.Seconds()
	// withServer runs one phase against a fresh server process, pinned like every server, and adds its CPU
	// and peak memory to the phase.
	withServer := func(start func() (*stack.Process, error), run func(*stack.Process) (ingest.Phase, error)) (ingest.Phase, error) {
		rep, err := start()
		if err != nil {
			return ingest.Phase{}, err
		}
		ph, err := run(rep)
		if u, uerr := stack.ReadUsage(rep.Cmd.Process.Pid); uerr == nil {
			ph.ServerCPUSec, ph.ServerPeakRSS = u.CPUSeconds, u.PeakRSS
		}
		rep.Stop()
		return ph, err
	}
	systems := []struct {
		name string
		run  func(rate float64) (ingest.Phase, error)
	}{
		{"infidraw", func(rate float64) (ingest.Phase, error) {
			return withServer(func() (*stack.Process, error) { return stack.StartRealtime(bin, dbURL, redisURL, keys, cpus) },
				func(rep *stack.Process) (ingest.Phase, error) {
					return ingest.Infidraw(ctx, cfg, rep, keys, dbURL, pool, rate)
				})
		}},
		{"row-by-row", func(rate float64) (ingest.Phase, error) { return ingest.RowByRow(ctx, cfg, dbURL, pool, rate) }},
		{"phase1", func(rate float64) (ingest.Phase, error) {
			return withServer(func() (*stack.Process, error) {
				return stack.StartPhase1(relays.node, relays.phase1, dbURL, redisURL, "phase1-ingest", cpus)
			}, func(rep *stack.Process) (ingest.Phase, error) { return ingest.Phase1(ctx, cfg, rep, dbURL, pool, rate) })
		}},
	}
	if !withPhase1 {
		systems = systems[:2]
	}
	var phases []ingest.Phase
	maxOf := map[string]float64{}
	halfP99 := map[string]float64{}
	for _, sys := range systems {
		for _, mode := range []string{"max", "half"} {
			rate := 0.0
			if mode == "half" {
				rate = maxOf[sys.name] / 2
			}
			ph, err := sys.run(rate)
			if err != nil {
				return fmt.Errorf("ingest %s: %w", sys.name, err)
			}
			ph.Mode = mode
			if ph.InDatabase != ph.Committed {
				return fmt.Errorf("ingest %s %s: %d strokes acknowledged but %d in the database", ph.System, ph.Mode, ph.Committed, ph.InDatabase)
			}
			if mode == "max" {
				maxOf[sys.name] = ph.CommittedPerS
			} else {
				halfP99[sys.name] = ph.P99ms
			}
			phases = append(phases, ph)
		}
	}
	if err := writeJSON(out, "ingest", map[string]any{"config": cfg, "phases": phases}); err != nil {
		return err
	}
	pipelined := "infidraw writers keep"
	if withPhase1 {
		pipelined = "infidraw and phase-1 writers keep"
	}
	fmt.Fprintf(summary, "## Ingest: committed strokes/s and ack latency (%d writers, one room each, %gs per phase, same real strokes, same PostgreSQL; %s up to %d commits unacknowledged, the row-by-row baseline has a pool of %d connections)\n\n", cfg.Writers, cfg.Seconds, pipelined, cfg.InFlight, cfg.Writers)
	fmt.Fprintf(summary, "| system | load | offered strokes/s | committed strokes/s | ack p50 ms | ack p99 ms | rows per stroke | OVERLOADED retries | server CPU s | in database = acked |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, ph := range phases {
		offered := "closed loop"
		if ph.OfferedPerSec > 0 {
			offered = fmt.Sprintf("%.0f", ph.OfferedPerSec)
		}
		cpu := "—" // row-by-row runs in the generator's process
		if ph.ServerCPUSec > 0 {
			cpu = fmt.Sprintf("%.1f", ph.ServerCPUSec)
		}
		fmt.Fprintf(summary, "| %s | %s | %s | %.0f | %.1f | %.1f | %.1f | %d | %s | %d = %d |\n", ph.System, ph.Mode, offered, ph.CommittedPerS, ph.P50ms, ph.P99ms, ph.RowsPerStroke, ph.Retries, cpu, ph.InDatabase, ph.Committed)
	}
	fmt.Fprintf(summary, "\n**infidraw / row-by-row: %.1fx committed strokes/s at max** (target ≥ 20x); ack p99 at half of max: infidraw %.1f ms (target < 100 ms), row-by-row %.1f ms.\n",
		maxOf["infidraw"]/maxOf["row-by-row"], halfP99["infidraw"], halfP99["row-by-row"])
	if withPhase1 {
		fmt.Fprintf(summary, "**infidraw / phase 1: %.1fx committed strokes/s at max**; phase 1's ack p99 at half of its max: %.1f ms.\n", maxOf["infidraw"]/maxOf["phase1"], halfP99["phase1"])
	}
	fmt.Fprintf(summary, "infidraw's rows: stroke_events + strokes + tile_events at every level, plus the room_heads update, in one transaction with COPY per batch; row-by-row writes stroke_events (JSON) + the same tile_events rows, one autocommit INSERT each.")
	if withPhase1 {
		fmt.Fprintf(summary, " Phase 1 writes stroke_events (msgpack) + the same tile_events rows with one prepared INSERT … SELECT FROM unnest statement per batch (up to 512 strokes, or what a shard queued in 2 ms), then publishes and acks.")
	}
	fmt.Fprintf(summary, "\n\n")
	return nil
}

func idleMemory(ctx context.Context, p plan, out, bin, dbURL, redisURL, cpus string, keys *stack.Keys, cf *fanout.Centrifugo, summary *strings.Builder) error {
	rep, err := stack.StartRealtime(bin, dbURL, redisURL, keys, cpus)
	if err != nil {
		return err
	}
	idle, err := fanout.Idle(ctx, rep, keys, p.idleConns, p.idleRooms)
	rep.Stop()
	if err != nil {
		return err
	}
	// memory.json keeps infidraw's numbers at the top level and adds Centrifugo's beside them.
	mem := struct {
		fanout.IdleResult
		Centrifugo *fanout.IdleResult `json:"centrifugo,omitempty"`
		Ratio      float64            `json:"infidraw_over_centrifugo,omitempty"`
	}{IdleResult: idle}
	if cf != nil {
		c, err := fanout.IdleCentrifugo(ctx, cf, p.idleConns, p.idleRooms)
		if err != nil {
			return fmt.Errorf("centrifugo idle: %w", err)
		}
		mem.Centrifugo, mem.Ratio = &c, idle.BytesPerConnKiB/c.BytesPerConnKiB
	}
	if err := writeJSON(out, "memory", mem); err != nil {
		return err
	}
	fmt.Fprintf(summary, "## Memory per idle WebSocket connection\n\n%d joined connections in %d rooms: server RSS %.1f → %.1f MiB, **%.1f KiB per connection** (target ≤ 16 KiB)\n",
		idle.Connections, idle.Rooms, float64(idle.RSSBeforeBytes)/(1<<20), float64(idle.RSSAfterBytes)/(1<<20), idle.BytesPerConnKiB)
	if c := mem.Centrifugo; c != nil {
		fmt.Fprintf(summary, "\nCentrifugo %s, %d %s clients connected and subscribed to %d room channels (WebSocket buffers as realtime-go's: 1 KiB, write buffer pool): "+
			"server RSS %.1f → %.1f MiB, **%.1f KiB per connection**; **infidraw / Centrifugo: %.2f** (target ≤ 1)\n",
			cf.Version, c.Connections, cfClientName(cf), c.Rooms, float64(c.RSSBeforeBytes)/(1<<20), float64(c.RSSAfterBytes)/(1<<20), c.BytesPerConnKiB, mem.Ratio)
	} else {
		fmt.Fprintf(summary, "\nCentrifugo: not measured (CENTRIFUGO_BIN is not set)\n")
	}
	return nil
}

func writeJSON(dir, name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name+".json"), b, 0o644)
}

// openRuns opens a board: a 1,000,000-stroke room (20,000 with --quick) and a 1,000-stroke room of the
// same density, from tiles versus the earlier design's full replay.
func openRuns(ctx context.Context, quick, seek bool, strokes int, out, bin, dbURL, redisURL, cpus string, keys *stack.Keys, strokesDir string, getenv func(string) string, summary *strings.Builder) error {
	root := getenv("INFIDRAW_ROOT")
	if root == "" {
		root = "."
	}
	path := func(env, rel string) string {
		if v := getenv(env); v != "" {
			return v
		}
		return filepath.Join(root, rel)
	}
	cfg := openboard.Config{Strokes: 1_000_000, Small: 1000, Root: root, Drawings: strokesDir, RealtimeBin: bin,
		TileDeltaBin: path("TILE_DELTA_BIN", "bin/tile-delta-go"), SnapshotBin: path("SNAPSHOT_BIN", "target/release/snapshot-server"),
		Seed: getenv("SEED_BIN"), DatabaseURL: dbURL, RedisURL: redisURL, Keys: keys, CPUs: cpus, Seek: seek}
	if quick {
		cfg.Strokes = 20_000
	}
	if strokes > 0 {
		cfg.Strokes = strokes
	}
	res, err := openboard.Run(ctx, cfg)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	if err := writeJSON(out, "open", res); err != nil {
		return err
	}
	fmt.Fprintf(summary, "## Opening a board: a 1920×1080 screen from tiles vs the earlier design's full replay\n\n"+
		"Rooms seeded with real drawings over a %d-unit square (the small room at the same density); level 0 = 100 %%, level %d = the whole square on screen. "+
		"\"first\" is the first read of the bulk-seeded rooms before any snapshot (a tile-delta-go read replica, TILE_DELTA_FOLLOW_ROOMS=0, so nothing else runs), \"catch-up s\" the time a following tile-delta-go takes to work through a whole seeded log (snapshots of every tile at the threshold of %d strokes, every level), \"settled\" the median of %d reads after that. "+
		"bytes: the GetTiles answers; PNG bytes: the snapshots they name, which the browser fetches besides (once: they are immutable). Times are round trips on loopback; the replay rows count the GetEvents pages alone (their bytes are the pages as JSON, what the earlier design sends; the benchmark's own conversion to JSON is not in the time). Bound: ≤ %d tiles per screen. The level-0 rows are %d screens (a 3 × 3 block around the origin, inside the small room's square), one read each, summed: "+
		"one screen holds a few dozen drawings, so a single one compares chance rather than rooms.\n\n", openboard.Spread, res.FarLevel, 64, openboard.SettledReads, res.MaxTiles, openboard.NearScreens)
	fmt.Fprintf(summary, "| room | seed s | catch-up s | read | tiles | snapshots | pending | strokes | bytes | PNG bytes | ms |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range []openboard.Room{res.Large, res.Small} {
		for _, row := range []struct {
			name string
			v    openboard.Read
		}{{"level 0 first", r.Level0}, {"level 0 settled", r.Level0Warm}, {fmt.Sprintf("level %d first", res.FarLevel), r.Far},
			{fmt.Sprintf("level %d settled", res.FarLevel), r.FarWarm}, {"replay JSON uncached", r.Replay}, {"replay JSON cached", r.ReplayHot}} {
			fmt.Fprintf(summary, "| %d | %.1f | %.1f | %s | %d | %d | %d | %d | %d | %d | %.1f |\n", r.Strokes, r.SeedSec, r.CatchUpSec, row.name, row.v.Tiles, row.v.Snapshots, row.v.Pending, row.v.Strokes, row.v.Bytes, row.v.PNGBytes, row.v.Ms)
		}
	}
	fmt.Fprintf(summary, "\nSettled time %d vs %d strokes: level 0 %.2fx, level %d %.2fx (target ≤ 1.5).\n\n", res.Large.Strokes, res.Small.Strokes,
		res.Large.Level0Warm.Ms/max(res.Small.Level0Warm.Ms, 0.001), res.FarLevel, res.Large.FarWarm.Ms/max(res.Small.FarWarm.Ms, 0.001))
	if res.History != nil {
		return historySummary(out, *res.History, summary)
	}
	return nil
}

// historySummary writes history.json and the summary's table of seeks into the past.
func historySummary(out string, h openboard.History, summary *strings.Builder) error {
	if err := writeJSON(out, "history", h); err != nil {
		return err
	}
	fmt.Fprintf(summary, "## Seeking the past: the same screens at earlier points of the %d-stroke room (head %d)\n\n"+
		"Right after the open part's settled reads, on its stack: per point and level, the first GetTiles at that seq (`at_seq`), the wait until none of "+
		"the screens' tiles is pending (tile-delta-go renders a pending past tile's snapshot at that point), and the median of %d settled reads; "+
		"\"bytes ratio\" is the settled past screens' answers and PNGs over the same screens now. Goal (issue 16): ≤ 300 ms server time and ≤ 2x the bytes, "+
		"at any zoom, from kept past snapshots rather than renders at seek time: coarse tiles keep checkpoints (docs/tiles.md), and a pending past tile "+
		"is rendered from the nearest one.\n\n",
		h.Strokes, h.Head, openboard.SettledReads)
	fmt.Fprintf(summary, "| point | seq | level | first ms | first pending | settle s | settled ms | settled bytes | settled PNG bytes | bytes ratio |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range h.Seeks {
		fmt.Fprintf(summary, "| %.0f %% | %d | %d | %.1f | %d | %.1f | %.1f | %d | %d | %.2f |\n", s.Fraction*100, s.AtSeq, s.Level, s.First.Ms, s.First.Pending,
			s.SettleSec, s.Settled.Ms, s.Settled.Bytes, s.Settled.PNGBytes, s.BytesRatio)
	}
	fmt.Fprintf(summary, "\nSnapshot storage of the room: %d bytes before the seeks, %d after (%.2fx). Of those before, %d bytes are the tiles' newest "+
		"snapshots (all that would be kept without checkpoints): everything kept is %.2fx that (goal ≤ 1.5x).\n\n",
		h.SnapshotBytesBefore, h.SnapshotBytesAfter, h.StorageRatio, h.NewestBytesBefore, h.KeptRatio)
	tl := h.Timelapse
	fmt.Fprintf(summary, "### Timelapse: the %d-stroke room's square played from empty to its head\n\n"+
		"TileDeltaService.Timelapse on the same stack: the region (world units %d, %d to %d, %d) read from the tile index and planned by tile-delta-go, "+
		"drawn and encoded as WebM (VP8) by snapshot-rs, relayed as a stream; time from the call to the header and to the last video byte. "+
		"Checked: the header's frames and strokes (every stroke of the room), progress to the last frame, the EBML magic. Goal (issue \"History\"): ≥ %d frames per second of server time.\n\n",
		tl.Strokes, tl.Region[0], tl.Region[1], tl.Region[2], tl.Region[3], openboard.TimelapseGoalFPS)
	fmt.Fprintf(summary, "| size | frames | strokes | header ms | s to the last byte | frames/s | video bytes |\n|---|---|---|---|---|---|---|\n")
	fmt.Fprintf(summary, "| %d×%d | %d | %d | %.1f | %.2f | %.1f | %d |\n\n", tl.Width, tl.Height, tl.Frames, tl.Strokes, tl.HeaderMs, tl.Seconds, tl.FPS, tl.VideoBytes)
	return nil
}
