package hub

import "time"

// Output pacing: when a room's next flush happens.
//
// A room sends what it has at once while its output keeps up: no client still holds on its queue the
// frame of the flush before the last (a writer takes a frame a fraction of a millisecond after it is
// queued, so the last flush's frame may well be there when the next output comes). So at light load a
// commit, an ack or a live chunk reaches the clients as soon as it exists, without waiting for a tick
// (measured at 1x in the fan-out benchmark, the tick was most of the commit → delivery time and all of a
// live chunk's). Once some client's queue holds two frames, the replica (its CPU, or that client's
// connection) is behind: then the room coalesces, and flushes at most once per tick, so that under load
// every client gets one frame per tick however busy the room is, and the cost of a frame (building it, a
// wake-up, a socket write) is spread over everything the tick gathered. A room that has not flushed for
// a tick flushes at once either way.

// flushDelay is how long a room whose last flush was at last waits before flushing what it has now.
// backlog reports whether some client of the room is behind.
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

// backlog reports whether some client of the room is behind. Only the clients of the last flush can be
// (the others got nothing since, or were behind already then and are kept among them), so a crowded
// room does not look at every client whenever output comes. Caller holds r.mu.
func (r *Room) backlog() bool {
	for _, c := range r.recent {
		if c.behind() {
			return true
		}
	}
	return false
}

// behind reports whether the client's writer has not taken even the frame before the last off its queue.
// Counting the last frame too held about one flush in 40 for a tick at 1x in the fan-out benchmark:
// output that came while a writer was being woken.
func (c *Client) behind() bool { return len(c.out) > 1 && !c.Closed() }
