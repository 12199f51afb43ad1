-- Accounts, sessions, MFA recovery codes, login throttling, API tokens and the audit hash chain.
-- Keep in step with the other backend's file: a test compares them. TEXT UUIDv7 keys, no sequences, no triggers.

ALTER TABLE users ADD COLUMN mfa_enrolled BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN failed_logins BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until TIMESTAMPTZ;
ALTER TABLE users ADD COLUMN password_changed_at TIMESTAMPTZ;
ALTER TABLE users ADD COLUMN rules_accepted_at TIMESTAMPTZ;
ALTER TABLE users ADD COLUMN training_completed_at TIMESTAMPTZ;
ALTER TABLE users ADD COLUMN status_changed_at TIMESTAMPTZ;

-- Server-side sessions. id is the SHA-256 (hex) of the cookie token; the token itself is never stored.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    csrf_token TEXT NOT NULL,
    mfa_passed BOOLEAN NOT NULL,
    source_ip TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

-- MFA recovery codes (SHA-256 of the code; single use).
CREATE TABLE recovery_codes (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    used_at TIMESTAMPTZ
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);

-- Failed logins per source address (throttling without revealing whether an account exists).
CREATE TABLE login_failures (
    id TEXT PRIMARY KEY,
    source_ip TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_failures_ip ON login_failures (source_ip, at);

-- API tokens of state systems (SHA-256 of the token; shown once).
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    state TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);

-- The head of the audit hash chain: one row, updated in the same transaction as each append,
-- which serialises appends (a row lock on PostgreSQL, the single writer on SQLite).
CREATE TABLE audit_chain (
    id TEXT PRIMARY KEY,
    seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_chain (id, seq, last_hash) VALUES ('main', 0, '0000000000000000000000000000000000000000000000000000000000000000');

ALTER TABLE audit_events ADD COLUMN seq BIGINT;
CREATE UNIQUE INDEX audit_events_seq ON audit_events (seq);
CREATE INDEX audit_events_actor ON audit_events (actor, at);
