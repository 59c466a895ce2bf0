-- +goose Up
-- The register (internal/certificates): which staff teach a date, each
-- person's mark per day (and per teaching session), and what a course
-- counts as completing a date. Instants are UTC.

-- completion_min_percent is the course's completion rule: 0 means every
-- day present (completion: all-days); 1–100 means at least that per cent
-- of the teaching minutes.
ALTER TABLE courses ADD COLUMN completion_min_percent INTEGER NOT NULL DEFAULT 0
    CHECK (completion_min_percent BETWEEN 0 AND 100);

-- A trainer sees and takes the register only of the dates they teach.
CREATE TABLE event_trainers (
    event_id   BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    PRIMARY KEY (event_id, user_id)
);
CREATE INDEX event_trainers_user ON event_trainers (user_id);

-- One mark per booking, day and session: session '' is the whole day,
-- 'HH:MM' the teaching session starting then. minutes is what a meeting
-- report showed (NULL when marked by hand).
CREATE TABLE register_marks (
    booking_id BIGINT NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    event_id   BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    day        TEXT NOT NULL,
    session    TEXT NOT NULL DEFAULT '',
    mark       TEXT NOT NULL CHECK (mark IN ('present', 'late', 'left_early', 'absent', 'excused')),
    minutes    INTEGER,
    marked_by  BIGINT NOT NULL,
    marked_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (booking_id, day, session)
);
CREATE INDEX register_marks_event ON register_marks (event_id, day);
