-- +goose Up
-- First-party page views (internal/analytics), counted only for visitors
-- who accepted analytics cookies: one row per UK day, path (no query) and
-- referring host ('' for none), with how many views it had. No address,
-- no browser, no time of day, nothing that tells one visitor from another.
CREATE TABLE page_views (
    day           TEXT NOT NULL,
    path          TEXT NOT NULL,
    referrer_host TEXT NOT NULL DEFAULT '',
    views         INTEGER NOT NULL,
    PRIMARY KEY (day, path, referrer_host)
);
