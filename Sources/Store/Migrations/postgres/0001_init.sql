-- The pool's state. Times are integer milliseconds since 1970 (UTC).
-- Statements end with ";" at the end of a line: the migrator splits the file there.

-- One row per instance the controller created, adopted or marked. A forgotten row (its
-- service was deleted) stays for the audit.
CREATE TABLE instances (
    instance_id     TEXT PRIMARY KEY,
    service_name    TEXT,
    service_id      TEXT,
    revision        TEXT,
    created_at      BIGINT,
    create_step     TEXT,
    claim           TEXT NOT NULL DEFAULT 'none' CHECK (claim IN ('none', 'claiming', 'claimed')),
    agent_name      TEXT,
    conversation_id TEXT,
    retired_reason  TEXT,
    marked          TEXT,
    marked_at       BIGINT,
    last_healthy_at BIGINT,
    forgotten_at    BIGINT
);

-- One row per claim attempt (agent_name NULL: an adopted instance); the idempotency key,
-- when given, finds the stored answer of a retried claim.
CREATE TABLE claims (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idempotency_key TEXT UNIQUE,
    instance_id     TEXT NOT NULL REFERENCES instances (instance_id),
    agent_name      TEXT,
    started_at      BIGINT NOT NULL,
    finished_at     BIGINT,
    conversation_id TEXT,
    invite_url      TEXT,
    joined          BOOLEAN,
    error           TEXT
);
CREATE INDEX claims_by_instance ON claims (instance_id);

CREATE TABLE requests (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('drain', 'replenish')),
    count        BIGINT,
    requested_at BIGINT NOT NULL,
    completed_at BIGINT
);

CREATE TABLE build_outcomes (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    revision  TEXT NOT NULL,
    succeeded BOOLEAN NOT NULL,
    at        BIGINT NOT NULL
);
CREATE INDEX build_outcomes_by_revision ON build_outcomes (revision, id);

CREATE TABLE events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    instance_id TEXT,
    service_id  TEXT,
    outcome     TEXT NOT NULL,
    detail      TEXT NOT NULL
);
