-- +goose Up
-- What the staff area's actions on a booking keep (internal/booking):
-- a fee waived when a coordinator cancelled waiving the course's terms
-- (the payment column stays 'none'; the invoice is void), the payment a
-- coordinator recorded against an invoice (amount in minor units, the day
-- it arrived as YYYY-MM-DD, the bank's or card's reference), and the link
-- between a booking moved to another date and the one that replaced it.

ALTER TABLE bookings ADD COLUMN fee_waived BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE bookings ADD COLUMN paid_amount_minor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE bookings ADD COLUMN paid_currency TEXT NOT NULL DEFAULT '';
ALTER TABLE bookings ADD COLUMN paid_on TEXT NOT NULL DEFAULT '';
ALTER TABLE bookings ADD COLUMN paid_reference TEXT NOT NULL DEFAULT '';
ALTER TABLE bookings ADD COLUMN moved_from INTEGER REFERENCES bookings (id);
ALTER TABLE bookings ADD COLUMN moved_to INTEGER REFERENCES bookings (id);

