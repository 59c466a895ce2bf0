-- +goose Up
-- Bookings: a person's place on an event. Places are held by confirmed,
-- offered and pending-review bookings (and, after the event, attended and
-- no-show ones); waitlisted bookings queue in id order, which is the order
-- they were taken under the event lock.

CREATE TABLE bookings (
    id                  INTEGER PRIMARY KEY,
    event_id            INTEGER NOT NULL REFERENCES events (id),
    status              TEXT NOT NULL CHECK (status IN ('confirmed', 'waitlisted', 'offered', 'pending_review',
                                                        'cancelled', 'declined', 'lapsed', 'refused',
                                                        'attended', 'no_show')),
    name                TEXT NOT NULL,
    email               TEXT NOT NULL,
    email_key           TEXT NOT NULL, -- lower-cased e-mail: one active booking per person per event
    organisation        TEXT NOT NULL DEFAULT '',
    role                TEXT NOT NULL DEFAULT '',
    registration_number TEXT NOT NULL DEFAULT '',
    -- Special-category data: shown only to coordinators, erased a set
    -- number of days after the event.
    access_needs        TEXT NOT NULL DEFAULT '',
    access_needs_erased BOOLEAN NOT NULL DEFAULT FALSE,
    system_checked      BOOLEAN NOT NULL DEFAULT FALSE,
    needs_review        BOOLEAN NOT NULL DEFAULT FALSE,
    review_reason       TEXT NOT NULL DEFAULT '',
    notes               TEXT NOT NULL DEFAULT '', -- eligibility notes for the confirmation, one per line
    fee_tier            TEXT NOT NULL DEFAULT '',
    amount_minor        INTEGER NOT NULL DEFAULT 0,
    currency            TEXT NOT NULL DEFAULT '',
    payment             TEXT NOT NULL DEFAULT 'none' CHECK (payment IN ('none', 'invoice', 'paid', 'refund_due', 'refunded')),
    po_number           TEXT NOT NULL DEFAULT '',
    invoice_number      INTEGER UNIQUE,
    offer_expires_at    TIMESTAMP,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    confirmed_at        TIMESTAMP,
    cancelled_at        TIMESTAMP
);
CREATE UNIQUE INDEX bookings_one_active ON bookings (event_id, email_key)
    WHERE status IN ('confirmed', 'waitlisted', 'offered', 'pending_review', 'attended', 'no_show');
CREATE INDEX bookings_event_status ON bookings (event_id, status, id);

CREATE TABLE booking_answers (
    booking_id INTEGER NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    question   TEXT NOT NULL,
    answer     TEXT NOT NULL,
    PRIMARY KEY (booking_id, question)
);

-- Manage links: a booking may have several (a repeat booking attempt mails
-- a fresh one); only SHA-256 hashes are stored.
CREATE TABLE booking_tokens (
    token_hash TEXT PRIMARY KEY,
    booking_id INTEGER NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL
);

-- Invoice numbers come from one counter row, updated in the booking's
-- transaction, so a rolled-back booking leaves no gap.
CREATE TABLE invoice_counter (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    last INTEGER NOT NULL
);
INSERT INTO invoice_counter (id, last) VALUES (1, 0);
