-- The version of the instance secret an instance's token derives from (NULL: made before
-- instance tokens, it holds the pool key), and when the instance asked to be removed.
ALTER TABLE instances ADD COLUMN token_version INTEGER;
ALTER TABLE instances ADD COLUMN self_destruct_at BIGINT;
