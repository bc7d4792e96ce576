-- Access versions: owned by gateway-ts (it writes them), read by realtime-go (docs/contracts.md, "Room
-- tokens"). Every change that takes access away bumps the version of its scope in the transaction that
-- makes the change; a room token carries the versions the gateway read when it issued it, and realtime-go
-- refuses a Join (and ends a live connection) whose token holds an older version of any of its scopes.

-- +goose Up
-- Versions come from one sequence, so that a version is never reused: deleting an old row and bumping the
-- scope again later still yields a version above any a token could hold.
create sequence access_version_seq;

-- scope is 'room:<room>', 'member:<room>:<user>', 'session:<session>' or 'link:<link>'. A scope without a
-- row has never been bumped (version 0). changed_at is when the bump was written: realtime-go's replicas
-- poll the rows changed in the last seconds to end live connections.
create table access_versions (
    scope      text primary key,
    version    bigint not null check (version > 0),
    changed_at timestamptz not null
);
create index access_versions_changed_idx on access_versions (changed_at);

-- +goose Down
drop table access_versions;
drop sequence access_version_seq;
