-- Commit-driven snapshots: owned by tile-delta-go. A replica follows a room's log (stroke_events after
-- followed_seq) to find the tiles its commits made dirty, renders those that need a snapshot, then moves
-- followed_seq on. One replica follows a room at a time: the one whose lease (owner, lease_until) holds,
-- renewed as it works; a crashed replica's rooms are taken over once its lease has run out. Rows are
-- small and one per room; the follower finds work by joining room_heads (docs/tiles.md).

-- +goose Up
create table tile_follow (
    room_id      uuid primary key,
    -- Every event with seq <= followed_seq has been looked at: the tiles it touched have a snapshot
    -- covering it or are below the snapshot threshold.
    followed_seq bigint not null default 0 check (followed_seq >= 0),
    owner        text not null,
    lease_until  timestamptz not null
);

-- +goose Down
drop table tile_follow;
