-- The pool's state. Times are integer milliseconds since 1970 (UTC).
-- Statements end with ";" at the end of a line: the migrator splits the file there.

-- One row per instance the controller created, adopted or marked. A forgotten row (its
-- service was deleted) stays for the audit.
CREATE TABLE instances (
    instance_id     TEXT PRIMARY KEY,
    service_name    TEXT,
    service_id      TEXT,
    revision        TEXT,
    created_at      INTEGER,
    create_step     TEXT,
    claim           TEXT NOT NULL DEFAULT 'none' CHECK (claim IN ('none', 'claiming', 'claimed')),
    agent_name      TEXT,
    conversation_id TEXT,
    retired_reason  TEXT,
    marked          TEXT,
    marked_at       INTEGER,
    last_healthy_at INTEGER,
    forgotten_at    INTEGER
);

-- One row per claim attempt (agent_name NULL: an adopted instance); the idempotency key,
-- when given, finds the stored answer of a retried claim.
CREATE TABLE claims (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT UNIQUE,
    instance_id     TEXT NOT NULL REFERENCES instances (instance_id),
    agent_name      TEXT,
    started_at      INTEGER NOT NULL,
    finished_at     INTEGER,
    conversation_id TEXT,
    invite_url      TEXT,
    joined          INTEGER,
    error           TEXT
);
CREATE INDEX claims_by_instance ON claims (instance_id);

CREATE TABLE requests (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT NOT NULL CHECK (kind IN ('drain', 'replenish')),
    count        INTEGER,
    requested_at INTEGER NOT NULL,
    completed_at INTEGER
);

CREATE TABLE build_outcomes (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    revision  TEXT NOT NULL,
    succeeded INTEGER NOT NULL,
    at        INTEGER NOT NULL
);
CREATE INDEX build_outcomes_by_revision ON build_outcomes (revision, id);

CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    instance_id TEXT,
    service_id  TEXT,
    outcome     TEXT NOT NULL,
    detail      TEXT NOT NULL
);
