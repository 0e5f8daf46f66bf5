-- The version of the instance secret an instance's token derives from, and when the
-- instance asked to be removed.
ALTER TABLE instances ADD COLUMN token_version INTEGER;
ALTER TABLE instances ADD COLUMN self_destruct_at BIGINT;
-- Made before instance tokens: it holds the pool key and is called with it until replaced.
-- Every instance recorded before this migration was; one recorded later never is.
ALTER TABLE instances ADD COLUMN holds_pool_key INTEGER NOT NULL DEFAULT 0;
UPDATE instances SET holds_pool_key = 1;
