package hub

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	"github.com/infidraw/infidraw/realtime-go/internal/events"
)

// entry builds a classified ephemeral entry whose bytes name it.
func entry(name string, msg *realtimev1.ServerMessage) ephemeral {
	e := ephemeral{enc: []byte(name + ";")}
	e.classify(msg)
	return e
}

func liveMsg(session uint32, l *realtimev1.Live) *realtimev1.ServerMessage {
	l.SessionId = session
	return &realtimev1.ServerMessage{Body: &realtimev1.ServerMessage_Live{Live: l}}
}

func TestAdaptiveDelivery(t *testing.T) {
	stroke := uuid.New()
	cursor := func(s uint32) *realtimev1.ServerMessage {
		return liveMsg(s, &realtimev1.Live{Body: &realtimev1.Live_CursorMove{CursorMove: &realtimev1.CursorMove{}}})
	}
	more := liveMsg(3, &realtimev1.Live{Body: &realtimev1.Live_StrokeMore{StrokeMore: &realtimev1.StrokeMore{StrokeId: stroke[:]}}})
	end := liveMsg(3, &realtimev1.Live{Body: &realtimev1.Live_StrokeEnd{StrokeEnd: &realtimev1.StrokeEnd{StrokeId: stroke[:]}}})
	presence := &realtimev1.ServerMessage{Body: &realtimev1.ServerMessage_Presence{Presence: &realtimev1.Presence{}}}
	flushes := [][]ephemeral{
		{entry("c1", cursor(1)), entry("c2", cursor(2)), entry("c1'", cursor(1)), entry("m1", more), entry("p", presence)},
		{entry("m2", more), entry("c1", cursor(1))},
		{entry("m3", more), entry("e", end)},
		{entry("m4", more)},
	}
	tests := []struct {
		name    string
		lagging []bool // per flush
		want    []string
	}{
		{"keeping up: every entry but the superseded cursor", []bool{false, false, false, false}, []string{"c2;c1';m1;p;", "m2;c1;", "m3;e;", "m4;"}},
		{"lagging in the first flush: presence only, then none of the stroke it missed a chunk of until it ends",
			[]bool{true, false, false, false}, []string{"p;", "c1;", "", "m4;"}},
		{"lagging at the end only: the stroke's last chunk and end are left out, what follows is not",
			[]bool{false, false, true, false}, []string{"c2;c1';m1;p;", "m2;c1;", "", "m4;"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var broken map[uuid.UUID]bool
			for i, eph := range flushes {
				eph = append([]ephemeral(nil), eph...)
				supersede(eph)
				idx := make([]int, len(eph))
				for j := range idx {
					idx[j] = j
				}
				if got := string(bytes.Join(appendEntries(nil, eph, idx, tt.lagging[i], &broken), nil)); got != tt.want[i] {
					t.Errorf("flush %d: got %q, want %q", i, got, tt.want[i])
				}
			}
		})
	}
}

// A crowd viewer gets live entries at most once per ViewerTick: those of a flush soon after its last
// frame wait, and go first in its next frame, which a committed event sends at once.
func TestCrowdViewerCoalesced(t *testing.T) {
	h, r := interestRoom(t)
	h.opts.ViewerTick = time.Hour // the timer's flush never comes in this test
	r.viewerTick = time.Hour
	c := NewClient(Identity{Room: r.id}, 8, func() {})
	editor := NewClient(Identity{Room: r.id}, 8, func() {})
	r.mu.Lock()
	c.room, c.live, c.crowd = r, true, true
	editor.room, editor.live = r, true
	r.add(c, screen(0, 0, 0))
	r.add(editor, screen(0, 0, 0))
	r.mu.Unlock()
	step := func(output func()) {
		r.mu.Lock()
		output()
		r.mu.Unlock()
		r.flush()
	}
	here := at(100, 100)
	step(func() { r.addEphemeral(cursorMessage(), here) })
	step(func() { r.addEphemeral(cursorMessage(), here) })
	step(func() { r.addEphemeral(cursorMessage(), here) })
	if got, want := len(c.out), 1; got != want {
		t.Fatalf("crowd viewer: %d frames after three flushes of cursors, want %d", got, want)
	}
	if got := len(editor.out); got != 3 {
		t.Fatalf("listed client: %d frames, want 3", got)
	}
	step(func() { r.acceptCommitted([]events.Event{areaEvent(1, here)}) })
	<-c.out
	got, ok := takeFrame(t, c)
	if !ok || got.entries != 2 || len(got.seqs) != 1 {
		t.Fatalf("the commit's frame: %+v; want the 2 held cursors and the event", got)
	}
}

func TestViewerTickAdapts(t *testing.T) {
	h, r := interestRoom(t)
	h.opts.ViewerTick = 100 * time.Millisecond
	var got []time.Duration
	for _, held := range []bool{false, true, true, true, true, false, false, false} {
		r.adaptViewerTick(held)
		got = append(got, r.viewerTick)
	}
	ms := time.Millisecond
	want := []time.Duration{100 * ms, 200 * ms, 400 * ms, 400 * ms, 400 * ms, 200 * ms, 100 * ms, 100 * ms}
	if !slices.Equal(got, want) {
		t.Fatalf("intervals %v, want %v", got, want)
	}
}
