package stack

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// userHZ is the unit of the CPU times in /proc/<pid>/stat (USER_HZ, 100 on every Linux we run on).
const userHZ = 100

// procStat is what the CPU accounting needs of one /proc/<pid>/stat line.
type procStat struct {
	pid, ppid int
	// own is the process's user+system time (all its threads), reaped the user+system time of its children
	// that exited and were waited for (cutime+cstime), both in seconds.
	own, reaped float64
}

// parseStat parses a /proc/<pid>/stat line. The command name (field 2) is in parentheses and may itself
// hold spaces and parentheses, so the fields are counted from the last ')'.
func parseStat(line string) (procStat, error) {
	open, end := strings.IndexByte(line, '('), strings.LastIndexByte(line, ')')
	if open < 1 || end < open {
		return procStat{}, fmt.Errorf("stat %q: no (comm)", line)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line[:open]))
	if err != nil {
		return procStat{}, fmt.Errorf("stat %q: pid: %w", line, err)
	}
	// From field 3 (state) on: ppid is field 4, utime, stime, cutime, cstime are fields 14 to 17.
	f := strings.Fields(line[end+1:])
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("stat %q: %d fields after comm", line, len(f))
	}
	var n [5]float64
	for i, k := range []int{1, 11, 12, 13, 14} {
		if n[i], err = strconv.ParseFloat(f[k], 64); err != nil {
			return procStat{}, fmt.Errorf("stat %q: field %d: %w", line, k+3, err)
		}
	}
	return procStat{pid: pid, ppid: int(n[0]), own: (n[1] + n[2]) / userHZ, reaped: (n[3] + n[4]) / userHZ}, nil
}

// treeCPU is the CPU seconds of root and every live descendant, plus what their exited children were
// charged when reaped: a PostgreSQL backend that ends between two samples moves its time into the
// postmaster's cutime/cstime, so the sum over the tree only grows and a difference of two samples is the
// tree's CPU in between.
func treeCPU(root int, procs []procStat) (float64, bool) {
	children := map[int][]procStat{}
	var total float64
	found := false
	for _, p := range procs {
		children[p.ppid] = append(children[p.ppid], p)
		if p.pid == root {
			total, found = p.own+p.reaped, true
		}
	}
	if !found {
		return 0, false
	}
	queue := []int{root}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		for _, c := range children[pid] {
			total += c.own + c.reaped
			queue = append(queue, c.pid)
		}
	}
	return total, true
}

// readProcs reads /proc/<pid>/stat of every process (those that exit meanwhile are skipped).
func readProcs() ([]procStat, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var procs []procStat
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		if p, err := parseStat(strings.TrimSpace(string(b))); err == nil {
			procs = append(procs, p)
		}
	}
	return procs, nil
}

// Backing samples what the benchmarks' PostgreSQL and Redis cost: the CPU of PostgreSQL's whole process
// tree (postmaster, backends, WAL writer, checkpointer, autovacuum, …), the CPU of redis-server, and the
// commands Redis ran. Both run on this machine (scripts/backing.sh).
type Backing struct {
	postmaster, redisPID int
	redisAddr            string
}

// BackingSample is one reading; Sub gives the cost between two.
type BackingSample struct {
	PostgresCPU, RedisCPU float64 // seconds
	// RedisCalls is INFO commandstats's calls per command (lower case, "publish", "evalsha", …) without
	// the INFO commands of the sampling itself.
	RedisCalls map[string]int64
	// RedisNetBytes is what Redis received and sent on its connections (total_net_input_bytes +
	// total_net_output_bytes).
	RedisNetBytes int64
}

// RedisCommands is the sum of RedisCalls.
func (s BackingSample) RedisCommands() int64 {
	var n int64
	for _, c := range s.RedisCalls {
		n += c
	}
	return n
}

// Sub is s minus before.
func (s BackingSample) Sub(before BackingSample) BackingSample {
	d := BackingSample{PostgresCPU: s.PostgresCPU - before.PostgresCPU, RedisCPU: s.RedisCPU - before.RedisCPU,
		RedisNetBytes: s.RedisNetBytes - before.RedisNetBytes, RedisCalls: map[string]int64{}}
	for k, v := range s.RedisCalls {
		if n := v - before.RedisCalls[k]; n != 0 {
			d.RedisCalls[k] = n
		}
	}
	return d
}

// NewBacking finds the postmaster (the parent of a backend that pg_backend_pid names) and redis-server
// (INFO's process_id).
func NewBacking(ctx context.Context, databaseURL, redisURL string) (*Backing, error) {
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return nil, err
	}
	var backend int
	err = conn.QueryRow(ctx, "select pg_backend_pid()").Scan(&backend)
	conn.Close(ctx)
	if err != nil {
		return nil, err
	}
	st, err := ReadStatus(backend)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL backend %d: %w (is PostgreSQL on this machine?)", backend, err)
	}
	u, err := url.Parse(redisURL)
	if err != nil {
		return nil, err
	}
	info, err := RedisInfo(u.Host, "server")
	if err != nil {
		return nil, err
	}
	pid, err := strconv.Atoi(info["process_id"])
	if err != nil {
		return nil, fmt.Errorf("redis INFO server: process_id %q", info["process_id"])
	}
	return &Backing{postmaster: st.PPid, redisPID: pid, redisAddr: u.Host}, nil
}

// Sample reads the CPU of both and Redis's command counts.
func (b *Backing) Sample() (BackingSample, error) {
	var s BackingSample
	procs, err := readProcs()
	if err != nil {
		return s, err
	}
	var ok bool
	if s.PostgresCPU, ok = treeCPU(b.postmaster, procs); !ok {
		return s, fmt.Errorf("postmaster %d is gone", b.postmaster)
	}
	if s.RedisCPU, ok = treeCPU(b.redisPID, procs); !ok {
		return s, fmt.Errorf("redis-server %d is gone", b.redisPID)
	}
	stats, err := RedisInfo(b.redisAddr, "commandstats")
	if err != nil {
		return s, err
	}
	if s.RedisCalls, err = commandCalls(stats); err != nil {
		return s, err
	}
	net, err := RedisInfo(b.redisAddr, "stats")
	if err != nil {
		return s, err
	}
	in, _ := strconv.ParseInt(net["total_net_input_bytes"], 10, 64)
	out, _ := strconv.ParseInt(net["total_net_output_bytes"], 10, 64)
	s.RedisNetBytes = in + out
	return s, nil
}

// commandCalls reads the calls of each command from INFO commandstats ("cmdstat_publish:calls=12,
// usec=…"), leaving out INFO itself (the sampling's own).
func commandCalls(stats map[string]string) (map[string]int64, error) {
	calls := map[string]int64{}
	for k, v := range stats {
		name, ok := strings.CutPrefix(k, "cmdstat_")
		if !ok || name == "info" {
			continue
		}
		for _, kv := range strings.Split(v, ",") {
			if n, ok := strings.CutPrefix(kv, "calls="); ok {
				c, err := strconv.ParseInt(n, 10, 64)
				if err != nil {
					return nil, fmt.Errorf("commandstats %s: %q", k, v)
				}
				calls[name] = c
			}
		}
	}
	return calls, nil
}

// RedisInfo runs INFO section on the Redis at addr and returns its key:value lines.
func RedisInfo(addr, section string) (map[string]string, error) {
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := fmt.Fprintf(conn, "INFO %s\r\n", section); err != nil {
		return nil, err
	}
	r := bufio.NewReader(conn)
	head, err := r.ReadString('\n') // $<length>
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(head, "$") {
		return nil, fmt.Errorf("redis INFO %s: %q", section, strings.TrimSpace(head))
	}
	n, err := strconv.Atoi(strings.TrimSpace(head[1:]))
	if err != nil {
		return nil, fmt.Errorf("redis INFO %s: %q", section, strings.TrimSpace(head))
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, err
	}
	info := map[string]string{}
	for _, line := range strings.Split(string(body), "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "#") {
			info[k] = v
		}
	}
	return info, nil
}
