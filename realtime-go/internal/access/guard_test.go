package access

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// memStore is a Store over maps; the PostgreSQL adapter is exercised end to end by cmd/realtime's tests.
type memStore struct {
	mu       sync.Mutex
	current  map[string]int64 // every scope's version
	recent   map[string]int64 // what Changed answers
	err      error
	versions [][]string // the scopes of each Versions call
	changed  int        // Changed calls
}

func (m *memStore) Versions(_ context.Context, scopes []string) (map[string]int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.versions = append(m.versions, slices.Sorted(slices.Values(scopes)))
	if m.err != nil {
		return nil, m.err
	}
	out := map[string]int64{}
	for _, s := range scopes {
		if v, ok := m.current[s]; ok {
			out[s] = v
		}
	}
	return out, nil
}

func (m *memStore) Changed(context.Context, time.Duration) (map[string]int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.changed++
	return m.recent, m.err
}

func newGuard(store Store, poll time.Duration) *Guard {
	return NewGuard(store, slog.New(slog.DiscardHandler), NewMetrics(prometheus.NewRegistry()), Options{Poll: poll, Window: 10 * time.Second})
}

// ended records the reasons a watch's end was called with.
type ended struct {
	mu      sync.Mutex
	reasons []string
	once    chan struct{}
}

func newEnded() *ended { return &ended{once: make(chan struct{})} }

func (e *ended) end(reason string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.reasons = append(e.reasons, reason)
	if len(e.reasons) == 1 {
		close(e.once)
	}
}

func (e *ended) got() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.reasons)
}

func TestAdmit(t *testing.T) {
	down := errors.New("connection refused")
	tests := []struct {
		name    string
		current map[string]int64
		err     error
		token   Access
		want    error // nil, ErrRevoked, or down
	}{
		{"nothing bumped", nil, nil, Access{Versions: map[string]int64{"room:r": 0, "member:r:u": 0}}, nil},
		{"bumped before the token was issued", map[string]int64{"room:r": 7}, nil, Access{Versions: map[string]int64{"room:r": 7, "member:r:u": 0}}, nil},
		{"bumped since", map[string]int64{"member:r:u": 8}, nil, Access{Versions: map[string]int64{"room:r": 7, "member:r:u": 3}}, ErrRevoked},
		{"bumped since, never seen by the token", map[string]int64{"session:s": 1}, nil, Access{Versions: map[string]int64{"session:s": 0}}, ErrRevoked},
		{"another scope bumped", map[string]int64{"member:r:other": 9}, nil, Access{Versions: map[string]int64{"member:r:u": 0}}, nil},
		{"expired", nil, nil, Access{Versions: map[string]int64{"room:r": 0}, Ends: time.Now().Add(-time.Second)}, ErrRevoked},
		{"expires later", nil, nil, Access{Versions: map[string]int64{"room:r": 0}, Ends: time.Now().Add(time.Hour)}, nil},
		{"versions unreadable: refused, not as revoked", nil, down, Access{Versions: map[string]int64{"room:r": 0}}, down},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGuard(&memStore{current: tt.current, err: tt.err}, time.Second)
			err := g.Admit(context.Background(), tt.token)
			switch {
			case tt.want == nil && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Fatalf("err = %v, want %v", err, tt.want)
			case tt.want == down && errors.Is(err, ErrRevoked):
				t.Fatalf("a database error reported as a revocation: %v", err)
			}
		})
	}
}

func TestPollEndsTheConnectionsHoldingAnOlderVersion(t *testing.T) {
	store := &memStore{recent: map[string]int64{"member:r:u": 5}}
	g := newGuard(store, time.Second)
	older, current, other := newEnded(), newEnded(), newEnded()
	g.Watch(Access{Versions: map[string]int64{"room:r": 0, "member:r:u": 1}}, older.end)
	g.Watch(Access{Versions: map[string]int64{"room:r": 0, "member:r:u": 5}}, current.end)
	g.Watch(Access{Versions: map[string]int64{"room:r": 0, "member:r:v": 0}}, other.end)
	g.lastOK = time.Now() // a poll just succeeded: this one reads the recent changes
	for range 2 {         // the change stays in the window for several polls; the connection ends once
		if err := g.poll(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := older.got(); !slices.Equal(got, []string{ReasonChanged}) {
		t.Fatalf("older version: ended %q", got)
	}
	if got := append(current.got(), other.got()...); len(got) != 0 {
		t.Fatalf("current version or other member ended: %q", got)
	}
	if store.changed != 2 || len(store.versions) != 0 {
		t.Fatalf("Changed %d, Versions %v: want the recent changes only", store.changed, store.versions)
	}
}

func TestPollAfterAGapReadsEveryWatchedScope(t *testing.T) {
	// A bump older than the window is not among the recent changes; after a gap in successful polls the
	// guard reads the current version of every scope it watches instead.
	store := &memStore{current: map[string]int64{"session:s": 4}, recent: map[string]int64{}}
	g := newGuard(store, time.Second)
	revoked, kept := newEnded(), newEnded()
	g.Watch(Access{Versions: map[string]int64{"room:r": 0, "session:s": 3}}, revoked.end)
	g.Watch(Access{Versions: map[string]int64{"room:r": 0, "session:t": 0}}, kept.end)
	g.lastOK = time.Now().Add(-6 * time.Second) // more than half the window ago
	if err := g.poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := revoked.got(); !slices.Equal(got, []string{ReasonChanged}) {
		t.Fatalf("ended %q", got)
	}
	if got := kept.got(); len(got) != 0 {
		t.Fatalf("kept ended %q", got)
	}
	if want := [][]string{{"room:r", "session:s", "session:t"}}; store.changed != 0 || !slices.EqualFunc(store.versions, want, slices.Equal) {
		t.Fatalf("Changed %d, Versions %v: want one read of every watched scope", store.changed, store.versions)
	}
	// Caught up: the next poll reads the recent changes again.
	if err := g.poll(context.Background()); err != nil || store.changed != 1 {
		t.Fatalf("poll: %v, Changed %d", err, store.changed)
	}
}

func TestFailedPollKeepsTheGapOpen(t *testing.T) {
	store := &memStore{err: errors.New("connection refused")}
	g := newGuard(store, time.Second)
	g.Watch(Access{Versions: map[string]int64{"room:r": 0}}, newEnded().end)
	before := time.Now().Add(-6 * time.Second)
	g.lastOK = before
	if err := g.poll(context.Background()); err == nil {
		t.Fatal("poll succeeded against a failing store")
	}
	if !g.lastOK.Equal(before) {
		t.Fatal("a failed poll counted as a success")
	}
}

func TestWatchEndsAtExpiry(t *testing.T) {
	g := newGuard(&memStore{}, time.Second)
	e := newEnded()
	ends := time.Now().Add(50 * time.Millisecond)
	g.Watch(Access{Versions: map[string]int64{"link:l": 0}, Ends: ends}, e.end)
	select {
	case <-e.once:
	case <-time.After(5 * time.Second):
		t.Fatal("not ended at its expiry")
	}
	if time.Now().Before(ends) {
		t.Fatal("ended before its expiry")
	}
	if got := e.got(); !slices.Equal(got, []string{ReasonExpired}) {
		t.Fatalf("ended %q", got)
	}
}

func TestStopForgetsTheConnection(t *testing.T) {
	store := &memStore{recent: map[string]int64{"room:r": 1}}
	g := newGuard(store, time.Second)
	e := newEnded()
	stop := g.Watch(Access{Versions: map[string]int64{"room:r": 0, "member:r:u": 0}, Ends: time.Now().Add(time.Hour)}, e.end)
	stop()
	g.lastOK = time.Now()
	if err := g.poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := e.got(); len(got) != 0 || len(g.watched) != 0 {
		t.Fatalf("ended %q, still watching %v", got, g.watched)
	}
}

func TestRunPolls(t *testing.T) {
	store := &memStore{recent: map[string]int64{"room:r": 2}}
	g := newGuard(store, 10*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { g.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	e := newEnded()
	g.Watch(Access{Versions: map[string]int64{"room:r": 1}}, e.end)
	select {
	case <-e.once:
	case <-time.After(5 * time.Second):
		t.Fatal("Run never ended the connection")
	}
}
