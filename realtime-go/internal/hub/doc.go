// Package hub is the fan-out side of realtime-go: the rooms this replica serves, the clients in them,
// and the per-room sequencer that turns committed events (from this replica's writer and from other
// replicas over the Broker) into one gapless, ordered stream per room. A room sends its output at once
// while its clients keep up and coalesces it per tick under load, each client then getting at most one
// frame per tick holding everything due to it (pace.go).
//
// Ordering contract: a client that joins with last seen N receives exactly the events after N, in
// order, first from the Store (catch-up, paged), then from the live stream, with no gap and no
// duplicate; the switch happens under the room lock when the catch-up cursor reaches the stream head.
package hub
