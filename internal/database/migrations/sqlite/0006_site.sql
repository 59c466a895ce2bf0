-- +goose Up
-- The site's identity, shared by every process and command that uses this
-- database: the public address links in e-mails point to (recorded by
-- `plenary serve` from PLENARY_BASE_URL each time it starts) and the
-- domain that names calendar UIDs (set once, from the host of the first
-- address, and never changed, so calendars never add a date twice). One
-- row, id 1. A UID domain taken from a local address (localhost, an IP
-- literal: a trial run) is provisional: the first real host replaces it,
-- so two installs tried out on localhost never share calendar UIDs.

CREATE TABLE site (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    base_url    TEXT NOT NULL,
    uid_domain  TEXT NOT NULL,
    uid_provisional BOOLEAN NOT NULL DEFAULT FALSE,
    recorded_at TIMESTAMP NOT NULL
);
