-- When each user or guest was last seen (an authenticated request), kept to the hour: the gateway
-- writes it at most once an hour per user. Guests unseen for GATEWAY_GUEST_RETENTION_DAYS are deleted
-- with their sessions and memberships. Owned by gateway-ts.

-- +goose Up
-- Existing rows count as seen now: their retention starts with this migration.
alter table users add column last_seen_at timestamptz not null default now();
create index users_guest_last_seen_idx on users (last_seen_at) where kind = 'guest';

-- +goose Down
drop index users_guest_last_seen_idx;
alter table users drop column last_seen_at;
