-- +goose Up
-- Joining instructions, change notices and reminders: a course's optional
-- reminder (calendar days before the first day; 0 = none), an event's
-- working-day region (whose bank holidays count when the joining send day
-- is worked out; '' = the install's default) and the directions to its
-- venue, sent with the joining instructions. The messages themselves, with
-- their dedupe keys, are in the messages table (0004).

ALTER TABLE courses ADD COLUMN reminder_days_before INTEGER NOT NULL DEFAULT 0
    CHECK (reminder_days_before BETWEEN 0 AND 60);
ALTER TABLE events ADD COLUMN region TEXT NOT NULL DEFAULT ''
    CHECK (region IN ('', 'england-and-wales', 'scotland', 'northern-ireland'));
ALTER TABLE events ADD COLUMN venue_directions TEXT NOT NULL DEFAULT '';

-- The joining and reminder job looks up each booking's messages by kind.
CREATE INDEX messages_booking_kind ON messages (booking_id, kind);
