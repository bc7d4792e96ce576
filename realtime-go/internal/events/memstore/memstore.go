// Package memstore keeps rooms in memory behind events.Store, so that the rules of package events can be
// tested without a database. It answers lookups exactly as the contract says (a stroke's content only
// for the keys of Lookup.Added) and refuses writes that PostgreSQL's keys and the gapless sequence would
// refuse, so that a rule that reads or writes wrong fails here first.
package memstore

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/infidraw/infidraw/realtime-go/internal/events"
)

// Store is an events.Store in memory. One mutex serialises every call, which holds every room's lock
// for the whole of a Commit as the contract asks.
type Store struct {
	mu    sync.Mutex
	rooms map[uuid.UUID]*room
}

type room struct {
	head    uint64
	events  []stored
	strokes map[uuid.UUID]events.StrokeState
	erases  map[uuid.UUID]events.EraseState
}

type stored struct {
	at time.Time
	events.NewEvent
}

// New returns an empty store.
func New() *Store { return &Store{rooms: map[uuid.UUID]*room{}} }

// room returns a room to write to, creating it as PostgreSQL's Commit creates the head row of a room it
// locks.
func (s *Store) room(id uuid.UUID) *room {
	r, ok := s.rooms[id]
	if !ok {
		r = &room{strokes: map[uuid.UUID]events.StrokeState{}, erases: map[uuid.UUID]events.EraseState{}}
		s.rooms[id] = r
	}
	return r
}

// get returns a room to read, empty when it was never written.
func (s *Store) get(id uuid.UUID) *room {
	if r, ok := s.rooms[id]; ok {
		return r
	}
	return &room{}
}

// Commit implements events.Store.
func (s *Store) Commit(ctx context.Context, lookup *events.Lookup, decide func(*events.State) *events.Writes) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w := decide(s.read(lookup))
	if err := s.check(w); err != nil {
		return err
	}
	s.write(w)
	return nil
}

// read answers a lookup. The erase actions' stroke lists are copies, so that nothing the rules do
// reaches the store but the writes.
func (s *Store) read(l *events.Lookup) *events.State {
	st := &events.State{Heads: map[uuid.UUID]uint64{}, Strokes: map[events.Key]events.StrokeState{}, Erases: map[events.Key]events.EraseState{}}
	for _, id := range l.Rooms {
		st.Heads[id] = s.room(id).head
	}
	// stroke reports a stroke that exists, with its content if asked; a stroke asked for with and
	// without content keeps it.
	stroke := func(k events.Key, content bool) {
		if v, ok := s.get(k.Room).strokes[k.ID]; ok {
			if !content {
				v.Stroke = nil
			}
			if _, seen := st.Strokes[k]; !seen || content {
				st.Strokes[k] = v
			}
		}
	}
	for _, k := range l.Strokes {
		stroke(k, false)
	}
	for _, k := range l.Added {
		stroke(k, true)
	}
	for _, k := range l.Erases {
		if e, ok := s.get(k.Room).erases[k.ID]; ok {
			e.Strokes, e.Restored = slices.Clone(e.Strokes), slices.Clone(e.Restored)
			st.Erases[k] = e
			for _, id := range slices.Concat(e.Strokes, e.Restored) {
				stroke(events.Key{Room: k.Room, ID: id}, false)
			}
		}
	}
	return st
}

// check refuses what PostgreSQL would: a sequence number that does not follow its room's head, a head
// that is not its room's last event, a new stroke or erase action that exists, a change of one that does
// not.
func (s *Store) check(w *events.Writes) error {
	next := map[uuid.UUID]uint64{}
	for _, e := range w.Events {
		want, ok := next[e.Room]
		if !ok {
			want = s.get(e.Room).head + 1
		}
		if e.Seq != want {
			return fmt.Errorf("room %s: event seq %d, want %d", e.Room, e.Seq, want)
		}
		next[e.Room] = want + 1
	}
	if len(next) != len(w.Heads) {
		return fmt.Errorf("%d rooms got events, %d heads moved", len(next), len(w.Heads))
	}
	for r, n := range next {
		if w.Heads[r] != n-1 {
			return fmt.Errorf("room %s: head %d, last event %d", r, w.Heads[r], n-1)
		}
	}
	for _, n := range w.Strokes {
		if _, ok := s.get(n.Room).strokes[n.ID]; ok {
			return fmt.Errorf("new stroke %s exists", n.ID)
		}
	}
	for _, n := range w.Erases {
		if _, ok := s.get(n.Room).erases[n.ID]; ok {
			return fmt.Errorf("new erase %s exists", n.ID)
		}
	}
	for _, f := range w.Erased {
		if _, ok := s.get(f.Room).strokes[f.ID]; !ok {
			return fmt.Errorf("changed stroke %s does not exist", f.ID)
		}
	}
	for _, f := range w.Undone {
		if _, ok := s.get(f.Room).erases[f.ID]; !ok {
			return fmt.Errorf("changed erase %s does not exist", f.ID)
		}
	}
	return nil
}

func (s *Store) write(w *events.Writes) {
	for _, e := range w.Events {
		r := s.room(e.Room)
		r.events = append(r.events, stored{at: w.At, NewEvent: e})
	}
	for id, h := range w.Heads {
		s.room(id).head = h
	}
	for _, n := range w.Strokes {
		s.room(n.Room).strokes[n.ID] = n.StrokeState
	}
	for _, n := range w.Erases {
		s.room(n.Room).erases[n.ID] = n.EraseState
	}
	for _, f := range w.Erased {
		r := s.room(f.Room)
		st := r.strokes[f.ID]
		st.Erased = f.Value
		r.strokes[f.ID] = st
	}
	for _, f := range w.Undone {
		r := s.room(f.Room)
		e := r.erases[f.ID]
		e.Undone = f.Value
		r.erases[f.ID] = e
	}
}

// EventsAfter implements events.Store.
func (s *Store) EventsAfter(ctx context.Context, id uuid.UUID, after uint64, page events.Page) ([]events.Event, uint64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.get(id)
	var out []events.Event
	size := events.PageFraming
	for _, e := range r.events {
		if e.Seq <= after {
			continue
		}
		size += len(e.Payload) + events.EventFraming
		if len(out) == page.Limit || (len(out) > 0 && size > page.Bytes) {
			break
		}
		out = append(out, events.EncodeRoomEvent(e.Seq, e.at.UnixMilli(), e.Author.String(), e.Kind, e.Payload))
	}
	return out, r.head, nil
}

// Head implements events.Store.
func (s *Store) Head(ctx context.Context, id uuid.UUID) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.get(id).head, nil
}

// AuthorHistory implements events.Store.
func (s *Store) AuthorHistory(ctx context.Context, id, author uuid.UUID, since uint64, maxEvents int) (events.AuthorHistory, error) {
	if err := ctx.Err(); err != nil {
		return events.AuthorHistory{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.get(id)
	h := events.AuthorHistory{Head: r.head, Erased: map[uuid.UUID]bool{}}
	if since < r.head && r.head-since > uint64(maxEvents) {
		return events.AuthorHistory{}, fmt.Errorf("%w (%d events after seq %d)", events.ErrTooMuchHistory, r.head-since, since)
	}
	seen := map[uuid.UUID]bool{}
	for _, e := range r.events {
		if e.Seq <= since || e.Author != author {
			continue
		}
		if e.Kind == events.KindStrokeAdded {
			h.Added = append(h.Added, e.Action)
			continue
		}
		if a, ok := r.erases[e.Action]; ok && !seen[e.Action] && a.Author == author && a.Seq > since && !a.Undone {
			seen[e.Action] = true
			h.Actions = append(h.Actions, events.EraseState{Strokes: slices.Clone(a.Strokes), Restored: slices.Clone(a.Restored)})
		}
	}
	for _, sid := range h.Named() {
		if st, ok := r.strokes[sid]; ok {
			h.Erased[sid] = st.Erased
		}
	}
	return h, nil
}

// Purge implements events.Store.
func (s *Store) Purge(ctx context.Context, id uuid.UUID) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.get(id)
	n := int64(len(r.events))
	*r = room{head: r.head, strokes: map[uuid.UUID]events.StrokeState{}, erases: map[uuid.UUID]events.EraseState{}}
	return n, nil
}
