-- +goose Up
-- Indexes that keep the everyday operations as cheap on a database of a
-- million bookings as on one of a thousand (issue 12; measured by
-- bench/scale, see docs/PERFORMANCE.md "At scale").

-- The "needs attention" page reads the bookings in one status that only
-- the present holds (pending_review, offered): without this index each
-- read scanned every booking ever taken.
CREATE INDEX bookings_status ON bookings (status, id);

-- The late changes on the "needs attention" page: one action over the
-- last fortnight, not every audit entry about every date.
CREATE INDEX audit_log_action_at ON audit_log (action, at);

-- The announcement run reads only the subscriptions to the new dates'
-- courses and topics (and "all"), not the whole list.
CREATE INDEX list_subscriptions_target ON list_subscriptions (target_key, status);

-- ... and only the addresses mailed within the last day.
CREATE INDEX list_mail_last_at ON list_mail_last (last_at);
