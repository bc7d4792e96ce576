package access

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Reasons given to a connection whose access ended.
const (
	ReasonChanged = "your access to this room has changed or ended: ask for a new token"
	ReasonExpired = "your access to this room has expired"
)

// Options tune a Guard.
type Options struct {
	// Poll is how often the recently bumped scopes are read: a live connection whose access ended is
	// closed within about one Poll of the change.
	Poll time.Duration
	// Window is how far back each poll looks. It must exceed Poll by far: polls that fail or run late are
	// covered by it, and after a gap of more than half of it the next poll reads every watched scope instead.
	Window time.Duration
}

// Guard admits tokens at Join (Admit) and ends the live connections whose access ends (Watch, Run). One
// per replica.
type Guard struct {
	store   Store
	log     *slog.Logger
	metrics *Metrics
	opts    Options

	mu      sync.Mutex
	watched map[string]map[*watch]struct{} // scope → the live connections whose token holds it
	lastOK  time.Time                      // start of the last successful poll; zero before the first
	failing bool                           // the last poll failed (logged once per outage)
}

// NewGuard makes a guard that reads versions from store.
func NewGuard(store Store, log *slog.Logger, metrics *Metrics, opts Options) *Guard {
	return &Guard{store: store, log: log, metrics: metrics, opts: opts, watched: map[string]map[*watch]struct{}{}}
}

// Admit checks at Join that the access a token was issued for still holds. It returns an error wrapping
// ErrRevoked when the access expired or one of its scopes was bumped past the token's version, and another
// error when the versions cannot be read: the Join must then be refused as well (fail closed).
func (g *Guard) Admit(ctx context.Context, a Access) error {
	if !a.Ends.IsZero() && !time.Now().Before(a.Ends) {
		return fmt.Errorf("%w: it expired at %s", ErrRevoked, a.Ends.UTC().Format(time.RFC3339))
	}
	current, err := g.store.Versions(ctx, a.scopes())
	if err != nil {
		return fmt.Errorf("read access versions: %w", err)
	}
	for s, v := range current {
		if v > a.Versions[s] {
			return ErrRevoked
		}
	}
	return nil
}

// watch is one live connection's access.
type watch struct {
	versions map[string]int64
	end      func(reason string)
	once     sync.Once
	timer    *time.Timer
}

// fire ends the connection once; it reports whether this call did.
func (w *watch) fire(reason string) bool {
	fired := false
	w.once.Do(func() { w.end(reason); fired = true })
	return fired
}

// Watch calls end, once, when the access of a live connection ends: when a poll finds one of its scopes
// bumped past the token's version (ReasonChanged), or at a.Ends (ReasonExpired). end must not block.
// Call Watch before Admit, so that a change committed after Admit read the versions is seen by the polls,
// and call the returned stop when the connection ends.
func (g *Guard) Watch(a Access, end func(reason string)) (stop func()) {
	w := &watch{versions: a.Versions, end: end}
	g.mu.Lock()
	for s := range a.Versions {
		m := g.watched[s]
		if m == nil {
			m = map[*watch]struct{}{}
			g.watched[s] = m
		}
		m[w] = struct{}{}
	}
	g.mu.Unlock()
	if !a.Ends.IsZero() {
		w.timer = time.AfterFunc(time.Until(a.Ends), func() {
			if w.fire(ReasonExpired) {
				g.metrics.ended.WithLabelValues("expired").Inc()
			}
		})
	}
	return func() {
		if w.timer != nil {
			w.timer.Stop()
		}
		g.mu.Lock()
		defer g.mu.Unlock()
		for s := range w.versions {
			if m := g.watched[s]; m != nil {
				delete(m, w)
				if len(m) == 0 {
					delete(g.watched, s)
				}
			}
		}
	}
}

// Run polls every Options.Poll until ctx ends.
func (g *Guard) Run(ctx context.Context) {
	t := time.NewTicker(g.opts.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := g.poll(ctx)
		if ctx.Err() != nil {
			return
		}
		g.mu.Lock()
		wasFailing := g.failing
		g.failing = err != nil
		g.mu.Unlock()
		switch {
		case err != nil:
			g.metrics.pollErrors.Inc()
			if !wasFailing {
				g.log.Warn("access poll failed: live connections are not checked until it succeeds (new joins are refused)", "err", err)
			}
		case wasFailing:
			g.log.Info("access poll recovered")
		}
	}
}

// poll reads the scopes bumped within the window, or, after a gap in successful polls long enough that a
// bump may have left the window unseen, the current version of every watched scope; then it ends the
// connections whose token holds an older version.
func (g *Guard) poll(ctx context.Context) error {
	started := time.Now()
	g.mu.Lock()
	full := g.lastOK.IsZero() || started.Sub(g.lastOK) > g.opts.Window/2
	var scopes []string
	if full {
		scopes = make([]string, 0, len(g.watched))
		for s := range g.watched {
			scopes = append(scopes, s)
		}
	}
	g.mu.Unlock()

	var current map[string]int64
	var err error
	switch {
	case !full:
		current, err = g.store.Changed(ctx, g.opts.Window)
	case len(scopes) > 0:
		current, err = g.store.Versions(ctx, scopes)
	}
	if err != nil {
		return err
	}

	var ended []*watch
	g.mu.Lock()
	for s, v := range current {
		for w := range g.watched[s] {
			if w.versions[s] < v {
				ended = append(ended, w)
			}
		}
	}
	g.lastOK = started
	g.mu.Unlock()
	for _, w := range ended {
		if w.fire(ReasonChanged) {
			g.metrics.ended.WithLabelValues("changed").Inc()
		}
	}
	return nil
}
