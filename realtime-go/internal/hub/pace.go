package hub

import "time"

// Output pacing: when a room's next flush happens.
//
// A room sends what it has at once while its output keeps up: every client has taken the frames of the
// room's earlier flushes off its queue (its writer wrote them to the socket, or is writing the last). So
// at light load a commit, an ack or a live chunk reaches the clients as soon as it exists, without
// waiting for a tick (measured at 1x in the fan-out benchmark, the tick was most of the commit →
// delivery time and all of a live chunk's). Once some client's queue holds frames it has not started to
// write, the replica (its CPU, or that client's connection) is behind: then the room coalesces, and
// flushes at most once per tick, so that under load every client gets one frame per tick however busy
// the room is, and the cost of a frame (building it, a wake-up, a socket write) is spread over
// everything the tick gathered. A room that has not flushed for a tick flushes at once either way.

// flushDelay is how long a room whose last flush was at last waits before flushing what it has now.
// backlog reports whether some client of the room still has frames queued.
func flushDelay(now, last time.Time, tick time.Duration, backlog bool) time.Duration {
	if !backlog {
		return 0
	}
	return max(0, tick-now.Sub(last))
}

// holding reports whether output queued in the room now waits for the tick. Caller holds r.mu.
func (r *Room) holding() bool {
	if r.scheduled {
		return r.held
	}
	return flushDelay(time.Now(), r.lastFlush, r.hub.opts.Tick, r.backlog()) > 0
}

// backlog reports whether some client of the room has frames queued that its writer has not taken yet.
// Caller holds r.mu.
func (r *Room) backlog() bool {
	for c := range r.clients {
		if len(c.out) > 0 && !c.Closed() {
			return true
		}
	}
	return false
}
