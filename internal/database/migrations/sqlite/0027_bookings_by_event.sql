-- +goose Up
-- One date's bookings newest first (the staff desk of a date:
-- WHERE event_id = ? ORDER BY id DESC LIMIT 50) read from this index
-- backwards, 50 rows, instead of sorting every booking of the date
-- (bookings_event_status has the status between the two).
CREATE INDEX bookings_event_id ON bookings (event_id, id);
