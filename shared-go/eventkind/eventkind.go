// Package eventkind names the kinds of stored room events: the kind column of stroke_events and of
// tile_events (which indexes each event under the tiles of the strokes it touches). realtime-go writes
// them and tile-delta-go reads them; both take the values from here, never as literals in SQL.
package eventkind

// Kind is the kind of a stored event. The values are stored: never renumber one.
type Kind int16

// Event kinds.
const (
	// StrokeAdded: a StrokeAdded event.
	StrokeAdded Kind = 1
	// StrokesErased: a StrokesErased event (an erase, the undo of a stroke, the redo of an erase).
	StrokesErased Kind = 2
	// StrokesRestored: a StrokesRestored event (the redo of a stroke, the undo of an erase).
	StrokesRestored Kind = 3
)
