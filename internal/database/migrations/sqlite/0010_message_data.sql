-- +goose Up
-- A message may be queued with its data (JSON) instead of its content:
-- the booking's transaction stores what to say, and the send job renders
-- it outside the date's lock, storing the content (and clearing this)
-- just before sending. '' for a message queued with its content.
ALTER TABLE messages ADD COLUMN render_data TEXT NOT NULL DEFAULT '';
