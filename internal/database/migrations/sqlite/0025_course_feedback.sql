-- +goose Up
-- feedback_url is the course's feedback form, linked from the thank-you
-- e-mail after a date (course file: feedback_url); '' is none.
ALTER TABLE courses ADD COLUMN feedback_url TEXT NOT NULL DEFAULT '';

