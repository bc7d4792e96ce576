-- Tile snapshots: owned by tile-delta-go. A row names an immutable PNG in the object store
-- (rooms/<room>/<level>/<x>_<y>/<covers_seq>.png) that holds every event with seq <= covers_seq touching
-- the tile. The newest one of a tile is a backward seek on the primary key; keyed by room_id first
-- like every event table (docs/scaling.md).

-- +goose Up
create table tile_snapshots (
    room_id    uuid not null,
    level      smallint not null check (level between 0 and 16),
    tx         integer not null,
    ty         integer not null,
    covers_seq bigint not null check (covers_seq > 0),
    object_key text not null,
    size_bytes integer not null check (size_bytes >= 0),
    created_at timestamptz not null default now(),
    primary key (room_id, level, tx, ty, covers_seq)
);

-- +goose Down
drop table tile_snapshots;
