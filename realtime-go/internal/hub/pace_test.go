package hub

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	"github.com/infidraw/infidraw/realtime-go/internal/events"
)

func TestFlushDelay(t *testing.T) {
	const tick = 16 * time.Millisecond
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		since   time.Duration // since the last flush
		backlog bool
		want    time.Duration
	}{
		{"quiet room, clients caught up", time.Second, false, 0},
		{"busy room, clients caught up: at once, no tick", 2 * time.Millisecond, false, 0},
		{"flushed just now, clients caught up: at once", 0, false, 0},
		{"busy room, a client behind: the rest of the tick", 2 * time.Millisecond, true, 14 * time.Millisecond},
		{"flushed just now, a client behind: a whole tick", 0, true, tick},
		{"a client behind, but a tick has passed: at once", tick, true, 0},
		{"a client behind, quiet for long: at once", time.Second, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := flushDelay(t0.Add(tt.since), t0, tick, tt.backlog); got != tt.want {
				t.Errorf("flushDelay(%v since the last flush, backlog %t) = %v, want %v", tt.since, tt.backlog, got, tt.want)
			}
		})
	}
}

type quietReader struct{}

func (quietReader) EventsAfter(context.Context, uuid.UUID, uint64, events.Page) ([]events.Event, uint64, error) {
	return nil, 0, nil
}
func (quietReader) Head(context.Context, uuid.UUID) (uint64, error) { return 0, nil }

type quietBroker struct{}

func (quietBroker) Subscribe(context.Context, uuid.UUID) error                 { return nil }
func (quietBroker) Unsubscribe(context.Context, uuid.UUID) error               { return nil }
func (quietBroker) Publish(context.Context, []Publication) error               { return nil }
func (quietBroker) AddPeer(context.Context, uuid.UUID, *realtimev1.Peer) error { return nil }
func (quietBroker) RemovePeer(context.Context, uuid.UUID, uint32) error        { return nil }
func (quietBroker) Peers(context.Context, uuid.UUID) ([]*realtimev1.Peer, error) {
	return nil, nil
}

// TestRoomPacing checks what follows a flush within the same tick (the tick is an hour here, so
// nothing in these tests is sent by its timer): with its client caught up the room sends a commit or
// an ack at once; with a frame still queued for its client it holds them for the tick.
func TestRoomPacing(t *testing.T) {
	ack := &realtimev1.ServerMessage{Body: &realtimev1.ServerMessage_Ack{Ack: &realtimev1.Ack{RequestId: 1, Seq: 1}}}
	tests := []struct {
		name       string
		caughtUp   bool // the client's writer took the first frame off its queue
		second     func(h *Hub, c *Client)
		wantAtOnce bool
	}{
		{"caught up: a commit goes out at once", true, func(h *Hub, c *Client) { h.Committed(map[uuid.UUID][]events.Event{c.Room: {event(2)}}) }, true},
		{"caught up: an ack goes out at once", true, func(h *Hub, c *Client) { h.Reply(c, ack) }, true},
		{"behind: a commit waits for the tick", false, func(h *Hub, c *Client) { h.Committed(map[uuid.UUID][]events.Event{c.Room: {event(2)}}) }, false},
		{"behind: an ack waits for the tick", false, func(h *Hub, c *Client) { h.Reply(c, ack) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := New("replica", quietReader{}, slog.New(slog.DiscardHandler), NewMetrics(prometheus.NewRegistry()), Options{
				Tick: time.Hour, GapWait: time.Hour, PageSize: 100, PageBytes: 1 << 20, WriteTimeout: time.Second, BrokerTimeout: time.Second,
				Publisher: PublisherOptions{QueueBytes: 1 << 20, Timeout: time.Second, Retry: time.Second}})
			h.SetBroker(quietBroker{})
			room := uuid.New()
			r, err := h.acquire(context.Background(), room)
			if err != nil {
				t.Fatal(err)
			}
			woke := make(chan struct{}, 8)
			c := NewClient(Identity{Room: room}, 8, func() { woke <- struct{}{} })
			r.mu.Lock()
			c.room, c.live = r, true
			r.clients[c] = struct{}{}
			r.mu.Unlock()

			h.Committed(map[uuid.UUID][]events.Event{room: {event(1)}})
			waitWake(t, woke) // the room had never flushed: the first event goes out at once
			if tt.caughtUp {
				<-c.out
			}
			tt.second(h, c)
			if tt.wantAtOnce {
				waitWake(t, woke)
				if len(c.out) != 1 {
					t.Fatalf("%d frames queued, want the second one", len(c.out))
				}
				return
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			if !r.scheduled || len(c.out) != 1 {
				t.Fatalf("scheduled %t, %d frames queued: want the second output held for the tick behind the first frame", r.scheduled, len(c.out))
			}
		})
	}
}

func event(seq uint64) events.Event {
	return events.Event{Seq: seq, CommittedAtMs: time.Now().UnixMilli(), Encoded: []byte{8, byte(seq)}}
}

// waitWake waits for the room to queue a frame; the timeout only bounds a failing test.
func waitWake(t *testing.T, woke <-chan struct{}) {
	t.Helper()
	select {
	case <-woke:
	case <-time.After(10 * time.Second):
		t.Fatal("no frame within 10 s: the room held its output for the tick")
	}
}
