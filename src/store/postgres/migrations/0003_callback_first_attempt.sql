-- Callbacks get the time of their first attempt. (The queue's arrival order, `seq`, exists here
-- since 0001; SQLite gets it in its own 0003.)

-- The retry window runs from the first attempt (reference e.1), not from when the callback was
-- written: a callback waiting behind earlier ones of its message must not use it up meanwhile.
ALTER TABLE callback_outbox ADD COLUMN first_attempt_at BIGINT;
UPDATE callback_outbox o SET first_attempt_at = (SELECT min(a.time) FROM callback_attempts a WHERE a.outbox_id = o.id)
  WHERE o.state = 'pending';
