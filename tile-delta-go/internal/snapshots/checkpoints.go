package snapshots

// Checkpoints is the retention of past snapshots (docs/tiles.md, "Checkpoints"): at the levels from
// MinLevel up, a superseded snapshot is kept for reads of the past when it is the first one of its tile
// in a stretch of Spacing index entries (its `events` / Spacing differs from the previous counted
// snapshot's), or the first one after an erase or restore of the tile (its `changes` differ), from
// Spacing entries on (before them, a read from nothing costs no more). Any past point then has a usable
// snapshot, or nothing, at most about 2 × Spacing entries before it (Spacing when snapshots are made at
// least that often, which the chunks of a long render are), and a tile keeps at most
// events / Spacing + changes of them. Zero Spacing keeps none (collection as before checkpoints).
//
// Only coarse levels keep them: a fine tile holds few strokes (its past reads are cheap from the
// nearest kept snapshot, or from nothing) while fine levels hold most of the tiles, so checkpoints there
// would cost the most storage for the least gain.
type Checkpoints struct {
	MinLevel int
	Spacing  int
}

// at reports whether the tiles of a level keep checkpoints.
func (c Checkpoints) at(level int) bool { return c.Spacing > 0 && level >= c.MinLevel }

// chunkStrokes is how many strokes one render request of a tile draws at most: at checkpoint levels no
// more than Spacing, so that a long delta (a room written in bulk, caught up in one render per tile)
// leaves a snapshot every Spacing strokes for collection to keep.
func (s *Snapshotter) chunkStrokes(level int) int {
	if s.policy.Checkpoints.at(level) {
		return min(s.policy.ChunkStrokes, s.policy.Checkpoints.Spacing)
	}
	return s.policy.ChunkStrokes
}

// InsertSQL records a snapshot while the event it covers still exists, and answers whether it does. A
// room purged while the tile rendered (its events deleted) gets no row: the caller deletes the object it
// stored. The event is locked (for key share) so that a purge running meanwhile waits for this insert,
// and its later delete of the room's snapshot rows sees the row. A row that exists already (same
// covers_seq) is kept.
//
// At a checkpoint level ($8) the row counts the tile's index entries up to covers_seq (`events`) and the
// erases and restores among them (`changes`; $9 is the StrokeAdded kind): the counts of the tile's
// newest counted snapshot before it plus the entries in between (a forward range of the tile_events
// primary key), so a tile's index is counted once however many snapshots it gets.
const InsertSQL = `with head as (select 1 from stroke_events where room_id = $1 and seq = $5 for key share),
	prev as (select covers_seq, events, changes from tile_snapshots
		where $8::bool and room_id = $1 and level = $2 and tx = $3 and ty = $4 and covers_seq < $5 and events is not null
		order by covers_seq desc limit 1),
	counted as (select coalesce((select events from prev), 0) + count(*) as events,
			coalesce((select changes from prev), 0) + count(*) filter (where e.kind <> $9) as changes
		from tile_events e
		where $8::bool and e.room_id = $1 and e.level = $2 and e.tx = $3 and e.ty = $4
			and e.seq > coalesce((select covers_seq from prev), 0) and e.seq <= $5),
	recorded as (insert into tile_snapshots (room_id, level, tx, ty, covers_seq, object_key, size_bytes, events, changes)
		select $1, $2, $3, $4, $5, $6, $7, case when $8::bool then c.events end, case when $8::bool then c.changes end
		from counted c where exists (select 1 from head)
		on conflict do nothing)
	select exists (select 1 from head)`

// CollectSQL deletes a tile's snapshots older than the newest one that has existed for the retention
// ($5), except checkpoints ($6 the spacing, 0 for none): a counted snapshot covering at least $6 entries
// whose `events` / $6 or whose `changes` differ from those of the tile's previous counted snapshot. Readers of now are only ever
// handed a tile's newest snapshot (tiles.Read), and a read of the past the newest covering no later
// event (one deleted this way is rendered again when asked for), so the deleted ones are no longer handed
// out by anyone and their successor had time to reach every reader. One range of the primary key. At rest
// a tile keeps its newest snapshot, its checkpoints and at most the ones made within the retention.
const CollectSQL = `with tile as (select covers_seq,
		events is not null and $6::bigint > 0 and events >= $6::bigint
			and (events / $6::bigint is distinct from lag(events / $6::bigint) over w or changes is distinct from lag(changes) over w) as checkpoint
		from tile_snapshots where room_id = $1 and level = $2 and tx = $3 and ty = $4
		window w as (partition by events is null order by covers_seq))
	delete from tile_snapshots s using tile
	where s.room_id = $1 and s.level = $2 and s.tx = $3 and s.ty = $4 and s.covers_seq = tile.covers_seq and not tile.checkpoint
	  and s.covers_seq < (select max(covers_seq) from tile_snapshots
	      where room_id = $1 and level = $2 and tx = $3 and ty = $4 and created_at <= now() - $5::interval)
	returning s.object_key`

// collectSpacing is CollectSQL's $6 for a level.
func (s *Snapshotter) collectSpacing(level int) int64 {
	if s.policy.Checkpoints.at(level) {
		return int64(s.policy.Checkpoints.Spacing)
	}
	return 0
}
