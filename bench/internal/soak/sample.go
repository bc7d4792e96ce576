package soak

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/infidraw/infidraw/bench/internal/chaos"
	"github.com/infidraw/infidraw/bench/internal/stack"
)

// Proc is one service's resources at one sample.
type Proc struct {
	RSS     int64 `json:"rss_bytes"` // PostgreSQL: the sum of its processes' private (anonymous) memory
	Threads int   `json:"threads"`   // PostgreSQL: its processes
	FDs     int   `json:"fds"`
	// Tasks is what the service schedules: go_goroutines (Go), nodejs_active_handles_total (the gateway),
	// threads (snapshot-rs, Redis), processes (PostgreSQL).
	Tasks  float64 `json:"tasks"`
	Errors int     `json:"errors"` // error-level lines it logged during the interval
	Exited bool    `json:"exited,omitempty"`
}

// Sample is one interval of the soak.
type Sample struct {
	AtSeconds float64         `json:"t_s"` // since the soak phase began
	Services  map[string]Proc `json:"services"`
	// PGSharedBytes is the largest shared memory (shared buffers) any PostgreSQL process has touched:
	// reported, not judged (bounded by shared_buffers, and it grows as the tables do).
	PGSharedBytes   int64          `json:"pg_shared_bytes"`
	RedisUsedMemory int64          `json:"redis_used_memory_bytes"`
	Load            chaos.Interval `json:"load"`
}

// sampler reads the services' resources and counts their new error lines.
type sampler struct {
	cl      *chaos.Cluster
	offsets map[string]int64 // how far each log has been read
}

func newSampler(cl *chaos.Cluster) *sampler {
	s := &sampler{cl: cl, offsets: map[string]int64{}}
	// Errors count from now: what the services logged while starting up is not the soak's.
	for _, svc := range cl.Services() {
		if fi, err := os.Stat(svc.Log); err == nil {
			s.offsets[svc.Log] = fi.Size()
		}
	}
	return s
}

// sample reads every service once.
func (s *sampler) sample() Sample {
	out := Sample{Services: map[string]Proc{}}
	for _, svc := range s.cl.Services() {
		var p Proc
		switch svc.Name {
		case "postgres":
			p, out.PGSharedBytes = postgres(svc.PID)
		default:
			st, err := stack.ReadStatus(svc.PID)
			p = Proc{RSS: st.RSS, Threads: st.Threads, FDs: countFDs(svc.PID), Tasks: float64(st.Threads), Exited: err != nil || st.Exited}
			metric := map[bool]string{true: "go_goroutines", false: "nodejs_active_handles_total"}[strings.HasPrefix(svc.Name, "realtime") || strings.HasPrefix(svc.Name, "tile-delta")]
			if svc.Metrics != "" && svc.Name != "snapshot-rs" {
				if v, ok := scrape(svc.Metrics, metric); ok {
					p.Tasks = v
				}
			}
		}
		if svc.Name == "redis" {
			out.RedisUsedMemory = redisUsedMemory(s.cl.RedisAddr())
		}
		p.Errors = s.newErrors(svc.Name, svc.Log)
		out.Services[svc.Name] = p
	}
	return out
}

func countFDs(pid int) int {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0
	}
	return len(ents)
}

// postgres sums the postmaster and its children: private memory (RssAnon: what backends allocate; the
// shared buffers every process maps would otherwise be counted once per process), processes and fds.
func postgres(postmaster int) (Proc, int64) {
	root, err := stack.ReadStatus(postmaster)
	if err != nil || root.Exited {
		return Proc{Exited: true}, 0
	}
	p := Proc{RSS: root.Anon, Threads: 1, FDs: countFDs(postmaster)}
	shared := root.Shmem
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := stack.ReadStatus(pid)
		if err != nil || st.PPid != postmaster {
			continue
		}
		p.RSS += st.Anon
		p.Threads++
		p.FDs += countFDs(pid)
		shared = max(shared, st.Shmem)
	}
	p.Tasks = float64(p.Threads)
	return p, shared
}

// scrape reads one unlabelled metric from a Prometheus text exposition.
func scrape(url, name string) (float64, bool) {
	client := http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(strings.Fields(v)[0], 64)
			return f, err == nil
		}
	}
	return 0, false
}

// redisUsedMemory asks INFO memory for used_memory (0 when Redis does not answer).
func redisUsedMemory(addr string) int64 {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return 0
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Write([]byte("INFO memory\r\n")); err != nil {
		return 0
	}
	r := bufio.NewReader(conn)
	head, err := r.ReadString('\n') // $<length>
	if err != nil || !strings.HasPrefix(head, "$") {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(head[1:]))
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return 0
	}
	for _, line := range strings.Split(string(body), "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			b, _ := strconv.ParseInt(v, 10, 64)
			return b
		}
	}
	return 0
}

// The error lines of each log format: the JSON logs of the Go services (slog), the gateway (pino, level
// label) and snapshot-rs (tracing); a Go or Rust panic; PostgreSQL's ERROR, FATAL and PANIC; Redis's
// warnings ("#", its most severe level).
var (
	jsonError   = regexp.MustCompile(`(?i)"level"\s*:\s*"(error|fatal|panic|critical)"`)
	crash       = regexp.MustCompile(`^(panic: |fatal error: )|panicked at`)
	pgError     = regexp.MustCompile(`\b(ERROR|FATAL|PANIC):`)
	redisWarned = regexp.MustCompile(`^\d+:[A-Z] .* # `)
)

// isError tells whether a log line of service is error-level.
func isError(service string, line []byte) bool {
	switch service {
	case "postgres":
		return pgError.Match(line)
	case "redis":
		return redisWarned.Match(line)
	}
	return jsonError.Match(line) || crash.Match(line)
}

// newErrors counts the error lines the service's log gained since the last call (whole lines only).
func (s *sampler) newErrors(service, path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	if _, err := f.Seek(s.offsets[path], io.SeekStart); err != nil {
		return 0
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return 0
	}
	end := bytes.LastIndexByte(b, '\n') + 1
	n := 0
	for _, line := range bytes.Split(b[:end], []byte("\n")) {
		if isError(service, line) {
			n++
		}
	}
	s.offsets[path] += int64(end)
	return n
}
