package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	roomv1 "github.com/infidraw/infidraw/gen/go/infidraw/room/v1"
	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	"github.com/infidraw/infidraw/realtime-go/internal/events"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

// run applies the case's batches through store, checking every result, then checks that each room
// holds exactly the case's events, gapless from 1, and that they are the events Apply returned.
func (tc ruleCase) run(t *testing.T, store events.Store) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n := names{}
	returned := map[uuid.UUID][]events.Event{}
	for bi, b := range tc.batches {
		cmds := make([]events.Command, len(b))
		for i, s := range b {
			cmds[i] = s.cmd.command(t, n)
		}
		results, created, err := events.Apply(ctx, store, cmds)
		if err != nil {
			t.Fatalf("batch %d: %v", bi+1, err)
		}
		for i, s := range b {
			if got := resultOf(results[i]); got != s.want {
				t.Errorf("batch %d, command %d (%s): %v, want %v (%v)", bi+1, i+1, s.cmd, got, s.want, results[i].Err)
			}
		}
		for room, evs := range created {
			returned[room] = append(returned[room], evs...)
		}
	}

	rooms := map[string][]string{"A": nil}
	for _, b := range tc.batches {
		for _, s := range b {
			rooms[roomName(s.cmd.room)] = nil
		}
	}
	for _, e := range tc.events {
		rooms[roomName(e.room)] = append(rooms[roomName(e.room)], e.String())
	}
	for name, want := range rooms {
		room := n.room(name)
		stored, head, err := store.EventsAfter(ctx, room, 0, events.Page{Limit: 1000, Bytes: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		got := make([]string, len(stored))
		for i, e := range stored {
			got[i] = n.describe(t, e, uint64(i+1))
		}
		if !slices.Equal(got, want) {
			t.Errorf("room %s holds\n  %s\nwant\n  %s", name, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
		if head != uint64(len(want)) {
			t.Errorf("room %s: head %d, want %d", name, head, len(want))
		}
		if !slices.EqualFunc(returned[room], stored, func(a, b events.Event) bool { return string(a.Encoded) == string(b.Encoded) }) {
			t.Errorf("room %s: Apply returned other events than it stored", name)
		}
	}
}

// command turns c into a command, its names into ids.
func (c cmd) command(t *testing.T, n names) events.Command {
	cm := events.Command{Op: c.op, Room: n.room(c.room), Author: n.id(c.author), ActionID: n.id(c.id)}
	switch c.op {
	case events.OpAddStroke:
		cm.Stroke = Stroke(t, cm.ActionID, c.other)
	case events.OpErase, events.OpRevert:
		for _, s := range c.strokes {
			cm.StrokeIDs = append(cm.StrokeIDs, n.id(s))
		}
		for _, s := range c.restore {
			cm.Restore = append(cm.Restore, n.id(s))
		}
	}
	return cm
}

func (c cmd) String() string {
	op, ok := map[events.Op]string{events.OpAddStroke: "add", events.OpErase: "erase", events.OpUndo: "undo", events.OpRedo: "redo",
		events.OpRevert: "revert"}[c.op]
	if !ok {
		op = fmt.Sprintf("op %d", c.op)
	}
	s := fmt.Sprintf("%s by %s of %s", op, c.author, c.id)
	if len(c.strokes) > 0 {
		s += fmt.Sprintf(" erasing %v", c.strokes)
	}
	if len(c.restore) > 0 {
		s += fmt.Sprintf(" restoring %v", c.restore)
	}
	if c.other {
		s += " (other content)"
	}
	if c.room != "" {
		s += " in room " + c.room
	}
	return s
}

// String describes an event as describe does a stored one.
func (e ev) String() string {
	content := ""
	if e.kind == events.KindStrokeAdded {
		content = firstContent
		if e.other {
			content = otherContent
		}
	}
	return line(e.kind, e.author, e.action, e.strokes, content)
}

const (
	firstContent = "first content"
	otherContent = "other content"
)

func line(kind events.Kind, author, action string, strokes []string, content string) string {
	s := fmt.Sprintf("%s by %s: %s %v", map[events.Kind]string{
		events.KindStrokeAdded: "added", events.KindStrokesErased: "erased", events.KindStrokesRestored: "restored",
	}[kind], author, action, strokes)
	if content != "" {
		s += " (" + content + ")"
	}
	return s
}

// describe describes a stored event by names, as ev.String does, checking its sequence number.
func (n names) describe(t *testing.T, e events.Event, seq uint64) string {
	var re roomv1.RoomEvent
	if err := proto.Unmarshal(e.Encoded, &re); err != nil {
		t.Fatal(err)
	}
	if re.GetSeq() != seq || e.Seq != seq {
		t.Errorf("event %d has seq %d (encoded %d)", seq, e.Seq, re.GetSeq())
	}
	author := n.nameOf(uuid.MustParse(re.GetAuthorId()))
	var kind events.Kind
	var action []byte
	var ids [][]byte
	content := ""
	switch k := re.GetKind().(type) {
	case *roomv1.RoomEvent_StrokeAdded:
		s := k.StrokeAdded.GetStroke()
		kind, action, ids = events.KindStrokeAdded, s.GetId(), [][]byte{s.GetId()}
		switch id := uuid.UUID(s.GetId()); {
		case proto.Equal(s, Stroke(t, id, false).Msg):
			content = firstContent
		case proto.Equal(s, Stroke(t, id, true).Msg):
			content = otherContent
		default:
			content = "unknown content"
		}
	case *roomv1.RoomEvent_StrokesErased:
		kind, action, ids = events.KindStrokesErased, k.StrokesErased.GetActionId(), k.StrokesErased.GetStrokeIds()
	case *roomv1.RoomEvent_StrokesRestored:
		kind, action, ids = events.KindStrokesRestored, k.StrokesRestored.GetActionId(), k.StrokesRestored.GetStrokeIds()
	}
	strokeNames := make([]string, len(ids))
	for i, id := range ids {
		strokeNames[i] = n.nameOf(uuid.UUID(id))
	}
	return line(kind, author, n.nameOf(uuid.UUID(action)), strokeNames, content)
}

// names gives every name of a case (rooms, authors, strokes, actions) an id of its own, drawn at first
// use.
type names map[string]uuid.UUID

func (n names) id(name string) uuid.UUID {
	id, ok := n[name]
	if !ok {
		id = uuid.New()
		n[name] = id
	}
	return id
}

func (n names) room(name string) uuid.UUID { return n.id("room " + roomName(name)) }

func roomName(name string) string {
	if name == "" {
		return "A"
	}
	return name
}

// nameOf is the name of id, or id itself when the case never named it.
func (n names) nameOf(id uuid.UUID) string {
	for name, v := range n {
		if v == id {
			return name
		}
	}
	return id.String()
}

// Stroke is a valid pen stroke under id, 600 world units long from the origin, validated as the
// transports validate it; other gives it other points.
func Stroke(t testing.TB, id uuid.UUID, other bool) strokes.Stroke {
	t.Helper()
	return stroke(t, id, 0, 0, other)
}

// StrokeAt is Stroke moved by (x, y) encoded units: away from the origin, where four tiles of every
// level meet, it touches as few tiles as most strokes do.
func StrokeAt(t testing.TB, id uuid.UUID, x, y int64) strokes.Stroke {
	t.Helper()
	return stroke(t, id, x, y, false)
}

func stroke(t testing.TB, id uuid.UUID, x, y int64, other bool) strokes.Stroke {
	t.Helper()
	pts := []strokes.Point{{X: 0, Y: 0}, {X: 30_000, Y: 12_000}, {X: 60_000, Y: 0}}
	if other {
		pts[1].Y = -12_000
	}
	for i := range pts {
		pts[i].X += x
		pts[i].Y += y
		pts[i].Pressure = strokes.DefaultPressure
	}
	q, enc, pr := strokes.EncodePoints(pts)
	v, err := strokes.Validate(&strokev1.Stroke{Id: id[:], Tool: strokev1.Tool_TOOL_PEN, Rgba: 0x112233ff, Width: 300,
		Quantum: q, Points: enc, Pressures: pr})
	if err != nil {
		t.Fatal(err)
	}
	return v
}
