package bigroom

import "sync"

// committed holds every stroke the writers sent, by id: where it is on the board and whether its commit
// was acknowledged. Writers add before they commit; every client's read loop looks up what it receives
// (a map under a read lock).
type committed struct {
	mu    sync.RWMutex
	index map[[16]byte]int32
	boxes []Rect
	acked []bool
}

func newCommitted() *committed { return &committed{index: map[[16]byte]int32{}} }

// add registers a stroke about to be committed and returns its index.
func (c *committed) add(id [16]byte, box Rect) int32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := int32(len(c.boxes))
	c.index[id] = i
	c.boxes = append(c.boxes, box)
	c.acked = append(c.acked, false)
	return i
}

// ack marks a stroke's commit acknowledged: it is in the room's log, so every client whose viewport it
// touches must receive it.
func (c *committed) ack(i int32) {
	c.mu.Lock()
	c.acked[i] = true
	c.mu.Unlock()
}

// lookup returns a stroke's index and box.
func (c *committed) lookup(id [16]byte) (int32, Rect, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	i, ok := c.index[id]
	if !ok {
		return 0, Rect{}, false
	}
	return i, c.boxes[i], true
}

// expected lists, for each viewport, the acknowledged strokes that touch it.
func (c *committed) expected(viewports []Rect) [][]int32 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([][]int32, len(viewports))
	for i, box := range c.boxes {
		if !c.acked[i] {
			continue
		}
		for v, vp := range viewports {
			if vp.Touches(box) {
				out[v] = append(out[v], int32(i))
			}
		}
	}
	return out
}
