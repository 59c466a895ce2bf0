-- +goose Up
-- Consent evidence of subscriptions staff imported with consent already
-- held: where that consent came from, in the importer's words, and the
-- day it was given (a civil date, YYYY-MM-DD; '' when not given).
ALTER TABLE list_consent_evidence ADD COLUMN source_note TEXT NOT NULL DEFAULT '';
ALTER TABLE list_consent_evidence ADD COLUMN consented_on TEXT NOT NULL DEFAULT '';
