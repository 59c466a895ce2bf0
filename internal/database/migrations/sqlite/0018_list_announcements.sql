-- +goose Up
-- List mail (internal/lists): new-date announcements and "a place frees
-- up" notices, sent by a periodic scan that any instance may run. Instants
-- are UTC.

-- When each date was first seen on the public site (its course published,
-- the date neither cancelled nor begun). A date that stops being visible
-- loses its row, so its grace period starts again if it comes back.
-- A settled date needs no more looking at: everyone who counts has been
-- told (nobody who subscribes later counts), or it was already on the
-- site when this table was made and is never announced as new.
CREATE TABLE list_date_sightings (
    event_id      INTEGER PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    visible_since TIMESTAMP NOT NULL,
    settled       BOOLEAN NOT NULL DEFAULT FALSE
);

INSERT INTO list_date_sightings (event_id, visible_since, settled)
SELECT e.id, e.created_at, TRUE FROM events e JOIN courses c ON c.id = e.course_id
WHERE c.status = 'published' AND e.status <> 'cancelled';

-- Whether each date was closed to the public (no place left, or people on
-- its waiting list) when last looked at, and its freeings: a freeing is
-- the moment a closed date opens again (at most one a day per date).
CREATE TABLE list_place_watch (
    event_id  INTEGER PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    closed    BOOLEAN NOT NULL,
    round     INTEGER NOT NULL DEFAULT 0,  -- how many freeings so far
    settled_round INTEGER NOT NULL DEFAULT 0, -- the latest freeing told to everyone who counts
    freed_at  TIMESTAMP                    -- the latest freeing
);

-- What each address was told: a new date (kind 'date', round 0) or a
-- freeing (kind 'freed', its round). Written in the transaction that
-- queues the e-mail, so nothing is told twice, whichever instance runs.
CREATE TABLE list_sent (
    email_key TEXT NOT NULL,
    kind      TEXT NOT NULL,
    event_id  INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    round     INTEGER NOT NULL DEFAULT 0,
    sent_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (email_key, kind, event_id, round)
);
CREATE INDEX list_sent_event ON list_sent (event_id);

-- The last list e-mail queued to each address: at most one a day.
CREATE TABLE list_mail_last (
    email_key  TEXT PRIMARY KEY,
    last_at    TIMESTAMP NOT NULL,
    message_id INTEGER NOT NULL DEFAULT 0
);
