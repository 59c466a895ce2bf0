-- +goose Up
-- The mail log: what the SMTP server answered when it accepted a message
-- (the text of its 250 reply to the final "."), '' until sent or when the
-- mailer cannot tell; and the recipient's name and address lowercased by
-- Plenary (Go's Unicode folding, the same on both engines) for the mail
-- log's recipient search.
ALTER TABLE messages ADD COLUMN server_reply TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN to_search TEXT NOT NULL DEFAULT '';
UPDATE messages SET to_search = lower(to_name || ' ' || to_email);
CREATE INDEX messages_created ON messages (created_at);
