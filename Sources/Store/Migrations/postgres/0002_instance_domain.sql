-- Where an instance is reached (its public host), recorded when it is marked, so a claim
-- can call it without asking the platform.
ALTER TABLE instances ADD COLUMN domain TEXT;
