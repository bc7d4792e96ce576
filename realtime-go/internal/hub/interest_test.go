package hub

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	"github.com/infidraw/infidraw/realtime-go/internal/events"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// screen is a 1920×1080 view at full zoom with its top left corner at (x, y) world px.
func screen(x, y int64, level int) *View {
	s := int64(strokes.CoordScale) << level
	return &View{Box: strokes.Box{X0: x * 100, Y0: y * 100, X1: x*100 + 1920*s, Y1: y*100 + 1080*s}, Level: level}
}

// at is the area of a small stroke at (x, y) world px.
func at(x, y int64) events.Area {
	return events.Area{Box: strokes.Box{X0: x * 100, Y0: y * 100, X1: x*100 + 500, Y1: y*100 + 500}, Known: true}
}

// received is what one flush queued for a client: committed sequence numbers, through_seq, tiles
// changed (x, y pairs) and the count of other entries.
type received struct {
	seqs    []uint64
	through uint64
	tiles   []int32
	entries int
}

func takeFrame(t *testing.T, c *Client) (received, bool) {
	t.Helper()
	select {
	case frame := <-c.out:
		var f realtimev1.ServerFrame
		if err := proto.Unmarshal(frame, &f); err != nil {
			t.Fatalf("bad frame: %v", err)
		}
		var got received
		for _, m := range f.GetMessages() {
			switch b := m.GetBody().(type) {
			case *realtimev1.ServerMessage_Events:
				for _, ev := range b.Events.GetEvents() {
					got.seqs = append(got.seqs, ev.GetSeq())
				}
				got.through = b.Events.GetThroughSeq()
			case *realtimev1.ServerMessage_TilesChanged:
				got.tiles = append(got.tiles, b.TilesChanged.GetTiles()...)
				got.through = b.TilesChanged.GetThroughSeq()
			default:
				got.entries++
			}
		}
		return got, true
	default:
		return received{}, false
	}
}

// TestInterestRoutesOutputByView flushes output of known places to clients with views around the board,
// a client without a view, and one zoomed out, and checks what each got.
func TestInterestRoutesOutputByView(t *testing.T) {
	far := int64(1_000_000) // world px: far beyond any margin
	clients := []struct {
		name string
		view *View
	}{
		{"origin", screen(0, 0, 0)},
		{"far", screen(far, far, 0)},
		{"everything", nil},
		{"zoomed out", screen(-1000, -1000, 5)},
	}
	type want map[string]received
	tests := []struct {
		name   string
		output func(r *Room)
		want   want
	}{
		{"a stroke at the origin", func(r *Room) { r.acceptCommitted([]events.Event{areaEvent(1, at(100, 100))}) },
			want{"origin": {seqs: []uint64{1}, through: 1}, "everything": {seqs: []uint64{1}}, "zoomed out": {through: 1, tiles: []int32{0, 0}}}},
		{"a stroke in the origin view's margin", func(r *Room) { r.acceptCommitted([]events.Event{areaEvent(1, at(2500, -400))}) },
			want{"origin": {seqs: []uint64{1}, through: 1}, "everything": {seqs: []uint64{1}}, "zoomed out": {through: 1, tiles: []int32{0, -1}}}},
		{"strokes here and far: each its own", func(r *Room) {
			r.acceptCommitted([]events.Event{areaEvent(1, at(100, 100)), areaEvent(2, at(far+10, far+10)), areaEvent(3, at(200, 200))})
		}, want{"origin": {seqs: []uint64{1, 3}, through: 3}, "far": {seqs: []uint64{2}, through: 3}, "everything": {seqs: []uint64{1, 2, 3}},
			"zoomed out": {through: 3, tiles: []int32{0, 0}}}},
		{"an event of unknown area: everyone", func(r *Room) { r.acceptCommitted([]events.Event{event(1)}) },
			want{"origin": {seqs: []uint64{1}, through: 1}, "far": {seqs: []uint64{1}, through: 1}, "everything": {seqs: []uint64{1}},
				"zoomed out": {through: 1, tiles: tilesAround(screen(-1000, -1000, 5))}}},
		{"a cursor far away", func(r *Room) { r.addEphemeral(cursorMessage(), at(far+900, far+500)) },
			want{"far": {entries: 1}, "everything": {entries: 1}}},
		{"presence: everyone", func(r *Room) { r.addEphemeral(cursorMessage(), events.Area{}) },
			want{"origin": {entries: 1}, "far": {entries: 1}, "everything": {entries: 1}, "zoomed out": {entries: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, r := interestRoom(t)
			byName := map[string]*Client{}
			r.mu.Lock()
			for _, c := range clients {
				cl := NewClient(Identity{Room: r.id}, 8, func() {})
				cl.room, cl.live = r, true
				r.add(cl, c.view)
				byName[c.name] = cl
			}
			tt.output(r)
			r.mu.Unlock()
			r.flush()
			for name, c := range byName {
				got, ok := takeFrame(t, c)
				w, wantFrame := tt.want[name]
				if ok != wantFrame {
					t.Errorf("%s: got a frame %t, want %t", name, ok, wantFrame)
					continue
				}
				if !slices.Equal(got.seqs, w.seqs) || got.through != w.through || !slices.Equal(got.tiles, w.tiles) || got.entries != w.entries {
					t.Errorf("%s: got %+v, want %+v", name, got, w)
				}
			}
		})
	}
}

// TestSetViewMovesInterest pans a client from the origin to a far place: output there reaches it from
// then on, output at the origin no longer does.
func TestSetViewMovesInterest(t *testing.T) {
	h, r := interestRoom(t)
	c := NewClient(Identity{Room: r.id}, 8, func() {})
	r.mu.Lock()
	c.room, c.live = r, true
	r.add(c, screen(0, 0, 0))
	r.delivered = 7
	r.mu.Unlock()
	if seq := h.SetView(c, *screen(500_000, 500_000, 0)); seq != 7 {
		t.Errorf("SetView answered %d, want the room's position 7", seq)
	}
	r.mu.Lock()
	r.acceptCommitted([]events.Event{areaEvent(8, at(100, 100)), areaEvent(9, at(500_100, 500_100))})
	r.mu.Unlock()
	r.flush()
	got, _ := takeFrame(t, c)
	if !slices.Equal(got.seqs, []uint64{9}) || got.through != 9 {
		t.Errorf("after panning: got %+v, want seq 9 through 9", got)
	}
}

// tilesAround lists the tiles of a view's level its whole interest meets, as x, y pairs by rows.
func tilesAround(v *View) []int32 {
	lo, hi := strokes.TilesOf(v.Level, v.interest())
	var out []int32
	for y := lo.Y; y <= hi.Y; y++ {
		for x := lo.X; x <= hi.X; x++ {
			out = append(out, x, y)
		}
	}
	return out
}

func areaEvent(seq uint64, a events.Area) events.Event {
	ev := event(seq)
	ev.Area = a
	return ev
}

func cursorMessage() *realtimev1.ServerMessage {
	return &realtimev1.ServerMessage{Body: &realtimev1.ServerMessage_Live{Live: &realtimev1.Live{SessionId: 9,
		Body: &realtimev1.Live_CursorMove{CursorMove: &realtimev1.CursorMove{X: 1, Y: 2}}}}}
}

// interestRoom is a started room of a hub that filters by view; its flushes run only when called.
func interestRoom(t *testing.T) (*Hub, *Room) {
	t.Helper()
	h := New("replica", quietReader{}, slog.New(slog.DiscardHandler), NewMetrics(prometheus.NewRegistry()), Options{
		Tick: time.Hour, GapWait: time.Hour, PageSize: 100, PageBytes: 1 << 20, WriteTimeout: time.Second, BrokerTimeout: time.Second,
		Publisher: PublisherOptions{QueueBytes: 1 << 20, Timeout: time.Second, Retry: time.Second}, Interest: true})
	h.SetBroker(quietBroker{})
	r, err := h.acquire(context.Background(), uuid.New())
	if err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	r.scheduled = true // the test flushes
	r.mu.Unlock()
	return h, r
}
