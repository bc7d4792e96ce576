-- Historical checkpoints (docs/tiles.md, "Checkpoints: past snapshots kept at spaced points"): a snapshot
-- recorded at a checkpoint level counts the tile's index entries up to covers_seq — every kind in
-- `events`, erases and restores in `changes` — so that collection can keep the first snapshot of each
-- spacing of events (and the first after an erase or restore) without reading the index again. Owned by
-- tile-delta-go. Rows without counts (recorded before this migration, or at levels without checkpoints)
-- are collected as before.

-- +goose Up
alter table tile_snapshots
    add column events  bigint check (events >= 0),
    add column changes bigint check (changes >= 0 and changes <= events);

-- +goose Down
alter table tile_snapshots drop column changes, drop column events;
