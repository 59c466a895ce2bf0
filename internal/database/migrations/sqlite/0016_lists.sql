-- +goose Up
-- Lists (internal/lists): subscriptions to hear about new dates of a
-- course, of a topic or of all courses, confirmed by double opt-in; the
-- append-only consent evidence; the key that signs unsubscribe links when
-- PLENARY_LIST_SECRET is not set (the demo). Instants are UTC.

CREATE TABLE list_subscriptions (
    id               INTEGER PRIMARY KEY,
    email            TEXT NOT NULL,
    email_key        TEXT NOT NULL,           -- the address folded to lower case
    name             TEXT NOT NULL DEFAULT '',
    scope            TEXT NOT NULL,           -- course, topic, all
    course_id        INTEGER REFERENCES courses (id) ON DELETE CASCADE,
    topic            TEXT NOT NULL DEFAULT '',
    target_key       TEXT NOT NULL,           -- "course/<id>", "topic/<name>", "all"
    status           TEXT NOT NULL,           -- requested, confirmed, withdrawn, suppressed
    token_hash       TEXT,                    -- SHA-256 of the confirmation token; NULL once used
    token_expires_at TIMESTAMP,
    requested_at     TIMESTAMP NOT NULL,
    confirmed_at     TIMESTAMP,
    withdrawn_at     TIMESTAMP,
    UNIQUE (email_key, target_key)
);

CREATE UNIQUE INDEX list_subscriptions_token ON list_subscriptions (token_hash);
CREATE INDEX list_subscriptions_status ON list_subscriptions (status, requested_at);
CREATE INDEX list_subscriptions_course ON list_subscriptions (course_id, status);

-- One row per step (requested, confirmed, withdrawn), never changed: what
-- was subscribed to, the wording shown (its version and the SHA-256 of its
-- exact text), where, when, and how a withdrawal came. Rows of a request
-- never confirmed go with it when it is forgotten.
CREATE TABLE list_consent_evidence (
    id               INTEGER PRIMARY KEY,
    subscription_id  INTEGER NOT NULL REFERENCES list_subscriptions (id) ON DELETE CASCADE,
    email            TEXT NOT NULL,
    what             TEXT NOT NULL,
    wording_version  TEXT NOT NULL DEFAULT '',
    wording_sha256   TEXT NOT NULL DEFAULT '',
    source           TEXT NOT NULL,           -- course_page, booking, import, staff
    step             TEXT NOT NULL,           -- requested, confirmed, withdrawn
    how              TEXT NOT NULL DEFAULT '',-- for a withdrawal: one_click, link, mailto, staff
    at               TIMESTAMP NOT NULL
);

CREATE INDEX list_consent_evidence_subscription ON list_consent_evidence (subscription_id, id);

CREATE TABLE list_keys (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    secret     TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- A list e-mail's List-Unsubscribe carries a mailto: address beside the
-- https:// one (RFC 2369, RFC 8058).
ALTER TABLE messages ADD COLUMN list_unsubscribe_mailto TEXT NOT NULL DEFAULT '';
