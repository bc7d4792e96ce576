package redisbus

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	"github.com/infidraw/infidraw/realtime-go/internal/events"
	"github.com/infidraw/infidraw/realtime-go/internal/hub"
	"github.com/infidraw/infidraw/shared-go/localtest"
)

// inbox records what a broker received, per room.
type inbox struct {
	mu       sync.Mutex
	got      map[uuid.UUID][][]byte
	changed  chan struct{}
	resynced map[uuid.UUID]bool
}

func newInbox() *inbox {
	return &inbox{got: map[uuid.UUID][][]byte{}, resynced: map[uuid.UUID]bool{}, changed: make(chan struct{}, 1)}
}

func (in *inbox) receive(room uuid.UUID, msg []byte) {
	in.mu.Lock()
	in.got[room] = append(in.got[room], bytes.Clone(msg))
	in.mu.Unlock()
	select {
	case in.changed <- struct{}{}:
	default:
	}
}

func (in *inbox) resync(room uuid.UUID) {
	in.mu.Lock()
	in.resynced[room] = true
	in.mu.Unlock()
	select {
	case in.changed <- struct{}{}:
	default:
	}
}

// waitResynced waits until every room was resynced.
func (in *inbox) waitResynced(ctx context.Context, t *testing.T, rooms []uuid.UUID) {
	t.Helper()
	for {
		in.mu.Lock()
		n := 0
		for _, room := range rooms {
			if in.resynced[room] {
				n++
			}
		}
		in.mu.Unlock()
		if n == len(rooms) {
			return
		}
		select {
		case <-in.changed:
		case <-ctx.Done():
			t.Fatalf("%d of %d rooms resynced", n, len(rooms))
		}
	}
}

func (in *inbox) messages(room uuid.UUID) [][]byte {
	in.mu.Lock()
	defer in.mu.Unlock()
	return slices.Clone(in.got[room])
}

// waitFor waits until room has n messages.
func (in *inbox) waitFor(ctx context.Context, t *testing.T, room uuid.UUID, n int) [][]byte {
	t.Helper()
	for {
		if got := in.messages(room); len(got) >= n {
			return got
		}
		select {
		case <-in.changed:
		case <-ctx.Done():
			t.Fatalf("room %s: %d of %d messages arrived", room, len(in.messages(room)), n)
		}
	}
}

// startBroker runs a broker of its own replica on its own connections to the setup, as a realtime-go
// replica does.
func startBroker(t *testing.T, r localtest.Redis) (*Broker, *inbox, redis.UniversalClient) {
	t.Helper()
	return startNamedBroker(t, r, "")
}

// startNamedBroker's connections carry the client name given (CLIENT SETNAME), when there is one.
func startNamedBroker(t *testing.T, r localtest.Redis, name string) (*Broker, *inbox, redis.UniversalClient) {
	t.Helper()
	if name != "" {
		r.URL += "?client_name=" + name
		if r.ClusterURL != "" {
			r.ClusterURL += "&client_name=" + name
		}
	}
	rdb, err := NewClient(r.URL, r.ClusterURL)
	if err != nil {
		t.Fatal(err)
	}
	in := newInbox()
	b := NewBroker(rdb, uuid.NewString(), slog.New(slog.NewTextHandler(os.Stderr, nil)), in.receive, in.resync)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		_ = rdb.Close()
	})
	return b, in, rdb
}

// Two brokers (two replicas) in the same rooms, on a single Redis and on a Redis Cluster: what one
// publishes, in one pipeline over rooms of every master, reaches both in each room's order; presence
// added by one is seen by the other; an unsubscribed room stops arriving; the page cache round-trips.
func TestTwoBrokersShareRooms(t *testing.T) {
	for _, setup := range localtest.Redises(t) {
		t.Run(setup.Name, func(t *testing.T) {
			a, inA, rdb := startBroker(t, setup)
			b, inB, _ := startBroker(t, setup)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()

			// Sixteen rooms fall on every master of a three-master cluster with near certainty; the test
			// checks that they do.
			rooms := make([]uuid.UUID, 16)
			nodes := map[string]bool{}
			for i := range rooms {
				rooms[i] = uuid.New()
				for _, br := range []*Broker{a, b} {
					if err := br.Subscribe(ctx, rooms[i], hub.Channel{}); err != nil {
						t.Fatal(err)
					}
				}
				if cc, ok := rdb.(*redis.ClusterClient); ok {
					master, err := cc.MasterForKey(ctx, channel(rooms[i], hub.Channel{}))
					if err != nil {
						t.Fatal(err)
					}
					nodes[master.Options().Addr] = true
				}
			}
			if setup.ClusterURL != "" && len(nodes) < 3 {
				t.Fatalf("the rooms' channels fell on %d masters, want 3", len(nodes))
			}

			const perRoom = 40
			for k := range perRoom / 4 {
				var batch []hub.Publication
				for j := range 4 {
					for _, room := range rooms {
						batch = append(batch, hub.Publication{Room: room, Data: fmt.Appendf(nil, "%s %d", room, 4*k+j)})
					}
				}
				if err := a.Publish(ctx, batch); err != nil {
					t.Fatal(err)
				}
			}
			for _, room := range rooms {
				for name, in := range map[string]*inbox{"publisher": inA, "other": inB} {
					got := in.waitFor(ctx, t, room, perRoom)
					for i, m := range got {
						if want := fmt.Sprintf("%s %d", room, i); string(m) != want {
							t.Fatalf("%s broker, room %s: message %d is %q, want %q", name, room, i, m, want)
						}
					}
				}
			}

			peer := &realtimev1.Peer{SessionId: 7, UserId: uuid.NewString(), DisplayName: "seven"}
			if err := a.AddPeer(ctx, rooms[0], peer); err != nil {
				t.Fatal(err)
			}
			peers, err := b.Peers(ctx, rooms[0])
			if err != nil || len(peers) != 1 || peers[0].GetUserId() != peer.GetUserId() {
				t.Fatalf("peers seen by the other broker: %v, err %v", peers, err)
			}
			if err := a.RemovePeer(ctx, rooms[0], 7); err != nil {
				t.Fatal(err)
			}
			if peers, err := b.Peers(ctx, rooms[0]); err != nil || len(peers) != 0 {
				t.Fatalf("peers after removal: %v, err %v", peers, err)
			}

			// Once the publisher received its own message, Redis has delivered it to every subscriber.
			if err := b.Unsubscribe(ctx, rooms[0], hub.Channel{}); err != nil {
				t.Fatal(err)
			}
			if err := a.Publish(ctx, []hub.Publication{{Room: rooms[0], Data: []byte("after")}}); err != nil {
				t.Fatal(err)
			}
			inA.waitFor(ctx, t, rooms[0], perRoom+1)
			if got := len(inB.messages(rooms[0])); got != perRoom {
				t.Fatalf("the unsubscribed broker has %d messages of the room, want %d", got, perRoom)
			}
			if n := len(inA.resynced) + len(inB.resynced); n != 0 {
				t.Fatalf("%d resyncs without a lost connection", n)
			}

			cache := NewPageCache(rdb, time.Minute)
			page := events.Page{Limit: 10, Bytes: 1 << 10}
			if err := cache.Set(ctx, rooms[1], page, 5, []byte("page")); err != nil {
				t.Fatal(err)
			}
			if got, err := cache.Get(ctx, rooms[1], page, 5); err != nil || string(got) != "page" {
				t.Fatalf("cached page %q, err %v", got, err)
			}
			if got, err := cache.Get(ctx, rooms[1], page, 6); err != nil || got != nil {
				t.Fatalf("page of another head: %q, err %v", got, err)
			}
		})
	}
}

// A room's region channels, on a single Redis and on a Redis Cluster: a broker receives the channels it
// subscribed to and no other, the messages of one publisher over several of them in publish order (the
// hub counts on payloads arriving before their heads), and keeps the others of the room when it drops
// one.
func TestRegionChannelsOfARoom(t *testing.T) {
	for _, setup := range localtest.Redises(t) {
		t.Run(setup.Name, func(t *testing.T) {
			a, _, _ := startBroker(t, setup)
			b, inB, _ := startBroker(t, setup)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			room := uuid.New()
			here, there := hub.Channel{Kind: hub.OneRegion, X: 1, Y: -2}, hub.Channel{Kind: hub.OneRegion, X: 2, Y: -2}
			for _, ch := range []hub.Channel{{}, here} {
				if err := b.Subscribe(ctx, room, ch); err != nil {
					t.Fatal(err)
				}
			}
			var batch []hub.Publication
			var want []string
			for i := range 30 {
				ch := []hub.Channel{{}, here, there, {Kind: hub.AllRegions}}[i%4]
				batch = append(batch, hub.Publication{Room: room, Channel: ch, Data: fmt.Appendf(nil, "%d on %s", i, ch)})
				if ch == (hub.Channel{}) || ch == here {
					want = append(want, fmt.Sprintf("%d on %s", i, ch))
				}
			}
			if err := a.Publish(ctx, batch); err != nil {
				t.Fatal(err)
			}
			got := inB.waitFor(ctx, t, room, len(want))
			for i := range want {
				if string(got[i]) != want[i] {
					t.Fatalf("message %d is %q, want %q (all: %q)", i, got[i], want[i], got)
				}
			}
			if err := b.Unsubscribe(ctx, room, here); err != nil {
				t.Fatal(err)
			}
			if err := a.Publish(ctx, []hub.Publication{{Room: room, Channel: here, Data: []byte("gone")}, {Room: room, Data: []byte("still")}}); err != nil {
				t.Fatal(err)
			}
			got = inB.waitFor(ctx, t, room, len(want)+1)
			if last := string(got[len(got)-1]); last != "still" || len(got) != len(want)+1 {
				t.Fatalf("after dropping the region: %q, want only the room's message more", got[len(want):])
			}
		})
	}
}

// A broker whose pub/sub connections were cut (CLIENT KILL on every node) subscribes again, on a single
// Redis and on a Redis Cluster alike: each room is resynced (its messages meanwhile were missed) and
// receives what is published afterwards.
func TestBrokerSubscribesAgainAfterLostConnections(t *testing.T) {
	for _, setup := range localtest.Redises(t) {
		t.Run(setup.Name, func(t *testing.T) {
			name := "redisbus-test-" + uuid.NewString()[:8]
			pub, _, _ := startBroker(t, setup)
			sub, in, rdb := startNamedBroker(t, setup, name)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			rooms := make([]uuid.UUID, 8)
			shards := map[string]bool{}
			for i := range rooms {
				rooms[i] = uuid.New()
				if err := sub.Subscribe(ctx, rooms[i], hub.Channel{}); err != nil {
					t.Fatal(err)
				}
				shards[sub.shardOf(rooms[i])] = true
			}

			// Only this test's connections: other tests share the backing Redis.
			killed := 0
			kill := func(ctx context.Context, node *redis.Client) error {
				list, err := node.ClientList(ctx).Result()
				if err != nil {
					return err
				}
				for _, line := range strings.Split(list, "\n") {
					if !strings.Contains(line, " name="+name+" ") || !strings.Contains(line, " flags=P ") {
						continue
					}
					id, _, _ := strings.Cut(strings.TrimPrefix(line, "id="), " ")
					if err := node.Do(ctx, "client", "kill", "id", id).Err(); err != nil {
						return err
					}
					killed++
				}
				return nil
			}
			var err error
			if cc, ok := rdb.(*redis.ClusterClient); ok {
				var mu sync.Mutex
				err = cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
					mu.Lock()
					defer mu.Unlock()
					return kill(ctx, node)
				})
			} else {
				err = kill(ctx, rdb.(*redis.Client))
			}
			if err != nil {
				t.Fatal(err)
			}
			if killed != len(shards) {
				t.Fatalf("killed %d pub/sub connections, want one per shard of the rooms (%d)", killed, len(shards))
			}

			in.waitResynced(ctx, t, rooms)
			var batch []hub.Publication
			for _, room := range rooms {
				batch = append(batch, hub.Publication{Room: room, Data: []byte(room.String())})
			}
			if err := pub.Publish(ctx, batch); err != nil {
				t.Fatal(err)
			}
			for _, room := range rooms {
				if got := in.waitFor(ctx, t, room, 1); string(got[0]) != room.String() {
					t.Fatalf("room %s received %q", room, got[0])
				}
			}
		})
	}
}
