-- +goose Up
-- A message names what it is about with a generic reference chosen by the
-- package that sends it ("booking/42"), instead of a booking ID: messaging
-- knows nothing of bookings. Empty when a message is about nothing in
-- particular (a test mail, a notice to staff).

ALTER TABLE messages ADD COLUMN subject_ref TEXT NOT NULL DEFAULT '';
UPDATE messages SET subject_ref = 'booking/' || CAST(booking_id AS TEXT) WHERE booking_id IS NOT NULL;
DROP INDEX messages_booking;
DROP INDEX messages_booking_kind;
ALTER TABLE messages DROP COLUMN booking_id;
CREATE INDEX messages_subject ON messages (subject_ref, id);
CREATE INDEX messages_subject_kind ON messages (subject_ref, kind);
