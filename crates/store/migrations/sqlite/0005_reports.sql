-- Reports: a state's children in child-id order (child count and data-quality pages).
CREATE INDEX state_records_state_child ON state_records (reporting_state, child_id);
