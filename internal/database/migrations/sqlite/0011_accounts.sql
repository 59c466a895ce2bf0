-- +goose Up
-- Staff accounts (internal/account): the course team's users, the courses
-- a user may be limited to, their server-side sessions, password reset
-- tokens and failed sign-ins. Secrets are never stored as given: passwords
-- as argon2id hashes, session and reset tokens as SHA-256 hashes.
-- Instants are UTC.

CREATE TABLE staff_users (
    id             INTEGER PRIMARY KEY,
    email          TEXT NOT NULL,
    email_key      TEXT NOT NULL UNIQUE, -- lower-cased e-mail: unique whatever the case
    name           TEXT NOT NULL DEFAULT '',
    role           TEXT NOT NULL CHECK (role IN ('admin', 'coordinator', 'finance', 'trainer')),
    -- A limited user may act only on the courses in staff_user_courses
    -- (none, if it is empty); an unlimited one on every course.
    course_limited BOOLEAN NOT NULL DEFAULT FALSE,
    password_hash  TEXT NOT NULL,
    -- TOTP: the secret (base32) is set at enrolment and turned on by a
    -- first good code; the last step used is refused a second time.
    totp_secret    TEXT NOT NULL DEFAULT '',
    totp_enabled   BOOLEAN NOT NULL DEFAULT FALSE,
    totp_last_step INTEGER NOT NULL DEFAULT 0,
    disabled       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);

CREATE TABLE staff_user_courses (
    user_id   INTEGER NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    course_id INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, course_id)
);

CREATE TABLE staff_sessions (
    token_hash   TEXT PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    created_at   TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    client_addr  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX staff_sessions_user ON staff_sessions (user_id);

CREATE TABLE staff_reset_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP
);
CREATE INDEX staff_reset_tokens_user ON staff_reset_tokens (user_id);

-- Failed sign-ins, counted per key: "account:<email_key>" and
-- "addr:<client address>". They slow further attempts, never lock out.
CREATE TABLE staff_sign_in_failures (
    key            TEXT PRIMARY KEY,
    failures       INTEGER NOT NULL,
    last_failed_at TIMESTAMP NOT NULL
);
CREATE INDEX staff_sign_in_failures_at ON staff_sign_in_failures (last_failed_at);
