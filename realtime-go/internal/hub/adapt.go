package hub

import (
	"time"

	"github.com/google/uuid"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
)

// Adaptive delivery: what a room leaves out of a client's frame under load. Committed events never are
// (a client whose queue cannot take them is cut off and rejoins from its last sequence number, or
// reads tiles). Ephemeral entries go first, the least needed first:
//   - a cursor moved again within the same flush: only its last position is sent, to everyone;
//   - a client that lags (its queue half full) gets presence only: no cursors, no live strokes;
//   - a live stroke a client missed part of is not sent to it any more (its later chunks would continue
//     the delta chain from points it does not have): it sees the stroke when its commit comes;
//   - a crowd viewer with a view gets at most one frame of ephemeral entries per interval (a frame with
//     events or replies goes at once, with what was held): a watcher sees live strokes at that many
//     frames a second, and costs its replica that many socket writes at most. The interval is
//     ViewerTick while the room keeps up, and doubles with each flush under load (one that had to wait
//     for the tick because some client was behind, or that ran more than half a tick late: the replica
//     is short of network or of CPU), up to maxViewerSlowdown times ViewerTick, then halves back with
//     each flush that is not.

// entryKind classifies an ephemeral entry for adaptive delivery.
type entryKind int

const (
	entryPresence entryKind = iota
	entryCursor
	entryLiveStroke
)

// classify fills the adaptive-delivery fields of an entry from its message.
func (e *ephemeral) classify(msg *realtimev1.ServerMessage) {
	l := msg.GetLive()
	if l == nil {
		return
	}
	e.session = l.GetSessionId()
	var id []byte
	switch b := l.GetBody().(type) {
	case *realtimev1.Live_CursorMove:
		e.kind = entryCursor
		return
	case *realtimev1.Live_StrokeBegin:
		id = b.StrokeBegin.GetStroke().GetId()
	case *realtimev1.Live_StrokeMore:
		id = b.StrokeMore.GetStrokeId()
	case *realtimev1.Live_StrokeEnd:
		id = b.StrokeEnd.GetStrokeId()
		e.ends = true
	}
	e.kind = entryLiveStroke
	copy(e.stroke[:], id)
}

// supersede marks the cursors of a flush that a later cursor of the same session replaces.
func supersede(eph []ephemeral) {
	last := map[uint32]int{}
	for j := range eph {
		if eph[j].kind == entryCursor {
			if k, ok := last[eph[j].session]; ok {
				eph[k].superseded = true
			}
			last[eph[j].session] = j
		}
	}
}

// appendEntries appends the entries eph[j] for j in idx that a client gets, given whether it lags, and
// keeps its broken live strokes (those it missed part of) up to date; broken nil: no client (entries
// for the clients that lag nothing and miss nothing). The entries are shared, not copied: a client's
// frame copies them once, when it is built.
func appendEntries(dst [][]byte, eph []ephemeral, idx []int, lagging bool, broken *map[uuid.UUID]bool) [][]byte {
	for _, j := range idx {
		e := &eph[j]
		switch {
		case e.superseded:
			continue
		case e.kind == entryLiveStroke && broken != nil && (*broken)[e.stroke]:
			if e.ends {
				delete(*broken, e.stroke)
			}
			continue
		case lagging && e.kind == entryLiveStroke:
			if e.ends {
				delete(*broken, e.stroke)
			} else {
				if *broken == nil {
					*broken = map[uuid.UUID]bool{}
				}
				(*broken)[e.stroke] = true
			}
			continue
		case lagging && e.kind == entryCursor:
			continue
		}
		dst = append(dst, e.enc)
	}
	return dst
}

// maxViewerSlowdown bounds how much longer than ViewerTick the crowd viewers' interval grows under load.
const maxViewerSlowdown = 4

// adaptViewerTick lengthens the crowd viewers' interval at a flush under load, and shortens it back at
// one that is not. Caller holds the room's mutex.
func (r *Room) adaptViewerTick(loaded bool) {
	base := r.hub.opts.ViewerTick
	switch {
	case loaded:
		r.viewerTick = min(max(2*r.viewerTick, base), maxViewerSlowdown*base)
	default:
		r.viewerTick = max(r.viewerTick/2, base)
	}
}

// hold keeps a crowd viewer's ephemeral entries for its next frame when its last frame went less than
// the crowd viewers' interval ago, and arranges a flush for when it is due; it reports whether it held
// them. Caller holds the room's mutex.
func (r *Room) hold(c *Client, entries [][]byte) bool {
	tick := r.viewerTick
	if !c.crowd || !c.viewed || tick <= 0 {
		return false
	}
	wait := tick - r.lastFlush.Sub(c.sentAt)
	if wait <= 0 {
		return false
	}
	c.held = append(c.held, entries...)
	if len(c.held) == 0 {
		return true
	}
	r.waiting[c] = struct{}{}
	if r.waitTimer == nil {
		r.waitTimer = time.AfterFunc(wait, func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.waitTimer = nil
			r.schedule()
		})
	}
	return true
}
