-- +goose Up
-- A course's booking settings and its eligibility rules. A rule is an
-- outcome (refuse, review, accept) with a message, applied when all its
-- conditions hold; a condition tests one answer (see catalog.Evaluate).
-- Rules and conditions are kept in order by position, as the course file
-- lists them.

ALTER TABLE courses ADD COLUMN waitlist BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE courses ADD COLUMN offer_hold_hours INTEGER NOT NULL DEFAULT 0
    CHECK (offer_hold_hours BETWEEN 0 AND 168);
ALTER TABLE courses ADD COLUMN booking_closes_hours INTEGER NOT NULL DEFAULT 0
    CHECK (booking_closes_hours BETWEEN 0 AND 720);
ALTER TABLE courses ADD COLUMN cancellation_terms TEXT NOT NULL DEFAULT '';

CREATE TABLE eligibility_rules (
    course_id BIGINT NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    outcome   TEXT NOT NULL CHECK (outcome IN ('refuse', 'review', 'accept')),
    message   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (course_id, position)
);

-- A condition: question op [date_base date_offset date_unit], e.g.
-- training_completed before event -6 months. The date columns are set only
-- for the date comparisons.
CREATE TABLE eligibility_conditions (
    course_id     BIGINT NOT NULL,
    rule_position INTEGER NOT NULL,
    position      INTEGER NOT NULL,
    question      TEXT NOT NULL,
    op            TEXT NOT NULL CHECK (op IN ('missing', 'present', 'yes', 'no',
                                              'before', 'after', 'on_or_before', 'on_or_after')),
    date_base     TEXT NOT NULL DEFAULT '' CHECK (date_base IN ('', 'event', 'today')),
    date_offset   INTEGER NOT NULL DEFAULT 0,
    date_unit     TEXT NOT NULL DEFAULT '' CHECK (date_unit IN ('', 'days', 'months')),
    PRIMARY KEY (course_id, rule_position, position),
    FOREIGN KEY (course_id, rule_position) REFERENCES eligibility_rules (course_id, position) ON DELETE CASCADE
);
