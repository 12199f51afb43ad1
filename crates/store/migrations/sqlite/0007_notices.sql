-- Notices between states (move notices, change-of-residence notices, data requests, parent
-- correction requests), their threaded messages, the designated recipients of each state, and
-- the transactional e-mail outbox (rows written in the same transaction as the event that causes
-- the mail; a worker sends them). Keep in step with the other backend's file: a test compares
-- them. TEXT UUIDv7 keys, no sequences, no triggers; child_id is the distribution key.

CREATE TABLE notices (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    child_id TEXT NOT NULL,
    msix_id TEXT NOT NULL,
    from_state TEXT,
    from_district TEXT,
    to_state TEXT NOT NULL,
    to_district TEXT,
    to_school TEXT,
    owner_state TEXT,
    level TEXT NOT NULL,
    topic TEXT,
    expected_on TEXT,
    comments TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_on TEXT NOT NULL,
    due_on TEXT,
    acknowledged_by TEXT,
    acknowledged_at TEXT,
    escalated_at TEXT,
    forwarded_at TEXT,
    arrival TEXT,
    arrival_on TEXT,
    decision TEXT,
    decided_by TEXT,
    decided_on TEXT,
    outcome TEXT,
    closed_by TEXT,
    closed_at TEXT,
    dedupe_key TEXT UNIQUE,
    updated_at TEXT NOT NULL
);
CREATE INDEX notices_to ON notices (to_state, status);
CREATE INDEX notices_from ON notices (from_state, status);
CREATE INDEX notices_child ON notices (child_id);

CREATE TABLE notice_messages (
    id TEXT PRIMARY KEY,
    notice_id TEXT NOT NULL,
    author TEXT NOT NULL,
    author_state TEXT,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX notice_messages_notice ON notice_messages (notice_id, created_at);

-- Designated recipients of a state's notices (and optionally of one region). A state without
-- rows here is served by its active data administrators.
CREATE TABLE notice_recipients (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    region TEXT,
    email TEXT NOT NULL,
    locale TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX notice_recipients_state ON notice_recipients (state);

-- E-mail outbox: status queued -> sent, or failed (permanent refusal or attempts exhausted).
-- claimed_until is a lease so that two workers never send the same row at once.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    recipient TEXT NOT NULL,
    locale TEXT NOT NULL,
    template TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    notice_id TEXT,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TEXT NOT NULL,
    claimed_until TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_notice ON outbox (notice_id);
