-- +goose Up
-- A course's version: 1 when created, one more on every save that changes
-- the course or any of its dates. An editor sends back the version it
-- started from, and a save based on an older one is refused rather than
-- overwriting a change the editor never saw. Who made the latest change
-- is in the audit log (course.create / course.update).

ALTER TABLE courses ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
