-- Bans: an owner removes a member or guest and keeps them out. A banned user cannot join the room through
-- any of its share links, and a membership of theirs grants nothing (docs/security.md). Owned by gateway-ts.

-- +goose Up
create table room_bans (
    room_id    uuid not null references rooms (id) on delete cascade,
    user_id    uuid not null references users (id) on delete cascade,
    created_at timestamptz not null default now(),
    primary key (room_id, user_id)
);

-- +goose Down
drop table room_bans;
