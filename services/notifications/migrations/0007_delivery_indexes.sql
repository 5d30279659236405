-- A digest that went out becomes `digest_sent` (it used to stay `digested` with sent_at set),
-- so the dispatchers' due-work index holds only work still to do and stays small however long
-- the history grows.
UPDATE deliveries SET status = 'digest_sent' WHERE status = 'digested' AND sent_at IS NOT NULL;
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (channel, due_at) WHERE status IN ('queued', 'held');
CREATE INDEX deliveries_digest_due ON deliveries (due_at) WHERE status = 'digested';
-- An erasure deletes a member's deliveries: without this it would read the whole table.
CREATE INDEX deliveries_by_member ON deliveries (member_id);
