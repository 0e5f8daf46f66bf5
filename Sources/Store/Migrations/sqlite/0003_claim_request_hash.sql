-- A hash of the claim request an Idempotency-Key was first used with: the same key with
-- another body is refused instead of answered with someone else's instance.
ALTER TABLE claims ADD COLUMN request_hash TEXT;
