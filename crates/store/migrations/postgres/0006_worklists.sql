-- Worklists (near matches, merge and split validation), identity operations (merges, splits and
-- their undo), locks on children under a pending operation, and permanent linkage decisions.
-- Keep in step with the other backend's file: a test compares them. TEXT UUIDv7 keys, no
-- sequences, no triggers; child_id is the distribution key.

CREATE TABLE identity_operations (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    child_id TEXT NOT NULL,
    child_msix_id TEXT NOT NULL,
    other_child_id TEXT,
    other_msix_id TEXT,
    record_ids TEXT NOT NULL,
    undoes TEXT,
    reason TEXT,
    initiated_by TEXT NOT NULL,
    initiated_at TIMESTAMPTZ NOT NULL,
    decided_by TEXT,
    decided_at TIMESTAMPTZ,
    decision_note TEXT
);
CREATE INDEX identity_operations_child ON identity_operations (child_id);
CREATE INDEX identity_operations_other ON identity_operations (other_child_id);

CREATE TABLE identity_locks (
    child_id TEXT PRIMARY KEY,
    operation_id TEXT NOT NULL,
    locked_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE worklist_items (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    level TEXT NOT NULL,
    assigned_state TEXT,
    assigned_district TEXT,
    child_id TEXT NOT NULL,
    state_record_id TEXT,
    candidates TEXT NOT NULL,
    explanation TEXT,
    operation_id TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_on DATE NOT NULL,
    due_on DATE NOT NULL,
    resolution TEXT,
    resolved_by TEXT,
    resolved_at TIMESTAMPTZ,
    note TEXT,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX worklist_items_open ON worklist_items (status, assigned_state, level);
CREATE INDEX worklist_items_child ON worklist_items (child_id);
CREATE INDEX worklist_items_operation ON worklist_items (operation_id);

CREATE TABLE link_decisions (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    record_a TEXT NOT NULL,
    record_b TEXT,
    child_id TEXT,
    operation_id TEXT,
    worklist_item_id TEXT,
    decided_by TEXT NOT NULL,
    decided_at TIMESTAMPTZ NOT NULL,
    active BOOLEAN NOT NULL
);
CREATE INDEX link_decisions_a ON link_decisions (record_a);
CREATE INDEX link_decisions_b ON link_decisions (record_b);
