-- The daily worklist e-mail digest: one row per data administrator and day it was sent (the
-- primary key makes the digest at most daily, whoever runs the job). Keep in step with the other
-- backend's file: a test compares them. No sequences, no triggers.

CREATE TABLE worklist_digests (
    user_id TEXT NOT NULL,
    sent_on DATE NOT NULL,
    new_items BIGINT NOT NULL,
    escalated_items BIGINT NOT NULL,
    sent_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, sent_on)
);
