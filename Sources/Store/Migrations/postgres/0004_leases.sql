-- The leader lease: replicas sharing the store take turns running the reconcile loop.
-- Times are milliseconds since 1970 from the replicas' clocks.
CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    acquired_at BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
-- Which replica recorded an event (NULL: a single process, or before replicas existed).
ALTER TABLE events ADD COLUMN replica TEXT;
