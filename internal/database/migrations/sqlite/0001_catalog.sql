-- +goose Up
-- The course catalogue: courses, their fee tiers, topics and eligibility
-- questions, and events (scheduled deliveries) with their days and agenda.
-- Instants are UTC; days and agenda times are wall-clock times in the
-- event's IANA zone, so "10:00" stays 10:00 across clock changes.

CREATE TABLE courses (
    id                INTEGER PRIMARY KEY,
    slug              TEXT NOT NULL UNIQUE,
    title             TEXT NOT NULL,
    summary           TEXT NOT NULL DEFAULT '',
    status            TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
    about             TEXT NOT NULL DEFAULT '',
    audience          TEXT NOT NULL DEFAULT '',
    aims              TEXT NOT NULL DEFAULT '',
    prerequisites     TEXT NOT NULL DEFAULT '',
    delivery          TEXT NOT NULL DEFAULT '',
    joining_lead_days INTEGER NOT NULL DEFAULT 1,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);

CREATE TABLE course_topics (
    course_id INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    topic     TEXT NOT NULL,
    PRIMARY KEY (course_id, topic)
);

CREATE TABLE fee_tiers (
    course_id    INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    name         TEXT NOT NULL,
    amount_minor INTEGER NOT NULL CHECK (amount_minor >= 0),
    currency     TEXT NOT NULL,
    PRIMARY KEY (course_id, position)
);

CREATE TABLE eligibility_questions (
    course_id INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    key       TEXT NOT NULL,
    label     TEXT NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('text', 'date', 'yes_no')),
    required  BOOLEAN NOT NULL DEFAULT FALSE,
    help      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (course_id, position),
    UNIQUE (course_id, key)
);

CREATE TABLE events (
    id               INTEGER PRIMARY KEY,
    course_id        INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    ref              TEXT NOT NULL,
    time_zone        TEXT NOT NULL DEFAULT 'Europe/London',
    format           TEXT NOT NULL CHECK (format IN ('online', 'in_person', 'hybrid')),
    status           TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'changed', 'cancelled', 'completed')),
    version          INTEGER NOT NULL DEFAULT 1,
    capacity         INTEGER NOT NULL DEFAULT 0 CHECK (capacity >= 0),
    venue_name       TEXT NOT NULL DEFAULT '',
    venue_address    TEXT NOT NULL DEFAULT '',
    meeting_provider TEXT NOT NULL DEFAULT '',
    meeting_url      TEXT NOT NULL DEFAULT '',
    meeting_id       TEXT NOT NULL DEFAULT '',
    meeting_passcode TEXT NOT NULL DEFAULT '',
    -- First start and last end as UTC instants, derived from the days when
    -- the event is saved, so that "upcoming" can be found by index.
    starts_at        TIMESTAMP NOT NULL,
    ends_at          TIMESTAMP NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    UNIQUE (course_id, ref)
);
CREATE INDEX events_starts_at ON events (starts_at);

CREATE TABLE event_days (
    event_id   INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    day        TEXT NOT NULL, -- YYYY-MM-DD in the event's zone
    starts     TEXT NOT NULL, -- HH:MM
    ends       TEXT NOT NULL, -- HH:MM
    PRIMARY KEY (event_id, position)
);

CREATE TABLE agenda_items (
    event_id     INTEGER NOT NULL,
    day_position INTEGER NOT NULL,
    position     INTEGER NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('registration', 'teaching', 'break', 'lunch', 'plenary', 'other')),
    starts       TEXT NOT NULL,
    ends         TEXT NOT NULL DEFAULT '',
    title        TEXT NOT NULL,
    PRIMARY KEY (event_id, day_position, position),
    FOREIGN KEY (event_id, day_position) REFERENCES event_days (event_id, position) ON DELETE CASCADE
);
