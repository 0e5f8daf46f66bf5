-- Claims that wait for an idle instance (Prefer: wait=N), first come first served across
-- replicas: the oldest waiter still heard from takes the next idle instance. A waiter
-- renews heartbeat_at while it waits; one not heard from for a few seconds (its replica
-- died, its client left) is out of line and removed. Milliseconds since 1970.
CREATE TABLE claim_waiters (
    waiter_id    TEXT PRIMARY KEY,
    enqueued_at  BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL
);
