package main

import (
	"context"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/realtime-go/client"
)

// ownRedis runs a redis-server of the test's own, to be stopped with SIGSTOP without disturbing the
// backing Redis other tests use. It returns the server's process and its URL.
func ownRedis(t *testing.T) (*exec.Cmd, string) {
	t.Helper()
	addr := freeAddr(t)
	host, port, _ := strings.Cut(addr, ":")
	cmd := exec.Command("redis-server", "--bind", host, "--port", port, "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Skipf("redis-server: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGCONT)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	url := "redis://" + addr + "/0"
	opts, _ := redis.ParseURL(url)
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	deadline := time.Now().Add(20 * time.Second)
	for rdb.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatal("redis-server did not answer")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cmd, url
}

// With Redis paused, commits over gRPC and over the WebSocket are acknowledged as soon as PostgreSQL
// has them, and a client can still join; once Redis runs again, a client of another replica receives
// what was committed meanwhile (from PostgreSQL: the bus lost it).
func TestCommitsAreAcknowledgedWhileRedisIsStopped(t *testing.T) {
	proc, url := ownRedis(t)
	a := startReplica(t, "REDIS_URL="+url)
	b := startReplica(t, "REDIS_URL="+url)
	api := grpcClient(t, a.grpcAddr)
	room := uuid.New()
	editor := dial(t, a, room, uuid.NewString(), "editor", 0, client.Options{})
	watcher := dial(t, b, room, uuid.NewString(), "viewer", 0, client.Options{})

	if err := proc.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
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

	if err := proc.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := watcher.WaitSeq(ctx, 2); err != nil {
		t.Fatalf("replica b never caught up once Redis ran again: %v", err)
	}
	if v := watcher.Violations(); len(v) > 0 {
		t.Fatalf("catching up broke the ordering contract: %v", v)
	}
}
