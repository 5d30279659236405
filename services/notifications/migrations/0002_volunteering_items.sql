-- Volunteering's items are about a shift (and the role it belongs to) rather than an event.
-- Ids only, as before; both stay NULL on the events' items.
ALTER TABLE inbox_items ADD COLUMN shift_id uuid, ADD COLUMN role_id uuid;
