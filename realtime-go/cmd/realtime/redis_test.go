package main

import (
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"net/url"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/realtime-go/client"
	"github.com/infidraw/infidraw/shared-go/localtest"
)

// ownRedisServer runs a redis-server of the test's own, to be stopped with SIGSTOP without disturbing the
// backing Redis other tests use. It returns the server's process once it answers, and its address.
func ownRedisServer(t *testing.T, args ...string) (*exec.Cmd, string) {
	t.Helper()
	addr := freeAddr(t)
	host, port, _ := strings.Cut(addr, ":")
	cmd := exec.Command("redis-server", append([]string{"--bind", host, "--port", port, "--save", "", "--appendonly", "no", "--dir", t.TempDir()}, args...)...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("redis-server: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGCONT)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	deadline := time.Now().Add(20 * time.Second)
	for rdb.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatal("redis-server did not answer")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cmd, addr
}

// ownRedis is a single Redis or a Redis Cluster of three masters of the test's own: its processes and
// realtime-go's environment for it.
type ownRedis struct {
	procs []*exec.Cmd
	env   []string
}

func (o ownRedis) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	for _, p := range o.procs {
		if err := p.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
	}
}

// ownRedises starts either setup, within the test (or subtest) given.
func ownRedises() []struct {
	name  string
	start func(t *testing.T) ownRedis
} {
	single := func(t *testing.T) ownRedis {
		proc, addr := ownRedisServer(t)
		return ownRedis{procs: []*exec.Cmd{proc}, env: []string{"REDIS_URL=redis://" + addr + "/0"}}
	}
	cluster := func(t *testing.T) ownRedis {
		var o ownRedis
		var addrs []string
		for range 3 {
			_, busPort, _ := strings.Cut(freeAddr(t), ":")
			proc, addr := ownRedisServer(t, "--cluster-enabled", "yes", "--cluster-port", busPort,
				"--cluster-config-file", t.TempDir()+"/nodes.conf", "--cluster-node-timeout", "5000")
			o.procs, addrs = append(o.procs, proc), append(addrs, addr)
		}
		if out, err := exec.Command("redis-cli", append(append([]string{"--cluster", "create"}, addrs...),
			"--cluster-replicas", "0", "--cluster-yes")...).CombinedOutput(); err != nil {
			t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
		}
		for _, addr := range addrs {
			rdb := redis.NewClient(&redis.Options{Addr: addr})
			deadline := time.Now().Add(20 * time.Second)
			for info, _ := rdb.ClusterInfo(context.Background()).Result(); !strings.Contains(info, "cluster_state:ok"); info, _ = rdb.ClusterInfo(context.Background()).Result() {
				if time.Now().After(deadline) {
					t.Fatalf("cluster node %s: %s", addr, info)
				}
				time.Sleep(20 * time.Millisecond)
			}
			_ = rdb.Close()
		}
		o.env = []string{"REDIS_CLUSTER_URL=redis://" + addrs[0] + "?addr=" + addrs[1] + "&addr=" + addrs[2]}
		return o
	}
	return []struct {
		name  string
		start func(t *testing.T) ownRedis
	}{{"redis", single}, {"redis-cluster", cluster}}
}

// With Redis paused (a single one, or every master of a cluster), commits over gRPC and over the
// WebSocket are acknowledged as soon as PostgreSQL has them, and a client can still join; once Redis runs
// again, a client of another replica receives what was committed meanwhile (from PostgreSQL: the bus lost
// it).
func TestCommitsAreAcknowledgedWhileRedisIsStopped(t *testing.T) {
	for _, setup := range ownRedises() {
		t.Run(setup.name, func(t *testing.T) { commitsWhileRedisIsStopped(t, setup.start(t)) })
	}
}

func commitsWhileRedisIsStopped(t *testing.T, own ownRedis) {
	a := startReplica(t, own.env...)
	b := startReplica(t, own.env...)
	api := grpcClient(t, a.grpcAddr)
	room := uuid.New()
	editor := dial(t, a, room, uuid.NewString(), "editor", 0, client.Options{})
	watcher := dial(t, b, room, uuid.NewString(), "viewer", 0, client.Options{})

	own.signal(t, syscall.SIGSTOP)
	// Each step must finish well within go-redis's own 3 s timeouts, which the old commit path waited
	// for twice per commit.
	within := func(what string, f func(ctx context.Context) error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := f(ctx); err != nil {
			t.Fatalf("%s with Redis stopped: %v", what, err)
		}
	}
	within("IngestStrokes", func(ctx context.Context) error {
		_, err := api.IngestStrokes(ctx, &realtimev1.IngestStrokesRequest{RoomId: room.String(), AuthorId: uuid.NewString(),
			Strokes: []*strokev1.Stroke{client.PenStroke(scribble(0, 0, 5), 300, 0xff)}})
		return err
	})
	within("a commit over the WebSocket", func(ctx context.Context) error {
		rep, _, err := commit(ctx, editor, scribble(10, 10, 5))
		if err == nil && rep.Ack.GetSeq() != 2 {
			t.Fatalf("commit answered %+v", rep)
		}
		return err
	})
	within("joining another room and committing", func(ctx context.Context) error {
		other := uuid.New()
		c, err := client.Dial(ctx, a.wsURL(), other.String(), token(t, tokenOpts{user: uuid.NewString(), role: "editor", room: other}), 0, client.Options{})
		if err != nil {
			return err
		}
		defer c.Close()
		rep, _, err := commit(ctx, c, scribble(0, 0, 3))
		if err == nil && rep.Ack == nil {
			t.Fatalf("commit in the new room answered %+v", rep.Error)
		}
		return err
	})
	if got := watcher.LastSeq(); got != 0 {
		t.Fatalf("replica b delivered seq %d without the bus", got)
	}

	own.signal(t, syscall.SIGCONT)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := watcher.WaitSeq(ctx, 2); err != nil {
		t.Fatalf("replica b never caught up once Redis ran again: %v", err)
	}
	if v := watcher.Violations(); len(v) > 0 {
		t.Fatalf("catching up broke the ordering contract: %v", v)
	}
}

// cutProxy forwards TCP connections to a target until it is cut; while cut, it closes every connection
// it carries and every new one, so that nothing sent through it arrives.
type cutProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]struct{}
}

func startCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", freeAddr(t))
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	t.Cleanup(func() { _ = ln.Close(); p.setCut(true) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				_ = c.Close()
				continue
			}
			p.mu.Lock()
			if p.cut {
				_, _ = c.Close(), up.Close()
				p.mu.Unlock()
				continue
			}
			p.conns[c], p.conns[up] = struct{}{}, struct{}{}
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
			go func() { _, _ = io.Copy(c, up); _ = c.Close() }()
		}
	}()
	return p
}

func (p *cutProxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for c := range p.conns {
			_ = c.Close()
		}
		clear(p.conns)
	}
}

// A replica whose publishes were lost (Redis unreachable from it alone) sends each room's last lost event
// again once Redis answers: a client of another replica, which saw nothing of the lost messages, then
// receives every event, the earlier ones read from PostgreSQL, without waiting for a later commit.
func TestLostPublishesReachOtherReplicasOnceRedisIsBack(t *testing.T) {
	redisURL, err := url.Parse(os.Getenv("REDIS_URL"))
	if err != nil {
		t.Fatal(err)
	}
	proxy := startCutProxy(t, redisURL.Host)
	a := startReplica(t, "REDIS_URL=redis://"+proxy.ln.Addr().String()+redisURL.Path)
	b := startReplica(t)
	room := uuid.New()
	editor := dial(t, a, room, uuid.NewString(), "editor", 0, client.Options{})
	watcher := dial(t, b, room, uuid.NewString(), "viewer", 0, client.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// A first event reaches the watcher before the cut: replica b has then handled its subscription's
	// confirmation (Redis sends it before any message of the channel), so a confirmation that came after
	// b's join gave up waiting for it cannot read the database later, while the test checks that b knows
	// nothing of the lost events.
	if rep, _, err := commit(ctx, editor, scribble(-10, 0, 4)); err != nil || rep.Ack.GetSeq() != 1 {
		t.Fatalf("first commit: %v %+v", err, rep)
	}
	if err := watcher.WaitSeq(ctx, 1); err != nil {
		t.Fatal(err)
	}
	proxy.setCut(true)
	for i := range 2 {
		if rep, _, err := commit(ctx, editor, scribble(int64(10*i), 0, 4)); err != nil || rep.Ack.GetSeq() != uint64(i+2) {
			t.Fatalf("commit %d: %v %+v", i, err, rep)
		}
	}
	// Wait until replica a gave up publishing both commits (rather than for a time): from here on they
	// can only reach replica b as the resent last event and a read of the database.
	for dropped(t, a) < 2 {
		select {
		case <-ctx.Done():
			t.Fatal("replica a never dropped its publishes")
		case <-time.After(50 * time.Millisecond):
		}
	}
	if got := watcher.LastSeq(); got != 1 {
		t.Fatalf("replica b delivered seq %d while replica a could not publish", got)
	}
	proxy.setCut(false)
	if err := watcher.WaitSeq(ctx, 3); err != nil {
		t.Fatalf("replica b never received the lost events: %v", err)
	}
	if v := watcher.Violations(); len(v) > 0 {
		t.Fatalf("the ordering contract broke: %v", v)
	}
}

// A replica that lost its Redis connection subscribes again once Redis answers and reads its rooms'
// events from PostgreSQL: what was published meanwhile (by a replica that could publish) is not lost
// to its clients, and they do not wait for a later commit to get it.
func TestResubscribedReplicaCatchesUp(t *testing.T) {
	redisURL, err := url.Parse(os.Getenv("REDIS_URL"))
	if err != nil {
		t.Fatal(err)
	}
	proxy := startCutProxy(t, redisURL.Host)
	a, c := startReplica(t), startReplica(t)
	b := startReplica(t, "REDIS_URL=redis://"+proxy.ln.Addr().String()+redisURL.Path)
	room := uuid.New()
	editor := dial(t, a, room, uuid.NewString(), "editor", 0, client.Options{})
	onB := dial(t, b, room, uuid.NewString(), "viewer", 0, client.Options{})
	onC := dial(t, c, room, uuid.NewString(), "viewer", 0, client.Options{})

	proxy.setCut(true)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range 2 {
		if rep, _, err := commit(ctx, editor, scribble(int64(10*i), 0, 4)); err != nil || rep.Ack == nil {
			t.Fatalf("commit %d: %v %+v", i, err, rep)
		}
	}
	// Replica c got them over Redis: they were published while replica b was not subscribed.
	if err := onC.WaitSeq(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if got := onB.LastSeq(); got != 0 {
		t.Fatalf("replica b delivered seq %d without Redis", got)
	}
	proxy.setCut(false)
	if err := onB.WaitSeq(ctx, 2); err != nil {
		t.Fatalf("replica b never caught up after subscribing again: %v", err)
	}
	if v := onB.Violations(); len(v) > 0 {
		t.Fatalf("the ordering contract broke: %v", v)
	}
}

// dropped is replica r's count of bus messages it did not publish.
func dropped(t *testing.T, r *replica) float64 {
	t.Helper()
	for _, line := range strings.Split(localtest.Metrics(t, r.httpAddr), "\n") {
		if v, ok := strings.CutPrefix(line, "realtime_bus_dropped_total "); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	return 0
}
