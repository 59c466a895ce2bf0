-- +goose Up
-- Internal notes on a booking (internal/booking/notes.go): written by the
-- course team for each other, never sent to the participant and never in
-- the participant's own export. Instants are UTC.

CREATE TABLE booking_notes (
    id          INTEGER PRIMARY KEY,
    booking_id  INTEGER NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    author_kind TEXT NOT NULL,
    author_id   INTEGER NOT NULL DEFAULT 0,
    author_name TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);

CREATE INDEX booking_notes_booking ON booking_notes (booking_id, id);
