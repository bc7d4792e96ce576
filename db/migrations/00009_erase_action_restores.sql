-- Reverts (docs/contracts.md, "Reverts"): an erase action may also restore strokes, so that one action
-- erases one set of strokes and restores another and its author undoes and redoes it as a whole. An
-- ordinary erase restores none. Owned by realtime-go.

-- +goose Up
-- The strokes the action restored: those of its request that were erased when it ran. seq is the
-- sequence number of the action's last event (its StrokesRestored event when it has one).
alter table erase_actions add column restored_ids uuid[] not null default '{}';

-- +goose Down
alter table erase_actions drop column restored_ids;
