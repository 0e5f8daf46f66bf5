-- The pool's counts once a minute (the first complete tick of the minute), for the
-- dashboard's 24-hour chart. Kept for a week: each write drops older rows.
-- Milliseconds since 1970; minute_at is the start of the minute.
CREATE TABLE pool_samples (
    minute_at    BIGINT PRIMARY KEY,
    idle         INTEGER NOT NULL,
    provisioning INTEGER NOT NULL,
    claimed      INTEGER NOT NULL
);
-- The chart reads claims by when they started.
CREATE INDEX claims_by_start ON claims (started_at);
-- Claims imported from another system are not claims the pool served: the chart leaves
-- them out. Earlier imports are recognised by their import event and zero duration.
ALTER TABLE claims ADD COLUMN imported INTEGER NOT NULL DEFAULT 0;
UPDATE claims SET imported = 1
WHERE started_at = finished_at AND agent_name IS NOT NULL
  AND instance_id IN (SELECT instance_id FROM events WHERE kind = 'import');
-- Known webhooks a follower replica received, for the leader to act on (Railway posts to
-- whichever replica the load balancer picks). Read by id; kept an hour.
CREATE TABLE relayed_webhooks (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id TEXT,
    at         BIGINT NOT NULL
);
