// Package events is the write side of a room: the commands people send (commit a stroke, erase, undo,
// redo), the rules that decide them (rules.go: duplicates and conflicts of ids, who may undo what, what
// an erase hides, sequence numbers), the coded errors they can get, the Store the rules read from and
// write through (one transaction per batch, under the lock of each room's head), and the Writer that
// batches commands from a bounded queue. Stores only store: memstore keeps rooms in memory for tests,
// and the PostgreSQL adapter is package postgres; storetest holds the suite both pass.
package events
