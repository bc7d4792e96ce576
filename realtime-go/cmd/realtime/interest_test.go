package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	"github.com/infidraw/infidraw/realtime-go/client"
	"github.com/infidraw/infidraw/shared-go/localtest"
)

// Two viewers far apart on one board, on two replicas, on a single Redis and on a Redis Cluster: each gets
// the strokes, erases and live strokes of its own part of the board only, its replica subscribes to the
// bus channels of that part only, and after panning to the other's part it gets what is drawn there.
func TestViewersFarApartGetTheirOwnArea(t *testing.T) {
	for _, setup := range localtest.Redises(t) {
		t.Run(setup.Name, func(t *testing.T) { viewersFarApart(t, setup) })
	}
}

// screenAt is a 1920×1080 view at full zoom with its top left corner at (x, y) world px.
func screenAt(x, y int64) *realtimev1.View {
	return &realtimev1.View{MinX: x * 100, MinY: y * 100, MaxX: (x + 1920) * 100, MaxY: (y + 1080) * 100}
}

// liveSeen records the ids of the live strokes a client was sent.
type liveSeen struct {
	mu  sync.Mutex
	ids map[string]bool
}

func (l *liveSeen) on(m *realtimev1.Live) {
	if b := m.GetStrokeBegin(); b != nil {
		l.mu.Lock()
		l.ids[string(b.GetStroke().GetId())] = true
		l.mu.Unlock()
	}
}

func (l *liveSeen) saw(id []byte) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ids[string(id)]
}

func viewersFarApart(t *testing.T, setup localtest.Redis) {
	a, b := startReplica(t, setup.Env()...), startReplica(t, setup.Env()...)
	room := uuid.New()
	const far = 200_000 // world px: another region of the bus, far beyond any margin
	liveHere, liveThere := &liveSeen{ids: map[string]bool{}}, &liveSeen{ids: map[string]bool{}}
	writer := dial(t, a, room, uuid.NewString(), "editor", 0, client.Options{})
	here := dial(t, a, room, uuid.NewString(), "viewer", 0, client.Options{View: screenAt(0, 0), OnLive: liveHere.on})
	there := dial(t, b, room, uuid.NewString(), "viewer", 0, client.Options{View: screenAt(far, far), OnLive: liveThere.on})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	subscribers := shardSubscribers(t, setup)
	regionHere := fmt.Sprintf("infidraw:room:{%s}:r:0:0", room)
	if n := subscribers(ctx, regionHere); n != 1 {
		t.Fatalf("%d replicas subscribe to the region at the origin, want 1 (a: its viewer is there)", n)
	}

	seqOf := func(r client.Reply, err error) uint64 {
		t.Helper()
		if err != nil || r.Ack == nil {
			t.Fatalf("request: %v %v", err, r.Error)
		}
		return r.Ack.GetSeq()
	}
	s1 := seqOf(commitAt(ctx, writer, 1000, 500))
	liveFar := client.PenStroke(scribble(far+900, far+500, 6), 300, 0xff)
	if err := writer.Send(&realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_StrokeBegin{StrokeBegin: &realtimev1.StrokeBegin{Stroke: liveFar}}}); err != nil {
		t.Fatal(err)
	}
	r2, farID, err := commit(ctx, writer, scribble(far+1000, far+600, 6))
	s2 := seqOf(r2, err)
	s3 := seqOf(commitAt(ctx, writer, 1500, 700))
	s4 := seqOf(writer.Request(ctx, &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_EraseStrokes{EraseStrokes: &realtimev1.EraseStrokes{
		ActionId: uuidBytes(), StrokeIds: [][]byte{farID}}}}))
	s5 := seqOf(commitAt(ctx, writer, 1200, 300))

	for _, c := range []struct {
		name string
		c    *client.Client
		want []uint64
	}{{"here", here, []uint64{s1, s3, s5}}, {"there", there, []uint64{s2, s4}}} {
		if err := c.c.WaitSeq(ctx, c.want[len(c.want)-1]); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var got []uint64
		for _, ev := range c.c.Events() {
			got = append(got, ev.GetSeq())
		}
		if !slices.Equal(got, c.want) {
			t.Fatalf("%s got events %v, want %v", c.name, got, c.want)
		}
		if v := c.c.Violations(); len(v) > 0 {
			t.Fatalf("%s: %v", c.name, v)
		}
	}
	if !liveThere.saw(liveFar.GetId()) || liveHere.saw(liveFar.GetId()) {
		t.Fatalf("the live stroke far away reached there %t (want true), here %t (want false)", liveThere.saw(liveFar.GetId()), liveHere.saw(liveFar.GetId()))
	}
	if n := subscribers(ctx, regionHere); n != 1 {
		t.Fatalf("%d replicas subscribe to the region at the origin, want 1 (b's viewer is far away)", n)
	}

	// There pans to the origin: its replica subscribes to the region before the Ack, and what is drawn
	// there from then on reaches it.
	if _, err := there.SetView(ctx, screenAt(0, 0)); err != nil {
		t.Fatal(err)
	}
	if n := subscribers(ctx, regionHere); n != 2 {
		t.Fatalf("%d replicas subscribe to the region at the origin after the pan, want 2", n)
	}
	s6 := seqOf(commitAt(ctx, writer, 800, 800))
	if err := there.WaitSeq(ctx, s6); err != nil {
		t.Fatal(err)
	}
	if evs := there.Events(); evs[len(evs)-1].GetSeq() != s6 {
		t.Fatalf("after panning, there's last event is %d, want %d", evs[len(evs)-1].GetSeq(), s6)
	}
}

func commitAt(ctx context.Context, c *client.Client, x, y int64) (client.Reply, error) {
	r, _, err := commit(ctx, c, scribble(x, y, 6))
	return r, err
}

// shardSubscribers returns how many subscribers a sharded channel has, asked of the node that owns it.
func shardSubscribers(t *testing.T, setup localtest.Redis) func(ctx context.Context, channel string) int64 {
	t.Helper()
	var node func(ctx context.Context, channel string) (*redis.Client, error)
	if setup.ClusterURL != "" {
		opt, err := redis.ParseClusterURL(setup.ClusterURL)
		if err != nil {
			t.Fatal(err)
		}
		cc := redis.NewClusterClient(opt)
		t.Cleanup(func() { _ = cc.Close() })
		node = cc.MasterForKey
	} else {
		opt, err := redis.ParseURL(setup.URL)
		if err != nil {
			t.Fatal(err)
		}
		c := redis.NewClient(opt)
		t.Cleanup(func() { _ = c.Close() })
		node = func(context.Context, string) (*redis.Client, error) { return c, nil }
	}
	return func(ctx context.Context, channel string) int64 {
		t.Helper()
		c, err := node(ctx, channel)
		if err != nil {
			t.Fatal(err)
		}
		n, err := c.PubSubShardNumSub(ctx, channel).Result()
		if err != nil {
			t.Fatal(err)
		}
		return n[channel]
	}
}
