-- Every relay prunes what is older than an hour (`DELETE ... WHERE at < $1`): by time, so
-- the prune reads the index instead of the whole table when a flood of events is relayed.
CREATE INDEX relayed_webhooks_by_at ON relayed_webhooks (at);
