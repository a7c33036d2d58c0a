-- Migration 0003: what the outbox relay needs to claim rows instead of holding locks while it sends (a lease,
-- a backoff, the last error), an index for its query, and an index for deleting old notifications.
--
-- MySQL commits DDL statement by statement, and MySQL 8 has no ADD COLUMN/INDEX IF NOT EXISTS, so each table is
-- changed by exactly one ALTER (atomic: all of it or nothing). Should the second statement fail (e.g. a metadata
-- lock wait behind a long transaction), the first one stays applied and a rerun would stop on it ("Duplicate key
-- name"): run `ALTER TABLE notifications DROP INDEX ix_notifications_notified_at` and run the migration step again.

ALTER TABLE notifications
    -- The retention cleanup deletes by age, a few hundred rows at a time, without scanning the table.
    ADD INDEX ix_notifications_notified_at (notified_at);

ALTER TABLE outbox
    -- The relay that claimed the row (a token per claim), and until when; an expired lease is free to claim again.
    ADD COLUMN claimed_by      VARCHAR(36)  COLLATE utf8mb4_bin NULL,
    ADD COLUMN claimed_until   DATETIME(6)  NULL,
    -- Backoff after a failed send: not claimed again before this. NULL: due at once (what the order transaction writes).
    ADD COLUMN next_attempt_at DATETIME(6)  NULL,
    -- Why the last send failed, cut to the column.
    ADD COLUMN last_error      VARCHAR(500) NULL,
    -- The relay's query: unpublished (published_at IS NULL), oldest first (id), and whether due and unleased read from
    -- the index itself. The retention cleanup ranges over published_at in the same index.
    DROP INDEX ix_outbox_unpublished,
    ADD INDEX ix_outbox_relay (published_at, id, next_attempt_at, claimed_until, created_at);
