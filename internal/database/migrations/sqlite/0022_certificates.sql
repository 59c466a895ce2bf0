-- +goose Up
-- CPD certificates (internal/certificates): one row per certificate as
-- issued, with every printed field kept as printed, so the verification
-- page shows exactly what the PDF says and the PDF can be rendered again
-- byte for byte. A booking has at most one certificate that is not
-- replaced; a reissue (a corrected name) marks the old one replaced and
-- points it at the new. Instants are UTC.

CREATE TABLE certificates (
    id              INTEGER PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,     -- the verification code, without its hyphen
    booking_id      INTEGER NOT NULL REFERENCES bookings (id),
    event_id        INTEGER NOT NULL REFERENCES events (id),
    email           TEXT NOT NULL,            -- where it is sent; not printed
    name            TEXT NOT NULL,            -- printed: the person's name as they asked for it
    course_title    TEXT NOT NULL,            -- printed
    dates           TEXT NOT NULL,            -- printed: the date(s) in the event's zone
    cpd_minutes     INTEGER NOT NULL,         -- printed as hours
    provider        TEXT NOT NULL,            -- printed: the provider's name
    issued_at       TIMESTAMP NOT NULL,
    issued_by       TEXT NOT NULL,            -- the actor, in words
    state           TEXT NOT NULL,            -- valid, revoked, replaced
    revoked_at      TIMESTAMP,
    revoked_reason  TEXT NOT NULL DEFAULT '',
    replaced_by     INTEGER REFERENCES certificates (id)
);

CREATE UNIQUE INDEX certificates_booking_current ON certificates (booking_id) WHERE state <> 'replaced';
CREATE INDEX certificates_event ON certificates (event_id);
