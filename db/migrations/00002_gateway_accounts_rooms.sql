-- Accounts, sessions, rooms, members and share links: the control plane's tables, owned by gateway-ts.

-- +goose Up
-- People and guests. A guest (kind 'guest') has no email and no password: it exists to carry a display
-- name and the access a share link gave it.
create table users (
    id                  uuid primary key,
    kind                text not null check (kind in ('user', 'guest')),
    email               text,
    display_name        text not null,
    password_hash       text,
    created_at          timestamptz not null default now(),
    password_changed_at timestamptz,
    check ((kind = 'user') = (email is not null and password_hash is not null))
);
-- Emails are stored lower-cased; one account per address.
create unique index users_email_key on users (email) where email is not null;

-- Browser sessions (cookie) and API tokens (bearer). Only the SHA-256 of the secret is stored.
create table sessions (
    id           uuid primary key,
    user_id      uuid not null references users (id) on delete cascade,
    token_hash   bytea not null unique,
    kind         text not null check (kind in ('cookie', 'bearer')),
    -- The CSRF token a cookie session must echo in X-CSRF-Token on state-changing requests.
    csrf_token   text,
    created_at   timestamptz not null default now(),
    expires_at   timestamptz not null,
    revoked_at   timestamptz
);
create index sessions_user_idx on sessions (user_id) where revoked_at is null;

-- Rooms. A deleted room is marked first (deleted_at) so that no new token is issued, then purged from
-- realtime-go and removed.
create table rooms (
    id         uuid primary key,
    name       text not null,
    owner_id   uuid not null references users (id) on delete cascade,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    deleted_at timestamptz
);
create index rooms_deleted_idx on rooms (deleted_at) where deleted_at is not null;

-- Share links: opening one grants its role. Only the SHA-256 of the link secret is stored.
create table room_links (
    id          uuid primary key,
    room_id     uuid not null references rooms (id) on delete cascade,
    token_hash  bytea not null unique,
    role        text not null check (role in ('editor', 'viewer')),
    created_by  uuid not null references users (id) on delete cascade,
    created_at  timestamptz not null default now(),
    expires_at  timestamptz,
    revoked_at  timestamptz
);
create index room_links_room_idx on room_links (room_id);

-- Who may do what in a room. The owner has a row too. A member who joined through a share link keeps
-- via_link_id: that access lasts only while the link is valid (not revoked, not expired).
create table room_members (
    room_id     uuid not null references rooms (id) on delete cascade,
    user_id     uuid not null references users (id) on delete cascade,
    role        text not null check (role in ('owner', 'editor', 'viewer')),
    via_link_id uuid references room_links (id) on delete cascade,
    created_at  timestamptz not null default now(),
    primary key (room_id, user_id)
);
create index room_members_user_idx on room_members (user_id);

-- +goose Down
drop table room_members;
drop table room_links;
drop table rooms;
drop table sessions;
drop table users;
