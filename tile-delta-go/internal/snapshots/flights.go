package snapshots

import (
	"context"
	"sync"

	"github.com/google/uuid"
)

// flights counts the renders running per room, so that a purge can wait for the renders that may have
// read the room's events before they were deleted: once PurgeRoom returns, no object of the room
// appears later (a render that read nothing stores nothing).
type flights struct {
	mu    sync.Mutex
	rooms map[uuid.UUID]*flight
}

// flight is one room's running renders; done is closed when the last one ends.
type flight struct {
	running int
	done    chan struct{}
}

// begin notes a render of room that starts now and returns the function that ends it.
func (f *flights) begin(room uuid.UUID) (end func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rooms == nil {
		f.rooms = map[uuid.UUID]*flight{}
	}
	fl := f.rooms[room]
	if fl == nil {
		fl = &flight{done: make(chan struct{})}
		f.rooms[room] = fl
	}
	fl.running++
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if fl.running--; fl.running == 0 {
			close(fl.done)
			delete(f.rooms, room)
		}
	}
}

// wait returns when every render of room running at its call has ended, or with ctx's error.
func (f *flights) wait(ctx context.Context, room uuid.UUID) error {
	f.mu.Lock()
	fl := f.rooms[room]
	f.mu.Unlock()
	if fl == nil {
		return nil
	}
	select {
	case <-fl.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
