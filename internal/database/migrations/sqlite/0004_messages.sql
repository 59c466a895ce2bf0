-- +goose Up
-- Messages: one e-mail to one person, rendered when it is queued, with a
-- dedupe key (so a retry or a restart never queues the same message
-- twice), a stable Message-ID, a scheduled time and a delivery status. The
-- River job that sends a message is inserted in the same transaction as
-- the message. Instants are UTC.

CREATE TABLE messages (
    id                INTEGER PRIMARY KEY,
    kind              TEXT NOT NULL,
    dedupe_key        TEXT NOT NULL UNIQUE,
    booking_id        INTEGER, -- replaced by subject_ref (0009_message_subject.sql)
    from_header       TEXT NOT NULL DEFAULT '',
    reply_to          TEXT NOT NULL DEFAULT '',
    to_name           TEXT NOT NULL DEFAULT '',
    to_email          TEXT NOT NULL,
    subject           TEXT NOT NULL,
    text_body         TEXT NOT NULL,
    html_body         TEXT NOT NULL DEFAULT '',
    message_id_header TEXT NOT NULL UNIQUE,
    marketing         BOOLEAN NOT NULL DEFAULT FALSE,
    list_unsubscribe  TEXT NOT NULL DEFAULT '',
    status            TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed', 'kept')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    last_error        TEXT NOT NULL DEFAULT '',
    scheduled_at      TIMESTAMP NOT NULL,
    sent_at           TIMESTAMP,
    created_at        TIMESTAMP NOT NULL
);

CREATE INDEX messages_booking ON messages (booking_id, id);
CREATE INDEX messages_status_scheduled ON messages (status, scheduled_at);

CREATE TABLE message_attachments (
    message_id   INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    data         BLOB NOT NULL,
    PRIMARY KEY (message_id, position)
);
