-- Room events: the data plane's tables, owned by realtime-go (tile_snapshots by tile-delta-go).
-- Every table is keyed by room_id first, so hash partitioning or Citus distribution by room_id needs no
-- redesign (docs/scaling.md).

-- +goose Up
-- The head of each room's event log. Writers lock this row (SELECT ... FOR UPDATE) in the transaction
-- that stores a batch, which makes the per-room sequence gapless and strictly increasing across replicas.
create table room_heads (
    room_id    uuid primary key,
    head_seq   bigint not null default 0 check (head_seq >= 0),
    updated_at timestamptz not null default now()
);

-- The event log. payload is the protobuf of the event's kind (StrokeAdded, StrokesErased,
-- StrokesRestored), so a read splices bytes into a RoomEvent without decoding them.
create table stroke_events (
    room_id      uuid not null,
    seq          bigint not null check (seq > 0),
    kind         smallint not null check (kind between 1 and 3),
    action_id    uuid not null,
    author_id    uuid not null,
    committed_at timestamptz not null default now(),
    payload      bytea not null,
    primary key (room_id, seq)
);

-- Current state of every stroke: idempotency of commits (primary key) and visibility for erase and undo.
create table strokes (
    room_id   uuid not null,
    stroke_id uuid not null,
    author_id uuid not null,
    added_seq bigint not null,
    erased    boolean not null default false,
    primary key (room_id, stroke_id)
);

-- Erase actions: idempotency by action id, and the stroke list that undo and redo act on.
create table erase_actions (
    room_id    uuid not null,
    action_id  uuid not null,
    author_id  uuid not null,
    seq        bigint not null,
    stroke_ids uuid[] not null,
    undone     boolean not null default false,
    primary key (room_id, action_id)
);

-- Which tiles each event touches, at every level of the pyramid (docs/tiles.md); kind as in
-- stroke_events. A tile's delta since a snapshot is a seek on (room_id, level, tx, ty, seq).
create table tile_events (
    room_id   uuid not null,
    level     smallint not null check (level between 0 and 16),
    tx        integer not null,
    ty        integer not null,
    seq       bigint not null,
    stroke_id uuid not null,
    kind      smallint not null check (kind between 1 and 3),
    primary key (room_id, level, tx, ty, seq, stroke_id)
);

-- +goose Down
drop table tile_events;
drop table erase_actions;
drop table strokes;
drop table stroke_events;
drop table room_heads;
