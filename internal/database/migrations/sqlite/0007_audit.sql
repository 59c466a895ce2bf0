-- +goose Up
-- The audit log: who changed what, when, and why. Append-only (nothing in
-- Plenary updates or deletes a row); written by the domain packages in
-- the same transaction as the change. Before and after are JSON text.
-- Instants are UTC.

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TIMESTAMP NOT NULL,
    actor_kind  TEXT NOT NULL CHECK (actor_kind IN ('staff', 'participant', 'operator', 'system')),
    actor_id    INTEGER NOT NULL DEFAULT 0,
    actor_name  TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    object      TEXT NOT NULL,
    object_id   INTEGER NOT NULL DEFAULT 0,
    before_json TEXT NOT NULL DEFAULT 'null',
    after_json  TEXT NOT NULL DEFAULT 'null',
    reason      TEXT NOT NULL DEFAULT ''
);

-- A booking's or a course's history; what one person did; a time range.
CREATE INDEX audit_log_object ON audit_log (object, object_id, id);
CREATE INDEX audit_log_actor ON audit_log (actor_kind, actor_id, id);
CREATE INDEX audit_log_at ON audit_log (at);
