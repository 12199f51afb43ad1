-- Reconciliation reads, for each counted child, the state student IDs of its live records of the
-- state, oldest first: by index alone when the index holds them (at 1,000,000 children a table
-- read per child cost more than the rest of the report). Replaces 0005's (reporting_state,
-- child_id) index, whose every use this one serves. Keep in step with the other backend's file:
-- a test compares them.
DROP INDEX state_records_state_child;
CREATE INDEX state_records_state_child ON state_records (reporting_state, child_id, deleted, received_at, id, state_student_id);
