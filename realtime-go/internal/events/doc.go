// Package events is the write side of a room: the commands people send (commit a stroke, erase, undo,
// redo), the coded errors they can get, the Store that assigns gapless per-room sequence numbers inside
// the transaction that stores a batch, and the Writer that batches commands from a bounded queue.
package events
