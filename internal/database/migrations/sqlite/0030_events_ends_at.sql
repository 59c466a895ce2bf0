-- +goose Up
-- The dates not yet over, by index (issue 12, bench/scale): the bookings
-- desk's course select lists the courses that have one, and a trainer's
-- home page the dates they teach from a week ago on, without reading
-- every date the catalogue ever had.
CREATE INDEX events_ends_at ON events (ends_at);
