-- Embedding: the origins (scheme://host[:port]) whose pages may show a share link's read-only embed
-- (/embed/:linkToken) in an iframe, sent as the embed page's CSP frame-ancestors. Empty: the link cannot
-- be embedded. Owned by gateway-ts (docs/architecture.md, "Embed").

-- +goose Up
alter table room_links add column embed_origins text[] not null default '{}';

-- +goose Down
alter table room_links drop column embed_origins;
